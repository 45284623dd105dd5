"""Identity verification: proven vs claimed identities, one-time codes, contact snapshots.

A phone or e-mail typed in a chat is a claim; ``customer_identities.verified_at`` marks the
identities that were proven (channel identities, or a one-time code typed back). Existing
channel identities (web, WhatsApp) are proven by their channel; existing phone/e-mail rows
were stored from typed text and stay claims. ``identity_challenges`` holds the hashed
codes; complaints get their own contact snapshot instead of writing to the customer.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:05:00
"""

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_at", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE customer_identities SET verified_at = created_at WHERE kind IN ('web', 'whatsapp')"
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=320), nullable=True))
    op.create_table(
        "identity_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=20), nullable=True),
        sa.Column("contact_kind", sa.String(length=8), nullable=False),
        sa.Column("contact_value", sa.String(length=320), nullable=False),
        sa.Column("code_salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "contact_kind IN ('phone', 'email')",
            name=op.f("ck_identity_challenges_contact_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'locked', 'superseded')",
            name=op.f("ck_identity_challenges_status"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_identity_challenges_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_challenges")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_identity_challenges_idempotency_key")),
    )
    op.create_index(
        op.f("ix_identity_challenges_customer_id"),
        "identity_challenges",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_identity_challenges_channel_sender_id_created_at"),
        "identity_challenges",
        ["channel", "sender_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("identity_challenges")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_name")
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_column("verified_at")
