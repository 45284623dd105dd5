"""Internal notes on a case's timeline (never shown to the customer).

Why notes do not bump the case version: a note does not change what the case is, so a
colleague writing one must not make another's stage form stale.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.auth import require_write
from bot.cases.errors import CaseNotFound, FieldErrors
from bot.cases.types import Actor
from bot.crm.db import run_in_transaction
from bot.crm.models import Case, CaseEvent
from bot.crm.references import normalize_reference
from bot.crm.sqltypes import utcnow

MAX_NOTE_LENGTH = 5000


def add_note(
    reference: str,
    text: str,
    *,
    actor: Actor,
    url: str | None = None,
    now: datetime | None = None,
) -> int:
    """Append a note; returns the timeline event id."""
    require_write(actor)
    body = (text or "").strip()
    if not body:
        raise FieldErrors({"note": {"id": "Catatan masih kosong.", "en": "The note is empty."}})
    if len(body) > MAX_NOTE_LENGTH:
        raise FieldErrors(
            {"note": {"id": "Catatan terlalu panjang.", "en": "The note is too long."}}
        )
    reference = normalize_reference(reference)

    def work(session: Session) -> int:
        case = session.execute(
            sa.select(Case.id, Case.version).where(Case.reference == reference)
        ).first()
        if case is None:
            raise CaseNotFound(
                f"Kasus {reference} tidak ditemukan.", f"Case {reference} not found."
            )
        event = CaseEvent(
            case_id=case.id,
            kind="note",
            note=body,
            fields={},
            actor_id=actor.id,
            version=case.version,
            at=now or utcnow(),
        )
        session.add(event)
        session.flush()
        return int(event.id)

    return run_in_transaction(work, url)
