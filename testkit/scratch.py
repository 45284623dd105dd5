"""Throw-away PostgreSQL databases for the test suite and the benchmark.

The product itself never creates databases. Test sessions and benchmark runs each work in a
database of their own on a shared server, and drop it afterwards, so runs never see each
other's rows.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def _admin_engine(server_url: str) -> Engine:
    return sa.create_engine(
        sa.engine.make_url(server_url),
        isolation_level="AUTOCOMMIT",  # CREATE/DROP DATABASE cannot run in a transaction
        future=True,
        hide_parameters=True,  # see bot/crm/db.py
        connect_args={"connect_timeout": 5},
    )


def create_scratch_database(server_url: str, prefix: str) -> str:
    """Create an empty database ``<prefix>_<random>`` on the server of ``server_url``; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str, server_url: str) -> None:
    """Drop the database of ``url``, closing connections still open to it."""
    name = sa.engine.make_url(url).database
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        engine.dispose()
