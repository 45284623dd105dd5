"""Write notifications inside the caller's transaction (the transactional outbox).

``enqueue`` is the only way a notification comes into being. It takes the caller's open
``Session`` so the row commits or rolls back together with the change it announces, and an
idempotency key so a retried action, a duplicated webhook or a double click adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.crm.idempotency import check_key
from bot.crm.models import NOTIFICATION_CHANNELS, Notification
from bot.crm.sqltypes import utcnow

LANGUAGES = ("id", "en")


@dataclass(frozen=True)
class Enqueued:
    id: int
    created: bool  # False: a notification with this idempotency key already existed


def enqueue(
    session: Session,
    *,
    kind: str,
    channel: str,
    recipient: str,
    idempotency_key: str,
    language: str = "id",
    payload: dict[str, Any] | None = None,
    customer_id: int | None = None,
    reference: str | None = None,
    not_before: datetime | None = None,
) -> Enqueued:
    """Add a pending notification in ``session``'s transaction, once per idempotency key."""
    if channel not in NOTIFICATION_CHANNELS:
        raise ValueError(f"unknown notification channel {channel!r}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if not recipient or not recipient.strip():
        raise ValueError("a notification needs a recipient")
    key = check_key(idempotency_key)
    existing = _find(session, key)
    if existing is not None:
        return Enqueued(id=existing, created=False)
    row = Notification(
        kind=kind,
        channel=channel,
        recipient=recipient.strip(),
        language=language,
        payload=dict(payload or {}),
        customer_id=customer_id,
        reference=reference,
        idempotency_key=key,
        status="pending",
        attempts=0,
        next_attempt_at=not_before or utcnow(),
    )
    # A savepoint: losing a race on the key must not roll back the caller's own change.
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = _find(session, key)
        if existing is None:
            raise
        return Enqueued(id=existing, created=False)
    return Enqueued(id=int(row.id), created=True)


def _find(session: Session, key: str) -> int | None:
    found = session.execute(
        sa.select(Notification.id).where(Notification.idempotency_key == key)
    ).scalar_one_or_none()
    return int(found) if found is not None else None
