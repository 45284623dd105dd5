"""A failed CRM save is diagnosable from the log, without any personal value in it.

SQLAlchemy puts a statement's parameters (names, phones, e-mails) into its exception text
unless the engine hides them, and PostgreSQL quotes the failing row in its DETAIL line.
"""

from __future__ import annotations

import logging

import pytest

NAME = "Ratna Kusumawati"
PHONE = "081298765432"
EMAIL = "rahasia.pelanggan@contoh.co.id"


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    from bot.logging_setup import configure_logging

    monkeypatch.setenv("LOG_FORMAT", "text")
    path = tmp_path / "logs" / "bot.log"
    handler = configure_logging(path)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def _log_text(path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_an_integrity_error_on_a_customer_row_logs_no_personal_value(crm_url, log_file) -> None:
    """A failed save, logged with its traceback and with the diagnostic line the actions use:
    the statement's parameters and PostgreSQL's "Failing row contains (...)" never appear."""
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from bot.crm.db import describe_db_error, session_scope
    from bot.crm.models import Customer

    logger = logging.getLogger("bot.test")
    with pytest.raises(IntegrityError) as caught, session_scope(crm_url) as session:
        session.execute(
            sa.insert(Customer).values(
                name=NAME, company=f"{EMAIL} {PHONE}", city="Bekasi", type="nope"
            )
        )
    try:
        raise caught.value
    except IntegrityError as exc:
        logger.exception("saving customer failed")
        logger.error("saving customer failed: %s", describe_db_error(exc))
        logger.error("raw: %s", exc)
    text = _log_text(log_file)
    assert "ck_customers_type" in text  # the constraint is named: diagnosable
    assert "customers" in text
    for value in (NAME, "Kusumawati", PHONE, EMAIL, "rahasia"):
        assert value not in text, value


def test_every_engine_hides_parameters(crm_url: str) -> None:
    from bot.crm.db import get_engine

    assert get_engine(crm_url).hide_parameters
