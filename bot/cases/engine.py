"""Apply a stage change inside an open transaction: case row, timeline, mirrors, notification.

Why separate from ``transition``: the checked entry point (``transition.transition``: roles,
legal moves, fields, version) is not the only path that moves a case. The desk's older
complaint control (``bot.crm.complaints.advance_stage``) and closing a callback handoff move
them too; all paths end here, so the case row, its timeline, the request tables' mirrored
status and the customer notification can never disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.notify import ask_reminder_consent, enqueue_stage_change
from bot.cases.pipelines import Pipeline, StageDef
from bot.cases.sla import due_at
from bot.crm.models import (
    CalibrationRequest,
    Case,
    CaseEvent,
    Complaint,
    ComplaintStageEvent,
    FinancingRequest,
    Handoff,
)
from bot.profile import BusinessProfile


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def derived_values(stage: StageDef, fields: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for item in stage.derived:
        base = fields.get(item.base)
        if base:
            values[item.name] = add_months(date.fromisoformat(str(base)), item.months).isoformat()
    return values


def apply_stage(
    session: Session,
    case: Case,
    pipeline: Pipeline,
    stage: StageDef,
    profile: BusinessProfile,
    *,
    fields: dict[str, Any],
    note: str | None,
    actor_id: int | None,
    now: datetime,
    mirror: bool = True,
) -> CaseEvent:
    """Move ``case`` (locked by the caller) into ``stage``; returns the timeline event.

    ``mirror=False`` when the caller already updated the source table itself (the legacy
    complaint and handoff paths).
    """
    from_stage = case.stage
    fields = {**fields, **derived_values(stage, fields)}
    case.stage = stage.id
    case.is_open = not stage.final
    case.stage_changed_at = now
    case.version = case.version + 1
    case.fields = {**(case.fields or {}), **fields}
    if stage.fields and any(f.name == "amount" and f.type == "money" for f in stage.fields):
        case.amount = fields.get("amount", case.amount)
    case.due_at = due_at(
        profile, pipeline, stage.id, now, created_at=case.created_at, severity=case.severity
    )
    case.updated_at = now
    if mirror:
        _mirror(session, case, from_stage, stage, note, actor_id, now)
    notification_id = None
    if stage.notify:
        visible = customer_details(stage, fields)
        notification_id = enqueue_stage_change(session, case, pipeline, stage, profile, visible)
    if case.type == "calibration" and fields.get("expiry_date"):
        # Certificates issued: ask once whether to remind before they expire (after the
        # stage notification, so the customer reads them in that order).
        ask_reminder_consent(session, case, str(fields["expiry_date"]), profile)
    event = CaseEvent(
        case_id=case.id,
        kind="stage_changed",
        from_stage=from_stage,
        to_stage=stage.id,
        fields=fields,
        note=note,
        actor_id=actor_id,
        notification_id=notification_id,
        version=case.version,
        at=now,
    )
    session.add(event)
    session.flush()
    return event


def customer_details(stage: StageDef, fields: dict[str, Any]) -> dict[str, Any]:
    names = [f.name for f in stage.fields if f.customer_visible]
    names += [d.name for d in stage.derived if d.customer_visible]
    return {name: fields[name] for name in names if name in fields}


def _mirror(
    session: Session,
    case: Case,
    from_stage: str,
    stage: StageDef,
    note: str | None,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Keep the request tables' own status columns equal to the case stage."""
    if case.type in ("calibration", "financing"):
        model = CalibrationRequest if case.type == "calibration" else FinancingRequest
        session.execute(
            sa.update(model)
            .where(model.reference == case.reference)
            .values(status=stage.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    elif case.type == "complaint":
        complaint_id = session.execute(
            sa.select(Complaint.id).where(Complaint.reference == case.reference)
        ).scalar_one_or_none()
        if complaint_id is not None:
            session.execute(
                sa.update(Complaint)
                .where(Complaint.id == complaint_id)
                .values(stage=stage.id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            session.add(
                ComplaintStageEvent(
                    complaint_id=complaint_id,
                    from_stage=from_stage,
                    to_stage=stage.id,
                    note=note,
                    agent_id=actor_id,
                    at=now,
                )
            )
    elif case.type == "callback" and stage.final and case.handoff_id is not None:
        session.execute(
            sa.update(Handoff)
            .where(Handoff.id == case.handoff_id, Handoff.status == "callback")
            .values(
                status="closed",
                closed_at=now,
                agent_id=sa.func.coalesce(Handoff.agent_id, actor_id),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def lock_case(session: Session, reference: str) -> Case | None:
    """The case row, locked for this transaction (FOR UPDATE on PostgreSQL; on SQLite the
    write transaction already holds the database's write lock: BEGIN IMMEDIATE)."""
    return session.execute(
        sa.select(Case).where(Case.reference == reference).with_for_update()
    ).scalar_one_or_none()
