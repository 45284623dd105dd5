"""Consent and opt-out, held widget notifications, agent-reply delivery state (issue 15).

- ``consents``: append-only consent decisions (STOP/START keywords, the reminder question),
  with time, channel and address, so the worker can check them at send time and the business
  can prove them;
- ``notifications.status`` gains ``held`` (a widget notification kept until the customer
  returns) and ``cancelled`` (not sent: the recipient opted out);
- ``handoff_messages``: how an agent reply reached the customer (``delivery``), the outbox row
  that follows an undelivered one (``notification_id``) and when the widget showed it
  (``delivered_at``).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01 17:40:00
"""

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import UTCDateTime

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "sending", "sent", "delivered", "read", "failed", "dead")
NEW_STATUSES = (
    "pending",
    "sending",
    "sent",
    "held",
    "delivered",
    "read",
    "failed",
    "dead",
    "cancelled",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _status_check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_status"), type_="check")
        batch_op.create_check_constraint("status", _in("status", values))


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("keyword", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "channel IN ('whatsapp', 'email', 'widget', 'sms', 'rest')",
            name=op.f("ck_consents_channel"),
        ),
        sa.CheckConstraint("purpose IN ('all', 'reminders')", name=op.f("ck_consents_purpose")),
        sa.CheckConstraint(
            "source IN ('keyword', 'asked', 'staff')", name=op.f("ck_consents_source")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_consents_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_address", "consents", ["channel", "address", "purpose", "id"])
    op.create_index("ix_consents_customer", "consents", ["customer_id", "purpose", "id"])
    _status_check(NEW_STATUSES)
    with op.batch_alter_table("handoff_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("notification_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_handoff_messages_notification_id_notifications"),
            "notifications",
            ["notification_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            "delivery", "delivery IN ('live', 'offline', 'failed', 'none')"
        )


def downgrade() -> None:
    with op.batch_alter_table("handoff_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_handoff_messages_delivery"), type_="check")
        batch_op.drop_constraint(
            op.f("fk_handoff_messages_notification_id_notifications"), type_="foreignkey"
        )
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("notification_id")
        batch_op.drop_column("delivery")
    op.execute("UPDATE notifications SET status = 'dead' WHERE status IN ('held', 'cancelled')")
    _status_check(OLD_STATUSES)
    op.drop_index("ix_consents_customer", table_name="consents")
    op.drop_index("ix_consents_address", table_name="consents")
    op.drop_table("consents")
