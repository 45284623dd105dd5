"""Engines and units of work for the CRM database.

One engine per database URL per process (engines own connection pools, so they are cached);
one short ``Session`` per unit of work (``session_scope``), never a global session, because
the action server handles many conversations at once and a long-lived session would mix
their transactions.

SQLite notes. The pysqlite driver's own transaction handling does not emit BEGIN before
SELECT or DDL, which breaks savepoints and makes migrations non-transactional. We switch it
off (``isolation_level = None``) and emit BEGIN ourselves, as the SQLAlchemy docs recommend.
Write units use ``BEGIN IMMEDIATE``: they take SQLite's single write lock up front and wait
for it (busy timeout) instead of failing half-way with "database is locked" when a read
snapshot cannot be upgraded. Read-only units use a deferred BEGIN and run concurrently
(WAL mode lets readers proceed while one writer writes).
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, CursorResult, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.sql.base import Executable

from bot.errors import StartupError
from bot.private_files import private_dir, private_file

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Statement parameters are customers' names, phones and e-mails: never in an exception's text
# (which ends up in logs). Diagnose with describe_db_error() instead.
HIDE_PARAMETERS = True
POSTGRES_CONNECT_TIMEOUT_S = 10
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg2")

T = TypeVar("T")


class CRMConfigError(StartupError):
    """The CRM database URL is unusable. The message is one line and never shows a password."""


_engines: dict[str, tuple[Engine, Engine]] = {}
_engines_lock = threading.Lock()


def database_url(url: str | None = None) -> str:
    """The explicit URL (tests, tools) or CRM_DATABASE_URL / the SQLite default from settings."""
    if url:
        return url
    from bot.config import get_settings

    return get_settings().database_url


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, even when the URL does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparseable: fall back to a regex
        return re.sub(r"(//[^/@:]*:)[^@/]*@", r"\1***@", url)


def get_engine(url: str | None = None) -> Engine:
    """The cached engine for ``url``; the first call checks that the database is reachable."""
    return _engine_pair(database_url(url))[0]


def dispose_engine(url: str | None = None) -> None:
    """Close the pooled connections of one URL's engine and forget it (tests, shutdown)."""
    key = database_url(url)
    with _engines_lock:
        pair = _engines.pop(key, None)
    if pair:
        pair[0].dispose()


