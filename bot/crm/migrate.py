"""Apply the CRM's Alembic migrations from code (``python -m bot db upgrade`` and start-up).

Safe to call at every start and from several processes at once: the whole upgrade runs in
one transaction that first takes a lock (a PostgreSQL advisory lock; SQLite's write lock via
BEGIN IMMEDIATE), so a second process waits and then finds the schema already at head.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.crm.db import database_url, get_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK_KEY = 0x43524D5F4D4947  # "CRM_MIG"

_ensured: set[str] = set()
_ensured_lock = threading.Lock()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config built in code: no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["crm_url"] = database_url(url)
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database to ``revision``; creates the SQLite file on first run.

    A bad URL raises ``CRMConfigError`` (one line, password masked) from ``get_engine``.
    """
    engine = get_engine(url)
    config = alembic_config(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_schema(url: str | None = None) -> None:
    """``upgrade()`` once per process and database: call it freely at process start."""
    key = database_url(url)
    if key in _ensured:
        return
    with _ensured_lock:
        if key not in _ensured:
            upgrade(key)
            _ensured.add(key)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(url: str | None = None) -> str | None:
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
