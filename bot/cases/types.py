"""Plain frozen records the back-office operations take and return (never live ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.crm.models import Case
from bot.crm.sqltypes import utcnow

STAFF_ROLES = ("agent", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")


@dataclass(frozen=True)
class Actor:
    """Who asks: a desk account (id, role) or an API token acting for its creator."""

    id: int | None
    role: str  # agent | supervisor | admin
    read_only: bool = False  # an API token with scope "read"

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES


@dataclass(frozen=True)
class CaseRecord:
    id: int
    reference: str
    type: str
    stage: str
    is_open: bool
    assignee_id: int | None
    customer_id: int | None
    handoff_id: int | None
    company: str | None
    contact_name: str | None
    phone: str | None = field(repr=False)
    email: str | None = field(repr=False)
    channel: str | None
    language: str
    severity: str | None
    amount: Decimal | None
    fields: dict[str, Any] = field(repr=False)
    created_at: datetime
    stage_changed_at: datetime
    due_at: datetime | None
    version: int
    escalated: bool
    escalated_at: datetime | None
    escalation_reason: str | None
    overdue: bool


def case_record(row: Case, now: datetime | None = None) -> CaseRecord:
    now = now or utcnow()
    return CaseRecord(
        id=row.id,
        reference=row.reference,
        type=row.type,
        stage=row.stage,
        is_open=bool(row.is_open),
        assignee_id=row.assignee_id,
        customer_id=row.customer_id,
        handoff_id=row.handoff_id,
        company=row.company,
        contact_name=row.contact_name,
        phone=row.phone,
        email=row.email,
        channel=row.channel,
        language=row.language,
        severity=row.severity,
        amount=row.amount,
        fields=dict(row.fields or {}),
        created_at=row.created_at,
        stage_changed_at=row.stage_changed_at,
        due_at=row.due_at,
        version=row.version,
        escalated=bool(row.escalated),
        escalated_at=row.escalated_at,
        escalation_reason=row.escalation_reason,
        overdue=bool(row.is_open and row.due_at is not None and row.due_at < now),
    )


@dataclass(frozen=True)
class ChangeResult:
    """A stage change, assignment or escalation: the case after it and what it wrote."""

    case: CaseRecord
    event_id: int | None
    notification_id: int | None = None
    replayed: bool = False  # an identical retry: nothing new was written