@contextmanager
def session_scope(url: str | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close.

    ``readonly=True`` only relaxes SQLite locking (deferred BEGIN); it does not forbid writes.
    """
    write_engine, read_engine = _engine_pair(database_url(url))
    session = Session(
        bind=read_engine if readonly else write_engine, future=True, expire_on_commit=False
    )
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def run_in_transaction(
    work: Callable[[Session], T],
    url: str | None = None,
    *,
    attempts: int = 5,
    retry_conflicts: bool = False,
) -> T:
    """Run ``work(session)`` as one unit of work, retrying transient lock/serialisation errors.

    The whole unit is retried, never a single statement, so a retry cannot half-apply.
    ``retry_conflicts`` also retries on IntegrityError: for get-or-create work, where a
    concurrent unit inserted the same unique row first and the retry will find it.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(url) as session:
                return work(session)
        except IntegrityError:
            if not retry_conflicts or attempt == attempts:
                raise
        except OperationalError as exc:
            if attempt == attempts or not is_transient_error(exc):
                raise
            logger.info(
                "CRM transaction retry %d after transient error: %s", attempt, _first_line(exc.orig)
            )
            time.sleep(0.02 * attempt + random.uniform(0, 0.03))
    raise AssertionError("unreachable")


def describe_db_error(exc: BaseException) -> str:
    """What failed, for a log line: error class, table, constraint or column; never values.

    PostgreSQL names them in its diagnostics (the message's DETAIL line quotes the row, so
    it is not used); SQLite's one-line message names the constraint or the columns only.
    """
    orig = getattr(exc, "orig", None)
    kind = type(orig if orig is not None else exc).__name__
    diag = getattr(orig, "diag", None)
    if diag is not None:
        parts = [kind]
        for label, attr in (
            ("table", "table_name"),
            ("constraint", "constraint_name"),
            ("column", "column_name"),
            ("sqlstate", "sqlstate"),
        ):
            value = getattr(diag, attr, None)
            if value:
                parts.append(f"{label}={value}")
        return " ".join(parts)
    if orig is not None and isinstance(exc, DBAPIError):
        # e.g. "UNIQUE constraint failed: customer_identities.kind, customer_identities.value"
        return f"{kind}: {_first_line(orig)}"
    return kind


def is_transient_error(exc: DBAPIError) -> bool:
    """SQLite busy/locked, PostgreSQL serialisation failure or deadlock: retrying may succeed."""
    pgcode = getattr(exc.orig, "pgcode", None)
    if pgcode in ("40001", "40P01"):
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


# --- engine construction ------------------------------------------------------------------


def _engine_pair(url: str) -> tuple[Engine, Engine]:
    pair = _engines.get(url)
    if pair is not None:
        return pair
    with _engines_lock:
        pair = _engines.get(url)
        if pair is None:
            engine = _create_engine(url)
            pair = (engine, engine.execution_options(sqlite_begin="DEFERRED"))
            _engines[url] = pair
        return pair


def _parse(url: str) -> URL:
    if url.startswith("postgres://"):  # Heroku-style alias that SQLAlchemy 1.4 dropped
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CRMConfigError(
            f"CRM database URL {mask_url(url)!r} is not a database URL "
            "(expected sqlite:///path/to/file or postgresql+psycopg2://user@host:5432/db)"
        ) from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise CRMConfigError(
            f"CRM database URL {mask_url(url)!r} uses the unsupported driver {parsed.drivername!r} "
            f"(supported: {', '.join(SUPPORTED_DRIVERS)})"
        )
    return parsed


def _create_engine(url: str) -> Engine:
    parsed = _parse(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _create_sqlite_engine(parsed)
        else:
            connect_args: dict[str, Any] = {}
            if "connect_timeout" not in parsed.query:
                connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
            engine = sa.create_engine(
                parsed,
                future=True,
                pool_pre_ping=True,
                hide_parameters=HIDE_PARAMETERS,
                connect_args=connect_args,
            )
    except (NoSuchModuleError, ImportError) as exc:
        raise CRMConfigError(
            f"CRM database URL {mask_url(url)!r}: driver not available ({_first_line(exc)})"
        ) from None
    _check_connection(engine, parsed)
    return engine


def _create_sqlite_engine(parsed: URL) -> Engine:
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        # One shared connection, or every session would see a different empty database.
        # Fine for quick experiments; not for concurrent use.
        engine = sa.create_engine(
            parsed,
            future=True,
            poolclass=StaticPool,
            hide_parameters=HIDE_PARAMETERS,
            connect_args={"check_same_thread": False},
        )
    else:
        path = Path(database).expanduser()
        try:
            private_dir(path.parent)
        except OSError as exc:
            raise CRMConfigError(
                f"cannot create the directory {str(path.parent)!r} for the SQLite CRM database: "
                f"{exc.strerror or exc}"
            ) from None
        if not database.startswith("file:"):  # a plain path, not an SQLite URI
            try:
                private_file(path)  # 0600 before SQLite creates it 0644 (-wal/-shm follow it)
            except OSError as exc:
                raise CRMConfigError(
                    f"cannot create the SQLite CRM database {str(path)!r}: {exc.strerror or exc}"
                ) from None
        engine = sa.create_engine(
            parsed,
            future=True,
            poolclass=QueuePool,  # SQLAlchemy 1.4 would open a new connection per session
            pool_size=5,
            max_overflow=20,
            hide_parameters=HIDE_PARAMETERS,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see the module doc
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Overwrite deleted or replaced content with zeros: an erased customer's data must
        # not survive in free pages of the file (bot/crm/privacy.py).
        cursor.execute("PRAGMA secure_delete = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    def _on_begin(connection: sa.engine.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _check_connection(engine: Engine, parsed: URL) -> None:
    try:
        with engine.execution_options(sqlite_begin="DEFERRED").connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        engine.dispose()
        reason = _first_line(exc.orig)
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
        raise CRMConfigError(
            f"cannot connect to the CRM database {parsed.render_as_string(hide_password=True)!r}: {reason}"
        ) from None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__


def affected_rows(session: Session, statement: Executable) -> int:
    """Rows an UPDATE or DELETE changed (the stubs type ``Session.execute`` as a plain
    ``Result``; for these statements it is a ``CursorResult``)."""
    return cast(CursorResult, session.execute(statement)).rowcount
