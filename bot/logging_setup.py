"""Logging with personal data masked.

Rasa and Sanic log message texts at DEBUG level, and our own code may log a sender id
(a WhatsApp number). A filter on the root handlers masks phone numbers and e-mail
addresses in every record, so personal data never reaches plain logs whoever logs it.
"""

from __future__ import annotations

import logging
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Indonesian numbers in the usual written forms (08.., +62.., 62..), 9-15 digits.
_PHONE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s.-]?8(?:[\s.-]?\d){7,12}(?!\d)")
# NIK (Indonesian national ID) and similar 16-digit identity numbers.
_ID_NUMBER = re.compile(r"(?<!\d)\d{16}(?!\d)")


def mask_pii(text: str) -> str:
    """Replace e-mail addresses and phone numbers with a masked form keeping the last digits."""

    def _mask_phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return f"<phone …{digits[-3:]}>"

    text = _EMAIL.sub(lambda m: "<email " + m.group(0).split("@", 1)[1] + ">", text)
    text = _ID_NUMBER.sub("<id-number>", text)
    return _PHONE.sub(_mask_phone, text)


_installed = False


def install_pii_filter() -> None:
    """Mask personal data in every log record of this process (idempotent).

    A record factory, rather than a handler filter, because Rasa, Sanic and rasa-sdk add
    their own handlers after start-up; the factory sees every record whichever handler emits it.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not drop the record
            return record
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def configure_logging() -> None:
    from bot.config import load_settings

    logging.basicConfig(
        level=load_settings().log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_pii_filter()
