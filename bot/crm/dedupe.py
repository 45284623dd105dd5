"""Drop duplicate webhook deliveries (WhatsApp and Twilio retry) across all replicas."""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.crm.db import run_in_transaction
from bot.crm.models import InboundMessage
from bot.crm.sqltypes import utcnow


def claim_inbound_message(channel: str, message_id: str, *, url: Optional[str] = None) -> bool:
    """True the first time (channel, message_id) is seen, False for every repeat."""
    if not message_id:
        raise ValueError("message_id is required")

    def work(session: sa.orm.Session) -> None:
        session.add(InboundMessage(channel=channel, message_id=message_id, received_at=utcnow()))
        session.flush()

    try:
        run_in_transaction(work, url)
    except IntegrityError:
        return False
    return True


def purge_inbound_messages(older_than: timedelta, *, url: Optional[str] = None) -> int:
    """Forget ids older than any plausible redelivery (providers retry for hours, not weeks)."""
    cutoff = utcnow() - older_than
    return run_in_transaction(
        lambda s: s.execute(sa.delete(InboundMessage).where(InboundMessage.received_at < cutoff)).rowcount,
        url,
    )
