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
