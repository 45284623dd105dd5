"""Open the case row of a new request, complaint or callback ticket, in ITS transaction.

Why inside the creating transaction: a request that exists without its case would be
invisible to staff (the old write-only CRM); a case without its request would list a ghost.
The creating functions in ``bot.crm`` (requests, complaints, handoffs) call
:func:`open_case` with their open session, so both rows commit or roll back together, and an
idempotent retry that finds the first request adds no second case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.contact import request_contact, search_haystack
from bot.cases.sla import due_at
from bot.crm.models import (
    CalibrationRequest,
    Case,
    CaseEvent,
    Complaint,
    FinancingRequest,
    Handoff,
)
from bot.crm.sqltypes import utcnow
from bot.profile import BusinessProfile, get_profile

Source = CalibrationRequest | FinancingRequest | Complaint | Handoff


def case_type_of(row: Source) -> str:
    if isinstance(row, CalibrationRequest):
        return "calibration"
    if isinstance(row, FinancingRequest):
        return "financing"
    if isinstance(row, Complaint):
        return "complaint"
    return "callback"


def attributes_of(row: Source) -> dict[str, Any]:
    """What stage rules (``when``) and lists look at, copied from the request."""
    if isinstance(row, CalibrationRequest):
        return {"service_location": row.service_location, "service_type": row.service_type}
    if isinstance(row, FinancingRequest):
        return {"product_type": row.product_type}
    if isinstance(row, Complaint):
        return {"severity": row.severity, "category": row.category}
    return {"callback_channel": row.callback_channel, "reason": row.reason}


def open_case(
    session: Session,
    row: Source,
    *,
    channel: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
    profile: BusinessProfile | None = None,
) -> Case:
    """Add the case (and its "created" timeline event) for ``row`` to ``session``."""
    profile = profile or get_profile()
    case_type = case_type_of(row)
    pipeline = profile.pipeline(case_type)
    now = now or utcnow()
    created_at = getattr(row, "created_at", None) or getattr(row, "queued_at", None) or now
    contact = request_contact(session, row)
    severity = row.severity if isinstance(row, Complaint) else None
    stage = pipeline.initial
    case = Case(
        reference=row.reference,
        type=case_type,
        stage=stage,
        is_open=True,
        customer_id=row.customer_id,
        handoff_id=row.id if isinstance(row, Handoff) else None,
        company=_cut(contact.company, 200),
        contact_name=_cut(contact.name, 200),
        phone=_cut(contact.phone, 20),
        email=_cut(contact.email, 320),
        search_text=search_haystack(
            row.reference, contact.company, contact.name, contact.phone, contact.email
        ),
        channel=channel or (row.channel if isinstance(row, Handoff) else None),
        language="en" if language == "en" else "id",
        severity=severity,
        amount=row.amount if isinstance(row, FinancingRequest) else None,
        fields=attributes_of(row),
        created_at=created_at,
        stage_changed_at=created_at,
        due_at=due_at(
            profile, pipeline, stage, created_at, created_at=created_at, severity=severity
        ),
        version=1,
        escalated=False,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    session.add(
        CaseEvent(case_id=case.id, kind="created", to_stage=stage, fields={}, version=1, at=now)
    )
    return case


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


def close_callback_case(session: Session, handoff_id: int, actor_id: int | None) -> None:
    """A callback handoff was closed on the desk: its case reaches the final stage too."""
    from bot.cases.engine import apply_stage, lock_case

    reference = session.execute(
        sa.select(Case.reference).where(
            Case.handoff_id == handoff_id, Case.type == "callback", Case.is_open.is_(True)
        )
    ).scalar_one_or_none()
    if reference is None:
        return
    case = lock_case(session, reference)
    if case is None:
        return
    profile = get_profile()
    pipeline = profile.pipeline("callback")
    moves = pipeline.allowed_moves(case.stage, case.fields or {})
    final = next((stage for stage in moves if stage.final), None)
    if final is None:
        return
    apply_stage(
        session,
        case,
        pipeline,
        final,
        profile,
        fields={},
        note=None,
        actor_id=actor_id,
        now=utcnow(),
        mirror=False,
    )


def sync_complaint_case(
    session: Session,
    reference: str,
    to_stage: str,
    note: str | None,
    actor_id: int | None,
    now: datetime,
) -> None:
    """The desk's older complaint control moved a complaint: move its case the same way
    (timeline, due time, customer notification); the complaint row is already updated."""
    from bot.cases.engine import apply_stage, lock_case

    case = lock_case(session, reference)
    profile = get_profile()
    pipeline = profile.pipeline("complaint")
    stage = pipeline.stage(to_stage)
    if case is None or stage is None:
        return
    apply_stage(
        session,
        case,
        pipeline,
        stage,
        profile,
        fields={},
        note=note,
        actor_id=actor_id,
        now=now,
        mirror=False,
    )
