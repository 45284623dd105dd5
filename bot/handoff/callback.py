"""Callback tickets: when no agent can take the chat now, someone contacts the customer later.

Plain functions behind the ``handoff_callback_form`` actions: reading the customer's
choices (button payloads or typed words), validating the contact, and storing the ticket
exactly once with the time the customer is told to expect contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crm import customers, handoffs
from bot.crm.contact import normalize_email, normalize_phone
from bot.crm.types import HandoffRecord
from bot.handoff import texts
from bot.handoff.hours import callback_moment, format_moment
from bot.handoff.start import HandoffContext, crm_snapshot, idempotency_key
from bot.handoff.transcript import captured_slots, transcript_lines
from bot.profile import BusinessProfile, get_profile

CALLBACK_CHANNELS = ("whatsapp", "phone", "email")
CALLBACK_TIMES = ("asap", "morning", "afternoon")
WHATSAPP_CHANNELS = ("whatsapp", "twilio")

# Typed answers, Indonesian and English (buttons send the code itself).
_CHANNEL_WORDS = {
    "whatsapp": r"\b(wa|whats\s*app|whatsapp|watsap|wasap)\b",
    "phone": r"\b(telepon|telpon|telp|tlp|phone|call|ditelepon|ditelpon|hp|nelpon)\b",
    "email": r"\b(e-?mail|surel|surat elektronik)\b",
}
_TIME_WORDS = {
    "asap": r"\b(secepatnya|segera|kapan saja|kapan aja|bebas|asap|as soon as possible|anytime|any time)\b",
    "morning": r"\b(pagi|morning)\b",
    "afternoon": r"\b(siang|sore|afternoon)\b",
}


def _match(words: dict[str, str], value: str | None) -> str | None:
    text = (value or "").strip().lower()
    if text in words:
        return text
    found = [code for code, pattern in words.items() if re.search(pattern, text)]
    return found[0] if len(found) == 1 else None


def parse_channel(value: str | None) -> str | None:
    return _match(_CHANNEL_WORDS, value)


def parse_time(value: str | None) -> str | None:
    return _match(_TIME_WORDS, value)


def parse_contact(kind: str, value: str | None) -> str | None:
    """Normalised phone (E.164) or e-mail, or None if it is not valid."""
    try:
        return normalize_email(value or "") if kind == "email" else normalize_phone(value or "")
    except ValueError:
        return None


def contact_needed(channel: str, callback_channel: str | None) -> str | None:
    """'phone' or 'email' when we must ask for it, None when we already have it.

    A WhatsApp conversation carries the number. Otherwise we ask each time rather than
    silently reuse an old number from the CRM, which the customer may no longer use.
    """
    if callback_channel == "email":
        return "email"
    if callback_channel in ("whatsapp", "phone"):
        return None if channel in WHATSAPP_CHANNELS else "phone"
    return None


@dataclass(frozen=True)
class CallbackTicket:
    handoff: HandoffRecord
    message: str


def _when_text(
    profile: BusinessProfile, callback_time: str, language: str, now: datetime | None
) -> str:
    period = callback_moment(profile, callback_time, now)
    if period is None:
        return "as soon as possible" if language == "en" else "secepatnya"
    moment = format_moment(profile, period.start, language, now)
    return f"from {moment}" if language == "en" else f"mulai {moment}"


def submit_callback(
    context: HandoffContext,
    callback_channel: str,
    callback_time: str,
    contact: str | None,
    now: datetime | None = None,
    profile: BusinessProfile | None = None,
) -> CallbackTicket:
    """Store the ticket once (a retried call returns the same one) and build the reply."""
    profile = profile or get_profile()
    if callback_channel not in CALLBACK_CHANNELS:
        raise ValueError(f"unknown callback channel {callback_channel!r}")
    if callback_time not in CALLBACK_TIMES:
        raise ValueError(f"unknown callback time {callback_time!r}")
    customer_id = customers.resolve_customer(context.channel, context.sender_id).id
    # A typed phone/e-mail is a claim: it is kept on this ticket only (callback_contact),
    # never used to link the conversation to whichever customer has that contact.
    fields: dict[str, Any] = captured_slots(context.slots)
    fields["crm_snapshot"] = crm_snapshot(customers.customer_overview(customer_id))
    if contact:
        fields["callback_contact"] = contact
    record = handoffs.open_handoff(
        context.sender_id,
        context.channel,
        customer_id,
        context.reason,
        fields,
        transcript_lines(context.events),
        idempotency_key("callback", context.sender_id, context.events),
    )
    period = callback_moment(profile, callback_time, now)
    stored = (
        f"{callback_time} {period.start.isoformat(timespec='minutes')}" if period else callback_time
    )
    # Only a freshly queued row becomes a ticket; a retry finds it already marked.
    if record.status == "waiting" and handoffs.mark_callback(
        record.id, callback_channel, stored[:100]
    ):
        record = handoffs.get_handoff(record.id) or record
    lang = "en" if context.language == "en" else "id"
    message = texts.text(
        "callback_confirmed",
        lang,
        profile,
        ticket=record.reference,
        channel=texts.CHANNEL_LABELS[callback_channel][lang],
        when=_when_text(profile, callback_time, lang, now),
    )
    return CallbackTicket(record, message)
