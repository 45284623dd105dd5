"""Personal data never reaches plain logs, whoever logs it."""

import logging

import pytest

from bot.logging_setup import install_pii_filter, mask_pii


@pytest.mark.parametrize(
    "raw, leaked",
    [
        ("customer 081234567890 asked", "081234567890"),
        ("wa_id=6281234567890", "6281234567890"),
        ("call +62 812-3456-7890 now", "812-3456-7890"),
        ("mail budi.santoso@pt-maju.co.id please", "budi.santoso"),
        ("NIK 3171234567890001", "3171234567890001"),
    ],
)
def test_personal_data_is_masked(raw: str, leaked: str) -> None:
    assert leaked not in mask_pii(raw)


def test_business_references_and_amounts_are_kept() -> None:
    text = "KAL-2026-000123 for 12 units, Rp 150000000"
    assert mask_pii(text) == text


def test_records_from_any_logger_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_pii_filter()
    # Pin the logger's own level: other code in the same process (the NLU evaluation) raises
    # the "rasa" logger to WARNING, which would drop this INFO record before any masking.
    with caplog.at_level(logging.INFO, logger="rasa.core.processor"):
        logging.getLogger("rasa.core.processor").info(
            "Received user message '%s'", "hp saya 081298765432"
        )
    assert "081298765432" not in caplog.text
    assert "<phone …432>" in caplog.text


# --- tracebacks, exception texts and database errors (issue 12) -----------------------------

PHONE = "081298765432"
EMAIL = "rahasia.pelanggan@contoh.co.id"
NAME = "Ratna Kusumawati"


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    """The file handler configure_logging sets up (as `python -m bot ...` runs it)."""
    from bot.logging_setup import configure_logging

    monkeypatch.setenv("LOG_FORMAT", "text")
    path = tmp_path / "logs" / "bot.log"
    handler = configure_logging(path)
    assert handler is not None
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def _log_text(path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_exception_text_and_traceback_are_masked_in_the_log_file(log_file) -> None:
    def save(phone: str, email: str) -> None:
        raise ValueError(f"cannot store contact {phone} / {email}")

    try:
        save(PHONE, EMAIL)
    except ValueError:
        logging.getLogger("bot.test").exception("saving the contact failed")
    text = _log_text(log_file)
    assert "saving the contact failed" in text
    assert "Traceback (most recent call last)" in text  # still diagnosable
    assert "ValueError: cannot store contact <phone …432>" in text
    assert PHONE not in text and EMAIL not in text and "rahasia.pelanggan" not in text


def test_json_log_lines_are_masked(tmp_path, monkeypatch) -> None:
    import json

    from bot.logging_setup import configure_logging

    monkeypatch.setenv("LOG_FORMAT", "json")
    path = tmp_path / "json.log"
    handler = configure_logging(path)
    try:
        try:
            raise RuntimeError(f"no reply from {PHONE}")
        except RuntimeError:
            logging.getLogger("bot.test").exception("send to %s failed", EMAIL)
        lines = [json.loads(line) for line in _log_text(path).splitlines() if line.strip()]
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    entry = lines[-1]
    assert entry["level"] == "ERROR" and "send to" in entry["message"]
    assert "RuntimeError: no reply from <phone …432>" in entry["exception"]
    assert PHONE not in json.dumps(lines) and EMAIL not in json.dumps(lines)


def test_log_file_and_directory_are_private(log_file) -> None:
    logging.getLogger("bot.test").error("x")
    assert log_file.stat().st_mode & 0o777 == 0o600
    assert log_file.parent.stat().st_mode & 0o777 == 0o700
