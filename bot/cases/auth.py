"""Who may change which case: enforced in the service, so every UI and API gets the same rule.

Why here: the issue requires the desk and the JSON API to share one authorisation. Agents
work their own cases (a complaint only when it is assigned to them or belongs to the
customer whose chat they are handling); supervisors and admins may change any case.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.errors import Forbidden
from bot.cases.types import STAFF_ROLES, Actor
from bot.crm.models import Case, Handoff


def require_staff(actor: Actor) -> None:
    if actor.role not in STAFF_ROLES:
        raise Forbidden("Peran ini tidak punya akses.", "This role has no access.")


def require_write(actor: Actor) -> None:
    require_staff(actor)
    if actor.read_only:
        raise Forbidden("Token ini hanya untuk membaca.", "This token may only read (scope read).")


def require_supervisor(actor: Actor) -> None:
    require_write(actor)
    if not actor.is_supervisor:
        raise Forbidden("Hanya supervisor atau admin.", "Supervisors and admins only.")


def require_admin(actor: Actor) -> None:
    require_write(actor)
    if actor.role != "admin":
        raise Forbidden("Hanya admin.", "Admins only.")


def owns_handoff(session: Session, actor: Actor, case: Case) -> bool:
    """The agent is handling this case's conversation (its handoff, or the customer's chat)."""
    if actor.id is None:
        return False
    conditions = [Handoff.id == case.handoff_id] if case.handoff_id is not None else []
    if case.customer_id is not None:
        conditions.append(
            sa.and_(Handoff.customer_id == case.customer_id, Handoff.status == "active")
        )
    if not conditions:
        return False
    found = session.execute(
        sa.select(Handoff.id).where(Handoff.agent_id == actor.id, sa.or_(*conditions)).limit(1)
    ).first()
    return found is not None


def may_change(session: Session, actor: Actor, case: Case) -> bool:
    if actor.is_supervisor:
        return True
    if actor.id is not None and case.assignee_id == actor.id:
        return True
    if case.type == "complaint":
        return owns_handoff(session, actor, case)
    return case.assignee_id is None  # an unassigned request: whoever picks it up


def require_change(session: Session, actor: Actor, case: Case) -> None:
    require_write(actor)
    if not may_change(session, actor, case):
        raise Forbidden(
            "Kasus ini ditangani petugas lain. Minta supervisor untuk memindahkannya.",
            "Another agent handles this case. Ask a supervisor to reassign it.",
        )
