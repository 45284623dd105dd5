"""Assign a case to a person, and escalate it to a supervisor with a reason.

Why version-checked like a stage change: an assignment decides who works the case, so two
supervisors reassigning at once must not silently overwrite each other. Agents may only
take an unassigned case for themselves; supervisors and admins assign anyone. An escalation
flags the case for the supervisors' list (``queries.CaseFilter(escalated=True)``) and may
hand it to a named supervisor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.cases.auth import require_change
from bot.cases.engine import lock_case
from bot.cases.errors import CaseNotFound, FieldErrors, Forbidden, IllegalTransition, StaleCase
from bot.cases.types import SUPERVISOR_ROLES, Actor, ChangeResult, case_record
from bot.crm.db import run_in_transaction
from bot.crm.models import Agent, Case, CaseEvent
from bot.crm.references import normalize_reference
from bot.crm.sqltypes import utcnow


def _locked(session: Session, reference: str, expected_version: int | None) -> Case:
    case = lock_case(session, reference)
    if case is None:
        raise CaseNotFound(f"Kasus {reference} tidak ditemukan.", f"Case {reference} not found.")
    if expected_version is not None and case.version != expected_version:
        raise StaleCase(
            f"{reference} baru saja diubah orang lain. Muat ulang halaman lalu coba lagi.",
            f"{reference} was just changed by someone else. Reload and try again.",
        )
    return case


def _active_agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise FieldErrors(
            {"assignee_id": {"id": "Petugas tidak ditemukan.", "en": "No such active account."}}
        )
    return agent


def assign(
    reference: str,
    assignee_id: int | None,
    *,
    actor: Actor,
    expected_version: int | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> ChangeResult:
    """Give the case to ``assignee_id`` (None: unassign; supervisors only)."""
    reference = normalize_reference(reference)

    def work(session: Session) -> ChangeResult:
        moment = now or utcnow()
        case = _locked(session, reference, expected_version)
        if not actor.is_supervisor and (assignee_id is None or assignee_id != actor.id):
            raise Forbidden(
                "Petugas hanya bisa mengambil kasus untuk dirinya sendiri.",
                "Agents can only assign cases to themselves.",
            )
        require_change(session, actor, case)
        if assignee_id is not None:
            _active_agent(session, assignee_id)
        if case.assignee_id == assignee_id:
            return ChangeResult(case_record(case, moment), None, replayed=True)
        case.assignee_id = assignee_id
        case.version += 1
        case.updated_at = moment
        event = CaseEvent(
            case_id=case.id,
            kind="assigned",
            assignee_id=assignee_id,
            fields={},
            actor_id=actor.id,
            version=case.version,
            at=moment,
        )
        session.add(event)
        session.flush()
        return ChangeResult(case_record(case, moment), event.id)

    return run_in_transaction(work, url)


def escalate(
    reference: str,
    reason: str,
    *,
    actor: Actor,
    supervisor_id: int | None = None,
    expected_version: int | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> ChangeResult:
    """Flag the case for the supervisors (reason required), optionally assigning one."""
    reference = normalize_reference(reference)
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors(
            {"reason": {"id": "Tulis alasan eskalasi.", "en": "Give a reason for the escalation."}}
        )

    def work(session: Session) -> ChangeResult:
        moment = now or utcnow()
        case = _locked(session, reference, expected_version)
        require_change(session, actor, case)
        if not case.is_open:
            raise IllegalTransition(
                f"{reference} sudah selesai; tidak bisa dieskalasi.",
                f"{reference} is finished and cannot be escalated.",
            )
        if case.escalated:
            raise IllegalTransition(
                f"{reference} sudah dieskalasi.", f"{reference} is already escalated."
            )
        if supervisor_id is not None:
            supervisor = _active_agent(session, supervisor_id)
            if supervisor.role not in SUPERVISOR_ROLES:
                raise FieldErrors(
                    {
                        "supervisor_id": {
                            "id": "Pilih akun supervisor.",
                            "en": "Pick a supervisor account.",
                        }
                    }
                )
            case.assignee_id = supervisor_id
        case.escalated = True
        case.escalated_at = moment
        case.escalation_reason = reason
        case.version += 1
        case.updated_at = moment
        event = CaseEvent(
            case_id=case.id,
            kind="escalated",
            note=reason,
            assignee_id=supervisor_id,
            fields={},
            actor_id=actor.id,
            version=case.version,
            at=moment,
        )
        session.add(event)
        session.flush()
        return ChangeResult(case_record(case, moment), event.id)

    return run_in_transaction(work, url)
