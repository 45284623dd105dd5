"""Consent records: who may be sent what, on which address, since when (issue 15).

Consent is append-only (``consents`` table): every STOP, START or answer to the reminder
question is a new row with its time, address, inbound channel and keyword, and the latest
row per address (and per customer) and purpose is the one in force. History is kept because
the business must be able to show when and where consent was given or withdrawn.

Two purposes:

* ``all``: everything the notification worker sends. Granted by default (updates about the
  customer's own request are expected); a STOP withdraws it, a START gives it back;
* ``reminders``: re-calibration reminders and other messages the customer did not ask for.
  Off until granted (the customer is asked once).

A decision applies to the address it came from AND to the customer behind it, when known:
someone who writes STOP on WhatsApp gets no e-mail either. A START applies to the address it
came from and to the customer, so another address that said STOP stays stopped until it
says START itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.models import (
    CONSENT_CHANNELS,
    CONSENT_PURPOSES,
    Consent,
    Conversation,
    CustomerIdentity,
    Notification,
)
from bot.crm.sqltypes import utcnow

# Statuses a notification has before the worker has handed it to a provider.
NOT_YET_SENT = ("pending",)


@dataclass(frozen=True)
class ConsentState:
    granted: bool
    at: datetime
    channel: str
    via: str


def address_for(inbound_channel: str, sender_id: str) -> tuple[str, str]:
    """The consent (channel, address) of a conversation's sender id.

    A WhatsApp id is the number without "+" (Cloud API) or "whatsapp:+<number>" (Twilio);
    both map to the WhatsApp address the worker sends to (the bare digits).
    """
    sender = sender_id.strip()
    if inbound_channel == "whatsapp":
        return "whatsapp", sender.lstrip("+")
    if inbound_channel == "twilio":
        if sender.lower().startswith("whatsapp:"):
            return "whatsapp", sender.split(":", 1)[1].strip().lstrip("+")
        return "sms", sender
    if inbound_channel == "socketio":
        return "widget", sender
    if inbound_channel == "email":
        return "email", sender.lower()
    return "rest", sender


def customer_for_sender(session: Session, inbound_channel: str, sender_id: str) -> int | None:
    """The customer behind a conversation, if the CRM knows it (any of the sender id's
    spellings: a WhatsApp number reaches us as "628...", "+628..." or "whatsapp:+628...")."""
    channel, address = address_for(inbound_channel, sender_id)
    senders = {sender_id}
    if channel == "whatsapp":
        senders |= {address, "+" + address, "whatsapp:+" + address}
    found = session.execute(
        sa.select(Conversation.customer_id)
        .where(Conversation.sender_id.in_(sorted(senders)), Conversation.customer_id.is_not(None))
        .order_by(Conversation.last_activity_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    values = {
        "whatsapp": ("whatsapp", (address, "+" + address)),
        "widget": ("web", (address,)),
        "email": ("email", (address,)),
    }.get(channel)
    if values is None:
        return None
    kind, candidates = values
    identity = session.execute(
        sa.select(CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == kind, CustomerIdentity.value.in_(candidates)
        )
    ).first()
    return int(identity[0]) if identity is not None else None


def record(
    session: Session,
    *,
    channel: str,
    address: str,
    purpose: str,
    granted: bool,
    source: str,
    via: str,
    customer_id: int | None = None,
    keyword: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """Add one consent decision in ``session``'s transaction."""
    if channel not in CONSENT_CHANNELS:
        raise ValueError(f"unknown consent channel {channel!r}")
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    row = Consent(
        at=at or utcnow(),
        channel=channel,
        address=address,
        customer_id=customer_id,
        purpose=purpose,
        granted=granted,
        source=source,
        via=via[:32],
        keyword=keyword[:32] if keyword else None,
    )
    session.add(row)
    session.flush()
    return row


def _state(row: Consent | None) -> ConsentState | None:
    if row is None:
        return None
    return ConsentState(bool(row.granted), row.at, row.channel, row.via)


def latest_for_address(
    session: Session, channel: str, address: str, purpose: str
) -> ConsentState | None:
    row = session.execute(
        sa.select(Consent)
        .where(Consent.channel == channel, Consent.address == address, Consent.purpose == purpose)
        .order_by(Consent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return _state(row)


def latest_for_customer(session: Session, customer_id: int, purpose: str) -> ConsentState | None:
    row = session.execute(
        sa.select(Consent)
        .where(Consent.customer_id == customer_id, Consent.purpose == purpose)
        .order_by(Consent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return _state(row)


def cancel_pending(
    session: Session, channel: str, address: str, customer_id: int | None, reason: str
) -> int:
    """Mark the not-yet-sent notifications to this address (and customer) ``cancelled``."""
    targets = [sa.and_(Notification.channel == channel, Notification.recipient == address)]
    if customer_id is not None:
        targets.append(Notification.customer_id == customer_id)
    result = session.execute(
        sa.update(Notification)
        .where(Notification.status.in_(NOT_YET_SENT), sa.or_(*targets))
        .values(status="cancelled", last_error=reason, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
