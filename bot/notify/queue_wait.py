"""A customer who waited too long in the agent queue is offered a callback (worker job).

Why the worker and not the customer's next message: a waiting customer may not write
anything (they are told to wait), and the channel's request handlers never send on their
own. The scheduled job (every minute, once across workers: bot.notify.schedule) finds
waiting handoffs older than ``HANDOFF_MAX_WAIT_MINUTES`` (default 15; 0 turns it off) and
writes one ``queue_max_wait`` notification per handoff (idempotency key), which the worker
sends like any other. Website-widget conversations only: the text points at the widget's
"Keluar antrean / Leave queue" button, which leaves the queue while the bot is paused;
WhatsApp has no such button yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.crm.db import session_scope
from bot.crm.models import Handoff
from bot.crm.sqltypes import utcnow
from bot.notify.outbox import enqueue
from bot.notify.schedule import ScheduledJob

DEFAULT_MAX_WAIT_MINUTES = 15
WIDGET_CHANNEL = "socketio"


def max_wait_minutes() -> int:
    from bot.config import handoff_max_wait_minutes

    return handoff_max_wait_minutes(DEFAULT_MAX_WAIT_MINUTES)


def offer_callbacks(url: str | None = None, now: datetime | None = None) -> int:
    """Write the offer for every widget customer waiting too long; returns how many were new."""
    minutes = max_wait_minutes()
    if minutes <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(minutes=minutes)
    created = 0
    with session_scope(url) as session:
        rows = session.execute(
            sa.select(Handoff).where(
                Handoff.status == "waiting",
                Handoff.channel == WIDGET_CHANNEL,
                Handoff.queued_at < cutoff,
            )
        ).scalars()
        for row in rows:
            fields = row.captured_fields if isinstance(row.captured_fields, dict) else {}
            result = enqueue(
                session,
                kind="queue_max_wait",
                channel="widget",
                recipient=row.sender_id,
                idempotency_key=f"queue-max-wait:{row.id}",
                language="en" if fields.get("language") == "en" else "id",
                payload={"minutes": str(minutes), "handoff_id": row.id},
                customer_id=row.customer_id,
            )
            created += int(result.created)
    return created


def _run(url: str | None) -> None:
    offer_callbacks(url)


JOB = ScheduledJob("queue_max_wait", timedelta(minutes=1), _run)  # listed in bot.notify.jobs
