"""Analytics events (issue 17): one compact row per tracker event, no personal data.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:30:00
"""

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("intent", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=True),
        sa.Column("form", sa.String(length=80), nullable=True),
        sa.Column("slot", sa.String(length=80), nullable=True),
        sa.Column("handoff_reason", sa.String(length=40), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_analytics_events_event_key")),
    )
    op.create_index(
        "ix_analytics_events_conversation",
        "analytics_events",
        ["conversation", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_analytics_events_occurred_at"), "analytics_events", ["occurred_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_analytics_events_occurred_at"), table_name="analytics_events")
    op.drop_index("ix_analytics_events_conversation", table_name="analytics_events")
    op.drop_table("analytics_events")
