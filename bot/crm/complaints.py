"""Complaints and their stage history, following Goodman's problem-solving steps.

received → identified → analysed → negotiating → resolved → closed. Two steps back are
allowed because real cases need them: a failed negotiation goes back to analysis, and a
customer who rejects the resolution reopens the negotiation. Skipping ahead is not
allowed, so the history always shows each step was taken. ``closed`` is final.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from bot.cases.register import open_case, sync_complaint_case
from bot.crm.contact import normalize_email, normalize_phone
from bot.crm.db import affected_rows, run_in_transaction, session_scope
from bot.crm.idempotency import create_once
from bot.crm.models import SEVERITIES, Complaint, ComplaintStageEvent
from bot.crm.references import COMPLAINT, allocate_reference, normalize_reference
from bot.crm.sqltypes import utcnow
from bot.crm.types import ComplaintInput, ComplaintRecord, CreatedRecord, StageEvent, from_row

FIRST_STAGE = "received"
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("identified",),
    "identified": ("analysed",),
    "analysed": ("negotiating", "resolved"),  # not every case needs a negotiation
    "negotiating": ("resolved", "analysed"),
    "resolved": ("closed", "negotiating"),
    "closed": (),
}


class InvalidStageTransition(ValueError):
    """The complaint cannot move to that stage from where it is now."""


class ComplaintNotFound(LookupError):
    pass


def create_complaint(
    customer_id: int,
    data: ComplaintInput,
    idempotency_key: str,
    *,
    channel: str | None = None,
    language: str | None = None,
    url: str | None = None,
) -> CreatedRecord:
    """Log a complaint at the first Goodman stage; a repeated key returns the first ticket."""
    if not (data.category or "").strip():
        raise ValueError("category is required")
    if not (data.description or "").strip():
        raise ValueError("description is required")
    if data.severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}")
    related = normalize_reference(data.related_reference) if data.related_reference else None
    contact_phone = normalize_phone(data.contact_phone) if data.contact_phone else None
    contact_email = normalize_email(data.contact_email) if data.contact_email else None
    contact_name = (data.contact_name or "").strip()[:200] or None

    def build(session: Session) -> Complaint:
        now = utcnow()
        row = Complaint(
            reference=allocate_reference(session, COMPLAINT),
            customer_id=customer_id,
            category=data.category.strip(),
            related_reference=related,
            description=data.description,  # verbatim
            desired_resolution=data.desired_resolution,
            severity=data.severity,
            stage=FIRST_STAGE,
            contact_name=contact_name,
            contact_phone=contact_phone,
            contact_email=contact_email,
            created_at=now,
            updated_at=now,
            events=[ComplaintStageEvent(from_stage=None, to_stage=FIRST_STAGE, note=None, at=now)],
        )
        # The back-office case commits or rolls back together with the complaint.
        open_case(session, row, channel=channel, language=language)
        return row

    return create_once(Complaint, idempotency_key, build, url)


def advance_stage(
    reference: str,
    to_stage: str,
    note: str | None = None,
    agent_id: int | None = None,
    *,
    url: str | None = None,
) -> ComplaintRecord:
    """Move a complaint to ``to_stage`` and record who did it and why.

    Raises InvalidStageTransition for a move the workflow does not allow (also when another
    agent moved it a moment earlier) and ComplaintNotFound for an unknown reference.
    """
    reference = normalize_reference(reference)

    def work(session: Session) -> ComplaintRecord:
        complaint = _load(session, reference)
        current = complaint.stage
        if to_stage not in ALLOWED_TRANSITIONS.get(current, ()):
            allowed = ", ".join(ALLOWED_TRANSITIONS.get(current, ())) or "none (closed)"
            raise InvalidStageTransition(
                f"{reference} cannot move from {current} to {to_stage}; allowed: {allowed}"
            )
        now = utcnow()
        # Conditional on the stage we read, so two agents acting at once cannot both apply.
        moved = affected_rows(
            session,
            sa.update(Complaint)
            .where(Complaint.id == complaint.id, Complaint.stage == current)
            .values(stage=to_stage, updated_at=now)
            .execution_options(synchronize_session=False),
        )
        if moved != 1:
            raise InvalidStageTransition(f"{reference} was changed by someone else; reload it")
        session.add(
            ComplaintStageEvent(
                complaint_id=complaint.id,
                from_stage=current,
                to_stage=to_stage,
                note=note,
                agent_id=agent_id,
                at=now,
            )
        )
        sync_complaint_case(session, reference, to_stage, note, agent_id, now)
        session.flush()
        session.expire_all()
        return _record(_load(session, reference))

    return run_in_transaction(work, url)


def get_complaint(reference: str, *, url: str | None = None) -> ComplaintRecord | None:
    with session_scope(url, readonly=True) as session:
        try:
            return _record(_load(session, normalize_reference(reference)))
        except ComplaintNotFound:
            return None


def _load(session: Session, reference: str) -> Complaint:
    complaint: Complaint | None = session.execute(
        sa.select(Complaint)
        .options(selectinload(Complaint.events))
        .where(Complaint.reference == reference)
    ).scalar_one_or_none()
    if complaint is None:
        raise ComplaintNotFound(reference)
    return complaint


def _record(complaint: Complaint) -> ComplaintRecord:
    return from_row(
        ComplaintRecord,
        complaint,
        history=tuple(from_row(StageEvent, event) for event in complaint.events),
    )
