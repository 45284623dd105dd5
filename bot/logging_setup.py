"""Logging with personal data masked.

Rasa and Sanic log message texts at DEBUG level, and our own code may log a sender id
(a WhatsApp number). A filter on the root handlers masks phone numbers and e-mail
addresses in every record, so personal data never reaches plain logs whoever logs it.

Not only the message: the traceback of ``logger.exception`` (an exception's text often
quotes the data it failed on: a database error lists the row), the stack text and string
arguments are masked too. The masked traceback is stored as ``exc_text`` and ``exc_info``
is dropped, so no handler or formatter can render the original again. PostgreSQL error
details (``Key (...)=(...)``, ``Failing row contains (...)``) are cut whatever they hold,
because a name or an address cannot be recognised by a pattern.

``configure_logging`` (the ``python -m bot`` commands) also writes a log file, created 0600
in a 0700 directory; ``LOG_FORMAT=json`` writes one JSON object per line instead of text.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from bot.config import get_log_settings

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Indonesian numbers in the usual written forms (08.., +62.., 62..), 9-15 digits.
_PHONE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s.-]?8(?:[\s.-]?\d){7,12}(?!\d)")
# NIK (Indonesian national ID) and similar 16-digit identity numbers.
_ID_NUMBER = re.compile(r"(?<!\d)\d{16}(?!\d)")
# PostgreSQL error details quote the row or key values a statement failed on.
_PG_KEY_DETAIL = re.compile(r"(Key \((?:[^()]|\([^()]*\))*\))=\((?:[^()\n]|\([^()\n]*\))*\)")
_PG_ROW_DETAIL = re.compile(r"(Failing row contains )\(.*\)")


def mask_pii(text: str) -> str:
    """Replace e-mail addresses and phone numbers with a masked form keeping the last digits."""

    def _mask_phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return f"<phone …{digits[-3:]}>"

    text = _PG_KEY_DETAIL.sub(r"\1=(<hidden>)", text)
    text = _PG_ROW_DETAIL.sub(r"\1(<hidden>)", text)
    text = _EMAIL.sub(lambda m: "<email " + m.group(0).split("@", 1)[1] + ">", text)
    text = _ID_NUMBER.sub("<id-number>", text)
    return _PHONE.sub(_mask_phone, text)


_installed = False
_traceback_formatter = logging.Formatter()


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the message, its arguments, the traceback and the stack text of ``record``."""
    try:
        message: str | None = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string must not drop the record
        message = None
    if message is not None:
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
    else:  # keep the broken record as it is, minus personal data in its parts
        if isinstance(record.msg, str):
            record.msg = mask_pii(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_pii(a) if isinstance(a, str) else a for a in record.args)
    if record.exc_info:
        text = record.exc_text or _traceback_formatter.formatException(record.exc_info)
        record.exc_text = mask_pii(text)
        # Formatters render exc_info again unless exc_text is set; some (JSON, third-party)
        # use exc_info directly. Without it, every handler prints the masked text.
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = mask_pii(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_pii(record.stack_info)
    return record


def install_pii_filter() -> None:
    """Mask personal data in every log record of this process (idempotent).

    A record factory, rather than a handler filter, because Rasa, Sanic and rasa-sdk add
    their own handlers after start-up; the factory sees every record whichever handler emits it.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``), built from the masked record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:  # a record made before the filter
            record.exc_text = mask_pii(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def _formatter() -> logging.Formatter:
    if get_log_settings().format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def default_log_file() -> Path | None:
    """LOG_FILE, else var/logs/bot.log; ``LOG_FILE=-`` logs to the console only."""
    from bot.config import VAR_DIR

    raw = get_log_settings().file
    if raw == "-":
        return None
    return Path(raw) if raw else VAR_DIR / "logs" / "bot.log"


class PrivateFileHandler(logging.FileHandler):
    """A log file created 0600 (its directory 0700): logs hold conversation details."""

    def __init__(self, path: Path | str) -> None:
        from bot.config import VAR_DIR
        from bot.private_files import private_dir, private_file

        path = Path(path)
        # Our own var/ and var/logs are tightened if an older version made them 0755.
        private_dir(path.parent, tighten=path.parent in (VAR_DIR, VAR_DIR / "logs"))
        private_file(path)
        super().__init__(path, mode="a", encoding="utf-8")


def configure_logging(log_file: Path | str | None = None) -> logging.Handler | None:
    """Console logging plus a private log file (``log_file``, else ``default_log_file()``).

    Returns the file handler (None when logging to the console only). Calling it again
    replaces the file handler it added before.
    """
    install_pii_filter()
    level = get_log_settings().level
    root = logging.getLogger()
    formatter = _formatter()
    if not root.handlers:  # what logging.basicConfig does, with our formatter
        console = logging.StreamHandler()
        console.setFormatter(formatter)
        root.addHandler(console)
        root.setLevel(level)
    for handler in [h for h in root.handlers if getattr(h, "_layanan_file", False)]:
        root.removeHandler(handler)
        handler.close()
    path = Path(log_file) if log_file else default_log_file()
    if path is None:
        return None
    file_handler = PrivateFileHandler(path)
    file_handler.setFormatter(formatter)
    file_handler._layanan_file = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    return file_handler
