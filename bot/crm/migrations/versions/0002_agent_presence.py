"""Agent presence for the desk: agents.last_seen_at.

The action server tells a customer honestly whether an agent is online; the desk's
heartbeat writes this column, so every process and replica sees the same answer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:57:00
"""

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
