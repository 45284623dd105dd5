"""Migration 0004 (desk sessions, ``admin`` role) on a database that already holds work.

Changing the CHECK constraint of ``agents.role`` must not rebuild the table on SQLite:
with foreign keys on, dropping the old table would set every handoff's, message's and
stage event's agent to NULL (who did what would be lost).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError

from bot.crm.db import get_engine
from bot.crm.migrate import alembic_config, upgrade

AGENT = (
    "INSERT INTO agents (id, username, display_name, role, password_hash, active, created_at) "
    "VALUES (1, 'rina', 'Rina', 'agent', 'x', TRUE, '2026-11-30 08:00:00')"
)
HANDOFF = (
    "INSERT INTO handoffs (reference, sender_id, channel, reason, status, agent_id, "
    "captured_fields, transcript, queued_at, idempotency_key, updated_at) VALUES "
    "('HO-1', 'web-1', 'rest', 'customer_request', 'active', 1, '{}', '[]', "
    "'2026-11-30 08:00:00', 'k1', '2026-11-30 08:00:00')"
)


def test_0004_keeps_who_handled_what_and_allows_admin(fresh_url: str) -> None:
    upgrade(fresh_url, "0002")
    engine = get_engine(fresh_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(AGENT)
        connection.exec_driver_sql(HANDOFF)
    upgrade(fresh_url)
    with engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT agent_id FROM handoffs").scalar_one() == 1
        connection.exec_driver_sql("UPDATE agents SET role = 'admin'")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql("UPDATE agents SET role = 'root'")
    assert "desk_sessions" in sa.inspect(engine).get_table_names()

    with engine.begin() as connection:
        config = alembic_config(fresh_url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    with engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT role FROM agents").scalar_one() == "supervisor"
        assert connection.exec_driver_sql("SELECT agent_id FROM handoffs").scalar_one() == 1
    assert "desk_sessions" not in sa.inspect(engine).get_table_names()
