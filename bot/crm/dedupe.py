"""Drop duplicate webhook deliveries (WhatsApp and Twilio retry) across all replicas."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.crm.db import affected_rows, run_in_transaction, session_scope
from bot.crm.models import InboundMessage
from bot.crm.sqltypes import utcnow

# Providers redeliver for hours, not weeks: ids older than this can be forgotten.
RETENTION = timedelta(days=7)
# Claims that also purge old ids. Hand-rolled instead of a scheduler: every replica claims
# messages, so the table stays small with no cron job and no leader election.
PURGE_EVERY = 500


def claim_inbound_message(
    channel: str,
    message_id: str,
    *,
    sender_id: str | None = None,
    url: str | None = None,
    draw: Callable[[], float] = random.random,
) -> bool:
    """True the first time (channel, message_id) is seen, False for every repeat.

    About one claim in ``PURGE_EVERY`` also forgets ids older than ``RETENTION``.
    ``sender_id`` (e.g. the wa_id) is kept so the notification worker knows when the customer
    last wrote (``last_inbound_at``).
    """
    if not message_id:
        raise ValueError("message_id is required")

    def work(session: sa.orm.Session) -> None:
        session.add(
            InboundMessage(
                channel=channel, message_id=message_id, sender_id=sender_id, received_at=utcnow()
            )
        )
        session.flush()

    try:
        run_in_transaction(work, url)
    except IntegrityError:
        return False
    if draw() < 1 / PURGE_EVERY:
        purge_inbound_messages(RETENTION, url=url)
    return True


def purge_inbound_messages(older_than: timedelta, *, url: str | None = None) -> int:
    """Forget ids older than any plausible redelivery (providers retry for hours, not weeks)."""
    cutoff = utcnow() - older_than
    return run_in_transaction(
        lambda s: affected_rows(
            s, sa.delete(InboundMessage).where(InboundMessage.received_at < cutoff)
        ),
        url,
    )


def last_inbound_at(channel: str, sender_id: str, *, url: str | None = None) -> datetime | None:
    """When ``sender_id`` last wrote on ``channel`` (within ``RETENTION``), or None."""
    with session_scope(url, readonly=True) as session:
        value: datetime | None = session.execute(
            sa.select(InboundMessage.received_at)
            .where(InboundMessage.channel == channel, InboundMessage.sender_id == sender_id)
            .order_by(InboundMessage.received_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    return value
