"""Back office: cases (one per request, complaint, callback ticket), their timeline, API tokens.

Existing calibration/financing requests, complaints and callback tickets get their case row
here (backfill), so nothing captured before this migration is invisible to staff. On
PostgreSQL the text search gets a trigram GIN index when the pg_trgm extension can be
created; without it the search still works (sequential ILIKE), only slower.

Revision ID: 0008
Revises: 0009
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.crm.sqltypes import Money, UTCDateTime

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=True),
        sa.Column("amount", Money(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("stage_changed_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("escalation_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "type IN ('calibration', 'financing', 'complaint', 'callback')",
            name=op.f("ck_cases_type"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["agents.id"],
            name=op.f("fk_cases_assignee_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_cases_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_cases_handoff_id_handoffs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    op.create_index("ix_cases_type_stage", "cases", ["type", "stage"])
    op.create_index("ix_cases_created_at_id", "cases", ["created_at", "id"])
    op.create_index("ix_cases_type_created_at_id", "cases", ["type", "created_at", "id"])
    op.create_index("ix_cases_assignee_id_is_open", "cases", ["assignee_id", "is_open"])
    op.create_index("ix_cases_is_open_due_at", "cases", ["is_open", "due_at"])
    op.create_index("ix_cases_channel_created_at", "cases", ["channel", "created_at"])
    op.create_index("ix_cases_escalated_is_open", "cases", ["escalated", "is_open"])
    op.create_index("ix_cases_stage_changed_at", "cases", ["stage_changed_at"])
    op.create_index(op.f("ix_cases_customer_id"), "cases", ["customer_id"])
    op.create_index(op.f("ix_cases_handoff_id"), "cases", ["handoff_id"])
    _search_index()

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=True),
        sa.Column("to_stage", sa.String(length=20), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('created', 'stage_changed', 'note', 'assigned', 'escalated', "
            "'notification', 'message')",
            name=op.f("ck_case_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["agents.id"],
            name=op.f("fk_case_events_assignee_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_case_events_notification_id_notifications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["agents.id"],
            name=op.f("fk_case_events_actor_id_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index("ix_case_events_case_id_id", "case_events", ["case_id", "id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name=op.f("ck_api_tokens_scope")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["agents.id"],
            name=op.f("fk_api_tokens_created_by_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    _backfill()


def _search_index() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.create_index("ix_cases_search_text_trgm", "cases", ["search_text"])
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        logger.warning("pg_trgm not available: case search runs without a trigram index")
        return
    op.create_index(
        "ix_cases_search_text_trgm",
        "cases",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


# ---- backfill: one case per existing request ------------------------------------------------


def _backfill() -> None:
    """Cases for rows captured before the back office existed, with their current stage."""
    from bot.cases.contact import search_haystack

    bind = op.get_bind()
    when = UTCDateTime
    cal = sa.table(
        "calibration_requests",
        *_cols("reference", "customer_id", "company_name", "contact_name", "phone", "email"),
        *_cols("service_location", "service_type", "status"),
        sa.column("created_at", when()),
    )
    fin = sa.table(
        "financing_requests",
        *_cols("reference", "customer_id", "name", "phone", "product_type", "status"),
        sa.column("amount", Money()),
        sa.column("created_at", when()),
    )
    cmp_ = sa.table(
        "complaints",
        *_cols("reference", "customer_id", "stage", "severity", "category"),
        sa.column("created_at", when()),
    )
    hof = sa.table(
        "handoffs",
        *_cols("id", "reference", "customer_id", "status", "callback_channel", "reason", "channel"),
        sa.column("queued_at", when()),
    )
    customers = sa.table("customers", *_cols("id", "company", "name"))
    identities = sa.table("customer_identities", *_cols("id", "customer_id", "kind", "value"))
    cases = sa.table(
        "cases",
        *_cols("reference", "type", "stage", "assignee_id", "customer_id", "handoff_id"),
        *_cols("company", "contact_name", "phone", "email", "search_text", "channel"),
        *_cols("language", "severity", "version", "escalation_reason"),
        sa.column("is_open", sa.Boolean()),
        sa.column("escalated", sa.Boolean()),
        sa.column("amount", Money()),
        sa.column("fields", sa.JSON()),
        *(sa.column(c, when()) for c in ("created_at", "stage_changed_at", "due_at", "updated_at")),
    )
    now = datetime.now(UTC)
    profile = _profile()

    def first_identity(customer_id: int | None, kinds: tuple[str, ...]) -> str | None:
        if customer_id is None:
            return None
        return bind.execute(
            sa.select(identities.c.value)
            .where(identities.c.customer_id == customer_id, identities.c.kind.in_(kinds))
            .order_by(identities.c.id)
            .limit(1)
        ).scalar()

    def customer(customer_id: int | None) -> tuple[str | None, str | None]:
        if customer_id is None:
            return None, None
        row = bind.execute(
            sa.select(customers.c.company, customers.c.name).where(customers.c.id == customer_id)
        ).first()
        return (row[0], row[1]) if row else (None, None)

    rows: list[dict[str, Any]] = []
    for r in bind.execute(sa.select(cal)).mappings():
        stage = "received" if r["status"] == "new" else r["status"]
        rows.append(
            _case(
                r,
                "calibration",
                stage,
                r["company_name"],
                r["contact_name"],
                r["phone"],
                r["email"],
                None,
                {"service_location": r["service_location"], "service_type": r["service_type"]},
                None,
            )
        )
    for r in bind.execute(sa.select(fin)).mappings():
        stage = "received" if r["status"] == "new" else r["status"]
        rows.append(
            _case(
                r,
                "financing",
                stage,
                None,
                r["name"],
                r["phone"],
                None,
                None,
                {"product_type": r["product_type"]},
                r["amount"],
            )
        )
    for r in bind.execute(sa.select(cmp_)).mappings():
        company, name = customer(r["customer_id"])
        phone = first_identity(r["customer_id"], ("phone", "whatsapp"))
        email = first_identity(r["customer_id"], ("email",))
        case = _case(
            r,
            "complaint",
            r["stage"],
            company,
            name,
            phone,
            email,
            r["severity"],
            {"severity": r["severity"], "category": r["category"]},
            None,
        )
        rows.append(case)
    for r in bind.execute(
        sa.select(hof).where(
            sa.or_(
                hof.c.status == "callback",
                sa.and_(hof.c.status == "closed", hof.c.callback_channel.is_not(None)),
            )
        )
    ).mappings():
        company, name = customer(r["customer_id"])
        phone = first_identity(r["customer_id"], ("phone", "whatsapp"))
        email = first_identity(r["customer_id"], ("email",))
        stage = "open" if r["status"] == "callback" else "closed"
        case = _case(
            {**r, "created_at": r["queued_at"]},
            "callback",
            stage,
            company,
            name,
            phone,
            email,
            None,
            {"callback_channel": r["callback_channel"], "reason": r["reason"]},
            None,
        )
        case["handoff_id"] = r["id"]
        case["channel"] = r["channel"]
        rows.append(case)
    for case in rows:
        case.setdefault("escalation_reason", None)
        case["search_text"] = search_haystack(
            case["reference"], case["company"], case["contact_name"], case["phone"], case["email"]
        )
        case["updated_at"] = now
        case["due_at"] = _due(profile, case)
    if rows:
        bind.execute(cases.insert(), rows)
        bind.exec_driver_sql(
            "INSERT INTO case_events (case_id, kind, to_stage, fields, version, at) "
            "SELECT id, 'created', stage, '{}', 1, created_at FROM cases"
        )


def _cols(*names: str) -> list[sa.sql.expression.ColumnClause[Any]]:
    """Untyped columns for plain values (ids, strings); typed ones are spelled out."""
    return [sa.column(name) for name in names]


_FINAL = {"completed", "cancelled", "rejected", "paid_off", "closed"}


def _case(
    r: Any,
    case_type: str,
    stage: str,
    company: str | None,
    name: str | None,
    phone: str | None,
    email: str | None,
    severity: str | None,
    fields: dict[str, Any],
    amount: Any,
) -> dict[str, Any]:
    return {
        "reference": r["reference"],
        "type": case_type,
        "stage": stage,
        "is_open": stage not in _FINAL,
        "assignee_id": None,
        "customer_id": r["customer_id"],
        "handoff_id": None,
        "company": company,
        "contact_name": name,
        "phone": phone,
        "email": email,
        "channel": None,
        "language": "id",
        "severity": severity,
        "amount": amount,
        "fields": fields,
        "created_at": r["created_at"],
        "stage_changed_at": r["created_at"],
        "version": 1,
        "escalated": False,
    }


def _profile() -> Any:
    try:
        from bot.profile import get_profile

        return get_profile()
    except Exception:  # noqa: BLE001 - no profile: cases get no due time, nothing else breaks
        logger.warning("business profile not loadable: backfilled cases get no due time")
        return None


def _due(profile: Any, case: dict[str, Any]) -> datetime | None:
    if profile is None or not case["is_open"]:
        return None
    from bot.cases.sla import due_at

    try:
        pipeline = profile.pipeline(case["type"])
    except Exception:  # noqa: BLE001
        return None
    return due_at(
        profile,
        pipeline,
        case["stage"],
        case["stage_changed_at"],
        created_at=case["created_at"],
        severity=case["severity"],
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_table("case_events")
    op.drop_table("cases")
