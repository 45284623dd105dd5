"""Alembic environment for the CRM database.

``bot.crm.migrate`` builds the Alembic Config in code and hands over an open connection
(``config.attributes["connection"]``), so migrations run on the same engine, URL checks and
SQLite pragmas as the application. Without one (e.g. the ``alembic`` CLI), the URL comes
from the same place the application reads it.
"""

from __future__ import annotations

from alembic import context

from bot.crm.db import database_url, get_engine
from bot.crm.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(config.attributes.get("crm_url")),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    with get_engine(config.attributes.get("crm_url")).begin() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
