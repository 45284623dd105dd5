"""Handoffs to human agents: the queue, atomic claiming, messages, callbacks and statistics.

The database is the only truth for handoff state, so several Rasa replicas and desk
processes agree on it. Status: waiting (in the queue) → active (claimed by an agent) →
closed; or waiting → callback (no agent available; someone calls the customer back) →
closed. The bot is paused while a handoff is waiting or active.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.register import close_callback_case, open_case
from bot.crm.db import affected_rows, run_in_transaction, session_scope
from bot.crm.idempotency import check_key
from bot.crm.models import (
    CALLBACK_CHANNELS,
    HANDOFF_SENDERS,
    OPEN_HANDOFF_STATUSES,
    Customer,
    Feedback,
    Handoff,
    HandoffMessage,
)
from bot.crm.references import HANDOFF, allocate_reference
from bot.crm.sqltypes import utcnow
from bot.crm.types import (
    HandoffMessageRecord,
    HandoffRecord,
    HandoffStats,
    QueueEntry,
    from_row,
)


def open_handoff(
    sender_id: str,
    channel: str,
    customer_id: int | None,
    reason: str,
    captured_fields: dict[str, Any] | None = None,
    transcript: Sequence[Any] | None = None,
    idempotency_key: str = "",
    *,
    url: str | None = None,
) -> HandoffRecord:
    """Queue a handoff, or return the open one for this sender (``created`` tells which).

    ``captured_fields`` and ``transcript`` are stored as JSON; values JSON cannot hold
    (Decimal, dates) are stored as strings.
    """
    key = check_key(idempotency_key)
    if not (reason or "").strip():
        raise ValueError("reason is required")
    fields = _jsonable(captured_fields or {})
    lines = _jsonable(list(transcript or []))

    def work(session: Session) -> HandoffRecord:
        existing = (
            session.execute(
                sa.select(Handoff)
                .where(
                    sa.or_(
                        Handoff.idempotency_key == key,
                        sa.and_(
                            Handoff.sender_id == sender_id,
                            Handoff.status.in_(OPEN_HANDOFF_STATUSES),
                        ),
                    )
                )
                .order_by(Handoff.id.desc())
            )
            .scalars()
            .first()
        )
        if existing is not None:
            return _record(existing)
        now = utcnow()
        row = Handoff(
            reference=allocate_reference(session, HANDOFF),
            sender_id=sender_id,
            channel=channel,
            customer_id=customer_id,
            reason=reason.strip(),
            status="waiting",
            captured_fields=fields,
            transcript=lines,
            queued_at=now,
            updated_at=now,
            idempotency_key=key,
        )
        session.add(row)
        session.flush()
        return _record(row, created=True)

    # A conflict means another replica opened one a moment ago: the retry returns it.
    return run_in_transaction(work, url, retry_conflicts=True)


def get_handoff(handoff_id: int, *, url: str | None = None) -> HandoffRecord | None:
    with session_scope(url, readonly=True) as session:
        row = session.get(Handoff, handoff_id)
        return _record(row) if row else None


def active_handoff_for(sender_id: str, *, url: str | None = None) -> HandoffRecord | None:
    """The waiting or active handoff of a conversation: while it exists the bot stays silent."""
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(Handoff).where(
                Handoff.sender_id == sender_id, Handoff.status.in_(OPEN_HANDOFF_STATUSES)
            )
        ).scalar_one_or_none()
        return _record(row) if row else None


def queue(*, url: str | None = None) -> list[QueueEntry]:
    """Waiting handoffs, oldest first, with how long each has waited."""
    now = utcnow()
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(Handoff, Customer.name)
            .outerjoin(Customer, Customer.id == Handoff.customer_id)
            .where(Handoff.status == "waiting")
            .order_by(Handoff.queued_at, Handoff.id)
        ).all()
        return [
            QueueEntry(
                position=position,
                handoff_id=row.id,
                reference=row.reference,
                sender_id=row.sender_id,
                channel=row.channel,
                reason=row.reason,
                customer_id=row.customer_id,
                customer_name=name,
                queued_at=row.queued_at,
                waiting_seconds=max(0.0, (now - row.queued_at).total_seconds()),
            )
            for position, (row, name) in enumerate(rows, start=1)
        ]


def queue_position(handoff_id: int, *, url: str | None = None) -> int | None:
    """1 for the next handoff to be served; None when it is not waiting."""
    with session_scope(url, readonly=True) as session:
        row = session.get(Handoff, handoff_id)
        if row is None or row.status != "waiting":
            return None
        ahead = session.execute(
            sa.select(sa.func.count())
            .select_from(Handoff)
            .where(
                Handoff.status == "waiting",
                sa.or_(
                    Handoff.queued_at < row.queued_at,
                    sa.and_(Handoff.queued_at == row.queued_at, Handoff.id < row.id),
                ),
            )
        ).scalar_one()
        return int(ahead) + 1


def claim(handoff_id: int, agent_id: int, *, url: str | None = None) -> bool:
    """Give a waiting handoff to ``agent_id``. Exactly one of several simultaneous claims wins.

    One conditional UPDATE: the database applies it to the row once, so the losers see
    rowcount 0 (PostgreSQL re-checks the WHERE after waiting for the winner's row lock).
    """
    now = utcnow()
    return _conditional_update(
        handoff_id, ("waiting",), {"status": "active", "agent_id": agent_id, "claimed_at": now}, url
    )


def close(handoff_id: int, agent_id: int | None, *, url: str | None = None) -> bool:
    """Close a waiting, active or callback handoff; False if it was already closed."""
    values: dict[str, Any] = {"status": "closed", "closed_at": utcnow()}
    if agent_id is not None:
        values["agent_id"] = sa.func.coalesce(Handoff.agent_id, agent_id)

    def work(session: Session) -> bool:
        if not _update_status(session, handoff_id, ("waiting", "active", "callback"), values):
            return False
        close_callback_case(session, handoff_id, agent_id)  # a callback ticket's case, if any
        return True

    return run_in_transaction(work, url)


def leave_queue(handoff_id: int, *, url: str | None = None) -> bool:
    """The customer left the queue: close the handoff only if it is still waiting.

    Conditional like :func:`claim`, so a customer leaving and an agent claiming at the same
    moment cannot both win: a claimed conversation stays with its agent.
    """
    return _conditional_update(
        handoff_id, ("waiting",), {"status": "closed", "closed_at": utcnow()}, url
    )


def mark_callback(
    handoff_id: int, channel: str, callback_time: str | None, *, url: str | None = None
) -> bool:
    """Turn a waiting handoff into a callback ticket (no agent online, or out of hours)."""
    if channel not in CALLBACK_CHANNELS:
        raise ValueError(f"callback channel must be one of {CALLBACK_CHANNELS}")
    values = {"status": "callback", "callback_channel": channel, "callback_time": callback_time}

    def work(session: Session) -> bool:
        if not _update_status(session, handoff_id, ("waiting",), values):
            return False
        # The ticket becomes a back-office case in the same transaction.
        row = session.get(Handoff, handoff_id)
        if row is not None:
            session.refresh(row)
            open_case(session, row)
        return True

    return run_in_transaction(work, url)


def callbacks(*, url: str | None = None) -> list[HandoffRecord]:
    """Open callback tickets, oldest first."""
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(Handoff)
            .where(Handoff.status == "callback")
            .order_by(Handoff.queued_at, Handoff.id)
        ).scalars()
        return [_record(row) for row in rows]


def active_handoffs(agent_id: int | None = None, *, url: str | None = None) -> list[HandoffRecord]:
    """Claimed, not yet closed handoffs (of one agent, if given), oldest claim first."""
    query = sa.select(Handoff).where(Handoff.status == "active")
    if agent_id is not None:
        query = query.where(Handoff.agent_id == agent_id)
    with session_scope(url, readonly=True) as session:
        rows = session.execute(query.order_by(Handoff.claimed_at, Handoff.id)).scalars()
        return [_record(row) for row in rows]


def add_message(
    handoff_id: int,
    sender: str,
    text: str,
    agent_id: int | None = None,
    *,
    url: str | None = None,
) -> HandoffMessageRecord:
    """Append a message (verbatim) to a handoff's conversation; ``note`` is internal-only."""
    if sender not in HANDOFF_SENDERS:
        raise ValueError(f"sender must be one of {HANDOFF_SENDERS}")
    if text is None:
        raise ValueError("text is required")

    def work(session: Session) -> HandoffMessageRecord:
        row = HandoffMessage(
            handoff_id=handoff_id, sender=sender, agent_id=agent_id, text=text, created_at=utcnow()
        )
        session.add(row)
        session.flush()
        return _message_record(row)

    return run_in_transaction(work, url)


def messages(
    handoff_id: int, *, after_id: int | None = None, url: str | None = None
) -> list[HandoffMessageRecord]:
    """A handoff's messages in order; ``after_id`` returns only newer ones (for polling)."""
    query = sa.select(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id)
    if after_id is not None:
        query = query.where(HandoffMessage.id > after_id)
    with session_scope(url, readonly=True) as session:
        return [
            _message_record(row)
            for row in session.execute(query.order_by(HandoffMessage.id)).scalars()
        ]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (``fraction`` 0..1] of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class WaitFigures:
    """Queue waits for the supervisor, customers still waiting included."""

    median_wait_seconds: float | None
    p90_wait_seconds: float | None
    waiting_counted: int  # how many of the waits are still running
    median_handling_seconds: float | None


def wait_figures(
    rows: Sequence[tuple[datetime, datetime | None, datetime | None, str]], now: datetime
) -> WaitFigures:
    """Wait and handling figures from ``(queued_at, claimed_at, closed_at, status)`` rows.

    A customer still waiting counts with the wait so far (``now - queued_at``): leaving them
    out made the median look best exactly when the queue was worst (six chats waiting over
    ten minutes, "median 8 s"). One who left the queue unserved counts until they left.
    Handling time counts conversations still open with their time so far, for the same
    reason: long chats in progress are what keeps the next customer waiting.
    """
    waits: list[float] = []
    handling: list[float] = []
    running = 0
    for queued, claimed, closed, status in rows:
        if claimed is not None:
            waits.append((claimed - queued).total_seconds())
            end = closed if closed is not None else (now if status == "active" else None)
            if end is not None:
                handling.append(max(0.0, (end - claimed).total_seconds()))
        elif status == "waiting":
            waits.append(max(0.0, (now - queued).total_seconds()))
            running += 1
        elif closed is not None:
            waits.append(max(0.0, (closed - queued).total_seconds()))
    return WaitFigures(
        median_wait_seconds=statistics.median(waits) if waits else None,
        p90_wait_seconds=percentile(waits, 0.9),
        waiting_counted=running,
        median_handling_seconds=statistics.median(handling) if handling else None,
    )


def stats(
    day: date, *, tz: tzinfo = UTC, url: str | None = None, now: datetime | None = None
) -> HandoffStats:
    """Supervisor figures for ``day`` (in ``tz``): queue now, handoffs, wait/handling, CSAT.

    Waits count customers still waiting (see :func:`wait_figures`).
    """
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    with session_scope(url, readonly=True) as session:
        queue_length = session.execute(
            sa.select(sa.func.count()).select_from(Handoff).where(Handoff.status == "waiting")
        ).scalar_one()
        rows = session.execute(
            sa.select(
                Handoff.queued_at, Handoff.claimed_at, Handoff.closed_at, Handoff.status
            ).where(Handoff.queued_at >= start, Handoff.queued_at < end)
        ).all()
        ratings = list(
            session.execute(
                sa.select(Feedback.rating).where(
                    Feedback.handoff_id.is_not(None),
                    Feedback.created_at >= start,
                    Feedback.created_at < end,
                )
            ).scalars()
        )
    figures = wait_figures([(r[0], r[1], r[2], r[3]) for r in rows], now or utcnow())
    return HandoffStats(
        day=day,
        queue_length=int(queue_length),
        handoffs_today=len(rows),
        median_wait_seconds=figures.median_wait_seconds,
        median_handling_seconds=figures.median_handling_seconds,
        csat_after_handoff=round(statistics.fmean(ratings), 2) if ratings else None,
        csat_responses=len(ratings),
        p90_wait_seconds=figures.p90_wait_seconds,
        waiting_counted=figures.waiting_counted,
    )


def _conditional_update(
    handoff_id: int, from_statuses: Sequence[str], values: dict[str, Any], url: str | None
) -> bool:
    return run_in_transaction(
        lambda session: _update_status(session, handoff_id, from_statuses, values), url
    )


def _update_status(
    session: Session, handoff_id: int, from_statuses: Sequence[str], values: dict[str, Any]
) -> bool:
    changed = affected_rows(
        session,
        sa.update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status.in_(from_statuses))
        .values(**{**values, "updated_at": utcnow()})
        .execution_options(synchronize_session=False),
    )
    return changed == 1


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _record(row: Handoff, created: bool = False) -> HandoffRecord:
    return from_row(HandoffRecord, row, created=created)


def _message_record(row: HandoffMessage) -> HandoffMessageRecord:
    return from_row(HandoffMessageRecord, row)
