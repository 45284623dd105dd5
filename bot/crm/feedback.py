"""Customer feedback (CSAT 1-5, kritik/saran/pujian, would-recommend), stored once per key."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.db import session_scope
from bot.crm.idempotency import check_key, create_once
from bot.crm.models import FEEDBACK_KINDS, Feedback
from bot.crm.references import normalize_reference
from bot.crm.sqltypes import utcnow
from bot.crm.types import CreatedRecord, FeedbackInput


def record_feedback(
    customer_id: int,
    data: FeedbackInput,
    idempotency_key: str,
    *,
    url: str | None = None,
) -> CreatedRecord:
    """Store one feedback; ``handoff_id`` links it to a handoff for the CSAT-after-handoff figure."""
    if (
        isinstance(data.rating, bool)
        or not isinstance(data.rating, int)
        or not 1 <= data.rating <= 5
    ):
        raise ValueError("rating must be a whole number from 1 to 5")
    if data.kind is not None and data.kind not in FEEDBACK_KINDS:
        raise ValueError(f"kind must be one of {FEEDBACK_KINDS}")

    def build(session: Session) -> Feedback:
        return Feedback(
            customer_id=customer_id,
            rating=data.rating,
            kind=data.kind,
            would_recommend=data.would_recommend,
            comment=data.comment,  # verbatim
            related_reference=normalize_reference(data.related_reference)
            if data.related_reference
            else None,
            handoff_id=data.handoff_id,
            created_at=utcnow(),
        )

    return create_once(Feedback, idempotency_key, build, url)


def record_feedback_answers(
    customer_id: int,
    data: FeedbackInput,
    idempotency_key: str,
    *,
    url: str | None = None,
) -> CreatedRecord:
    """Store feedback as it is given: the first answer (the rating) creates the row, each
    later answer (kind, would-recommend, comment) fills it in. One row per key however
    often it is called, so a 4★ rating is kept even if the customer stops answering."""
    created = record_feedback(customer_id, data, idempotency_key, url=url)
    if created.created:
        return created
    values = {
        "rating": data.rating,
        "kind": data.kind,
        "would_recommend": data.would_recommend,
        "comment": data.comment,
    }
    with session_scope(url) as session:
        session.execute(
            sa.update(Feedback)
            .where(Feedback.idempotency_key == check_key(idempotency_key))
            .values({name: value for name, value in values.items() if value is not None})
        )
    return created
