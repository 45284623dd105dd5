"""Move a case to another stage: the state machine, enforced in the CRM layer.

Why all checks live here: the desk form, the JSON API and anything later call the same
function, so an illegal move is refused the same way everywhere. One transaction locks the
case row (SELECT ... FOR UPDATE on PostgreSQL, SQLite's write lock via BEGIN IMMEDIATE),
checks the caller's ``expected_version`` (two people advancing the same case at once: one
wins, the other gets ``StaleCase`` and reloads), validates the move and the stage's fields,
writes the timeline event, mirrors the request tables' status and enqueues the customer
notification (``bot.notify.outbox``) before it commits. An identical retry of a request
that already succeeded (same actor, stage, fields, note and expected version) returns the
first result and writes nothing, so a double click or a retried API call notifies once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.auth import require_change, require_staff
from bot.cases.engine import apply_stage, derived_values, lock_case
from bot.cases.errors import CaseNotFound, FieldErrors, IllegalTransition, StaleCase
from bot.cases.fields import FieldSpec, ItemLine, field_specs, parse_fields
from bot.cases.pipelines import pick
from bot.cases.types import Actor, ChangeResult, case_record
from bot.crm.db import run_in_transaction, session_scope
from bot.crm.models import CalibrationRequest, CalibrationRequestItem, Case, CaseEvent
from bot.crm.references import normalize_reference
from bot.crm.sqltypes import utcnow
from bot.profile import BusinessProfile, get_profile


@dataclass(frozen=True)
class NextStage:
    """A stage the case may move to now, with the fields the move needs."""

    id: str
    label: Mapping[str, str]
    final: bool
    notify: bool
    fields: tuple[FieldSpec, ...]


def transition(
    reference: str,
    to_stage: str,
    fields: Mapping[str, Any] | None = None,
    note: str | None = None,
    *,
    actor: Actor,
    expected_version: int | None = None,
    url: str | None = None,
    profile: BusinessProfile | None = None,
    now: datetime | None = None,
) -> ChangeResult:
    """Move ``reference`` to ``to_stage``.

    Raises CaseNotFound (404), Forbidden (403), StaleCase (409: the case changed since
    ``expected_version``), IllegalTransition (409) or FieldErrors (422).
    """
    reference = normalize_reference(reference)
    profile = profile or get_profile()
    note = (note or "").strip() or None

    def work(session: Session) -> ChangeResult:
        moment = now or utcnow()
        case = lock_case(session, reference)
        if case is None:
            raise CaseNotFound(
                f"Kasus {reference} tidak ditemukan.", f"Case {reference} not found."
            )
        require_change(session, actor, case)
        pipeline = profile.pipeline(case.type)
        if expected_version is not None and case.version != expected_version:
            replay = _replayed(
                session, case, expected_version, to_stage, fields, note, actor, profile
            )
            if replay is not None:
                return ChangeResult(
                    case_record(case, moment), replay.id, replay.notification_id, True
                )
            raise StaleCase(
                f"{reference} baru saja diubah orang lain. Muat ulang halaman lalu coba lagi.",
                f"{reference} was just changed by someone else. Reload and try again.",
            )
        allowed = pipeline.allowed_moves(case.stage, case.fields or {})
        stage = next((s for s in allowed if s.id == to_stage), None)
        if stage is None:
            names = ", ".join(s.id for s in allowed) or "-"
            raise IllegalTransition(
                f"{reference} tidak bisa dipindah dari tahap "
                f"'{pipeline.stage_label(case.stage, 'id')}' ke '{to_stage}'. Pilihan: {names}.",
                f"{reference} cannot move from '{pipeline.stage_label(case.stage, 'en')}' "
                f"to '{to_stage}'. Allowed: {names}.",
            )
        parsed = parse_fields(stage, fields, item_lines(session, case, profile))
        event = apply_stage(
            session,
            case,
            pipeline,
            stage,
            profile,
            fields=parsed,
            note=note,
            actor_id=actor.id,
            now=moment,
        )
        return ChangeResult(case_record(case, moment), event.id, event.notification_id)

    return run_in_transaction(work, url)


def _replayed(
    session: Session,
    case: Case,
    expected_version: int,
    to_stage: str,
    fields: Mapping[str, Any] | None,
    note: str | None,
    actor: Actor,
    profile: BusinessProfile,
) -> CaseEvent | None:
    """The event an identical earlier request wrote right after ``expected_version``."""
    if case.version != expected_version + 1:
        return None
    event = session.execute(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.version == case.version)
    ).scalar_one_or_none()
    if (
        event is None
        or event.kind != "stage_changed"
        or event.to_stage != to_stage
        or event.actor_id != actor.id
        or (event.note or None) != note
    ):
        return None
    stage = profile.pipeline(case.type).stage(to_stage)
    if stage is None:
        return None
    try:
        parsed = parse_fields(stage, fields, item_lines(session, case, profile))
    except FieldErrors:
        return None
    return event if {**parsed, **derived_values(stage, parsed)} == event.fields else None


def item_lines(session: Session, case: Case, profile: BusinessProfile) -> list[ItemLine]:
    """The instrument lines of a calibration case (per-item fields need one value each)."""
    if case.type != "calibration":
        return []
    rows = session.execute(
        sa.select(CalibrationRequestItem)
        .join(CalibrationRequest, CalibrationRequest.id == CalibrationRequestItem.request_id)
        .where(CalibrationRequest.reference == case.reference)
        .order_by(CalibrationRequestItem.id)
    ).scalars()
    lines = []
    for row in rows:
        instrument = profile.instrument(row.instrument_type)
        name = pick(instrument.name, case.language) if instrument else row.instrument_type
        spec = f" ({row.spec})" if row.spec else ""
        lines.append(ItemLine(row.id, f"{name}{spec} ×{row.quantity}"))
    return lines


def next_stages(
    reference: str,
    *,
    actor: Actor,
    url: str | None = None,
    profile: BusinessProfile | None = None,
) -> list[NextStage]:
    """The stages ``reference`` may move to now, each with its fields (for forms and the API)."""
    require_staff(actor)
    profile = profile or get_profile()
    with session_scope(url, readonly=True) as session:
        case = session.execute(
            sa.select(Case).where(Case.reference == normalize_reference(reference))
        ).scalar_one_or_none()
        if case is None:
            raise CaseNotFound(
                f"Kasus {reference} tidak ditemukan.", f"Case {reference} not found."
            )
        pipeline = profile.pipeline(case.type)
        items = item_lines(session, case, profile)
        return [
            NextStage(s.id, s.label, s.final, s.notify, tuple(field_specs(s, items)))
            for s in pipeline.allowed_moves(case.stage, case.fields or {})
        ]
