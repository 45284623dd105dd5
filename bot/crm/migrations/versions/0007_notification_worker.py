"""Notification worker: send marker, inbound sender per WhatsApp message, scheduled job runs.

- ``notifications.send_started_at``: committed just before the worker calls the provider, so
  a worker that died can be told apart: claimed but never sent (safe to send) versus maybe
  sent (the provider may have it; see bot/notify/worker.py).
- ``inbound_messages.sender_id``: who wrote each inbound message, so the worker knows when a
  WhatsApp customer last wrote (the 24-hour customer-service window).
- ``scheduled_job_runs``: one row per (job, period) so several workers run a job once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:10:00
"""

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_started_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_id", sa.String(length=320), nullable=True))
    op.create_index(
        "ix_inbound_messages_sender",
        "inbound_messages",
        ["channel", "sender_id", "received_at"],
    )
    op.create_table(
        "scheduled_job_runs",
        sa.Column("job_name", sa.String(length=100), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("job_name", "period_start", name=op.f("pk_scheduled_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("scheduled_job_runs")
    op.drop_index("ix_inbound_messages_sender", table_name="inbound_messages")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("sender_id")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("send_started_at")
