"""Revocable desk sessions (table desk_sessions) and the ``admin`` agent role.

A desk session used to be a signed, stateless cookie: logout, a password change or a
disabled account could not end it before it expired. Sessions are now rows every replica
reads, so ending one (or all of an agent's) takes effect everywhere at once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 17:00:00
"""

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


OLD_ROLES = "role IN ('agent', 'supervisor')"
NEW_ROLES = "role IN ('agent', 'supervisor', 'admin')"


def _set_role_check(old: str, new: str) -> None:
    """Replace the CHECK constraint on agents.role.

    On SQLite, Alembic's batch mode would rebuild ``agents``: with foreign keys on (as the
    application runs), dropping the old table fires ON DELETE SET NULL on every row that
    references an agent (handoffs, messages, stage events lose who did what). SQLite's own
    documented procedure for changing a CHECK constraint edits the stored schema instead:
    no table is dropped, no row touched. Every existing value satisfies both checks
    (``downgrade`` maps ``admin`` away first).
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_agents_role"), "agents", type_="check")
        op.create_check_constraint("role", "agents", new)
        return
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'agents'"
    ).scalar_one()
    if f"CHECK ({old})" not in table_sql:
        raise RuntimeError(f"agents: expected CHECK ({old}) in the schema, found {table_sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'agents'",
            (table_sql.replace(f"CHECK ({old})", f"CHECK ({new})"),),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _set_role_check(OLD_ROLES, NEW_ROLES)
    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_desk_sessions_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_sessions")),
    )
    with op.batch_alter_table("desk_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_sessions_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("desk_sessions")
    op.execute("UPDATE agents SET role = 'supervisor' WHERE role = 'admin'")
    _set_role_check(NEW_ROLES, OLD_ROLES)
