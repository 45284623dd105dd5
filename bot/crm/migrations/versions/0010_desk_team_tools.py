"""Agent desk for a team (issue 16): canned replies, labels, team queues.

- ``canned_replies``: bilingual reply texts with a ``/`` shortcut, managed by supervisors;
- ``labels`` + ``handoff_labels``: labels on conversations, to filter the queue;
- ``handoffs.team``: the team queue a handoff was transferred to (NULL: routed by reason).

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 18:00:00
"""

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import UTCDateTime

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortcut", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text_id", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["agents.id"],
            name=op.f("fk_canned_replies_updated_by_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
        sa.UniqueConstraint("shortcut", name=op.f("uq_canned_replies_shortcut")),
    )
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint("name", name=op.f("uq_labels_name")),
    )
    op.create_table(
        "handoff_labels",
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_labels_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_handoff_labels_label_id_labels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("handoff_id", "label_id", name=op.f("pk_handoff_labels")),
    )
    op.create_index(
        op.f("ix_handoff_labels_label_id"), "handoff_labels", ["label_id"], unique=False
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_column("team")
    op.drop_index(op.f("ix_handoff_labels_label_id"), table_name="handoff_labels")
    op.drop_table("handoff_labels")
    op.drop_table("labels")
    op.drop_table("canned_replies")
