"""Create a record exactly once per idempotency key.

The key is derived by the caller from the conversation and the confirming event, so a
retried action call or a redelivered webhook carries the same key. The UNIQUE constraint on
``idempotency_key`` is the real guard: when two calls race, the loser's INSERT fails, its
whole transaction (including the reference number it took) rolls back, and it returns the
winner's record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.crm.db import run_in_transaction, session_scope
from bot.crm.models import CalibrationRequest, Complaint, Feedback, FinancingRequest
from bot.crm.types import CreatedRecord

MAX_KEY_LENGTH = 200

# The tables whose rows a customer confirms: each has a UNIQUE ``idempotency_key``.
Confirmed = TypeVar("Confirmed", CalibrationRequest, FinancingRequest, Complaint, Feedback)


def check_key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not key:
        raise ValueError("an idempotency key is required")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"idempotency key longer than {MAX_KEY_LENGTH} characters")
    return key


def find_created(model: type[Confirmed], key: str, url: str | None) -> CreatedRecord | None:
    reference = getattr(model, "reference", sa.null())
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(model.id, reference).where(model.idempotency_key == key)
        ).first()
    return CreatedRecord(id=row[0], reference=row[1], created=False) if row else None


def create_once(
    model: type[Confirmed],
    idempotency_key: str,
    build: Callable[[Session], Confirmed],
    url: str | None = None,
) -> CreatedRecord:
    """Insert ``build(session)`` unless a row with this key exists; return that row otherwise."""
    key = check_key(idempotency_key)
    existing = find_created(model, key, url)
    if existing:
        return existing

    def work(session: Session) -> CreatedRecord:
        row = build(session)
        row.idempotency_key = key
        session.add(row)
        session.flush()
        return CreatedRecord(id=row.id, reference=getattr(row, "reference", None), created=True)

    try:
        return run_in_transaction(work, url)
    except IntegrityError:
        existing = find_created(model, key, url)
        if existing:
            return existing
        raise  # another constraint (e.g. an unknown customer id): a real error
