"""Atomic "increment and read" on a counter row, shared by reference numbers and rate limits.

One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement: PostgreSQL serialises
concurrent increments on the row lock, SQLite on its write lock, so no two callers ever
read the same value. SQLite before 3.35 has no RETURNING; there we increment and then read
in the same transaction, which is equally safe because the UPDATE holds the write lock.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

SQLITE_HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)


def upsert_increment(session: Session, table: str, keys: dict[str, Any], column: str) -> int:
    """Add 1 to ``table.column`` for the row ``keys`` (creating it at 1) and return the new value.

    ``table``, ``column`` and the key names are code constants, never user input.
    """
    key_names = list(keys)
    columns = ", ".join(key_names)
    params = ", ".join(f":{name}" for name in key_names)
    where = " AND ".join(f"{name} = :{name}" for name in key_names)
    if session.get_bind().dialect.name == "postgresql" or SQLITE_HAS_RETURNING:
        statement = sa.text(
            f"INSERT INTO {table} ({columns}, {column}) VALUES ({params}, 1) "
            f"ON CONFLICT ({columns}) DO UPDATE SET {column} = {table}.{column} + 1 "
            f"RETURNING {column}"
        )
        return int(session.execute(statement, keys).scalar_one())
    session.execute(  # pragma: no cover - SQLite < 3.35 only
        sa.text(f"INSERT OR IGNORE INTO {table} ({columns}, {column}) VALUES ({params}, 0)"), keys
    )
    session.execute(sa.text(f"UPDATE {table} SET {column} = {column} + 1 WHERE {where}"), keys)
    return int(
        session.execute(sa.text(f"SELECT {column} FROM {table} WHERE {where}"), keys).scalar_one()
    )
