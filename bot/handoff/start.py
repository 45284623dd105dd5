"""Starting a handoff: plain functions behind ``action_handoff`` (no Rasa imports here).

Decision on pausing: the bot is paused only when an agent will pick the conversation up
now (within agent hours and at least one agent's desk seen in the last minute). Otherwise
the customer gets a callback ticket and the bot keeps answering: pausing a conversation
that nobody reads would leave the customer talking to silence until the next shift.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.crm import customers, handoffs
from bot.crm.types import CustomerOverview, HandoffRecord
from bot.handoff import presence, texts
from bot.handoff.transcript import captured_slots, latest_user_timestamp, transcript_lines
from bot.profile import BusinessProfile, get_profile

Message = dict[str, Any]


@dataclass(frozen=True)
class HandoffContext:
    """What the action knows when a handoff is requested."""

    sender_id: str
    channel: str
    reason: str
    language: str
    events: Sequence[Mapping[str, Any]]
    slots: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HandoffStart:
    kind: str  # queued | already_open | callback_offer
    messages: list[Message]
    pause: bool
    handoff: HandoffRecord | None = None


def idempotency_key(prefix: str, sender_id: str, events: Sequence[Mapping[str, Any]]) -> str:
    """Same conversation + same triggering message = same key, so a retried call is a no-op."""
    stamp = latest_user_timestamp(events)
    return f"{prefix}:{sender_id}:{stamp if stamp is not None else 'none'}"[:200]


def crm_snapshot(overview: CustomerOverview | None) -> dict[str, Any]:
    """What the CRM knew at handoff time (the desk also shows the live overview)."""
    if overview is None:
        return {}
    customer = overview.customer
    return {
        "customer_id": customer.id,
        "name": customer.name,
        "company": customer.company,
        "open_requests": [f"{r.reference} ({r.status})" for r in overview.open_requests],
        "open_complaints": [f"{c.reference} ({c.status})" for c in overview.open_complaints],
    }


def estimated_wait_minutes(
    position: int, online: int, median_handling_seconds: float | None
) -> int | None:
    """Honest wait: position × median handling time ÷ agents online, in whole minutes.

    The customer at ``position`` is served after ``position`` conversations (theirs and the
    ones ahead) have passed through ``online`` agents. Rounded up: "about 1 minute" for the
    seventh customer in line was the complaint. The median handling time counts chats still
    in progress (``handoffs.wait_figures``). None without today's data: we would rather say
    nothing than invent a number.
    """
    if not median_handling_seconds or online < 1 or position < 1:
        return None
    return max(1, math.ceil(position * median_handling_seconds / online / 60))


def queued_message(
    language: str, profile: BusinessProfile, *, online: int, position: int, minutes: int | None
) -> str:
    """The "you are in the queue" text, with singular/plural right in English."""
    lang = "en" if language == "en" else "id"
    wait = ""
    if minutes:
        wait = texts.text("wait_estimate", lang, profile, duration=texts.minutes(minutes, lang))
    hours = profile.template_values(lang)["agent_hours"]
    return texts.text(
        "queued",
        lang,
        profile,
        online=texts.agents_online(online, lang),
        position=position,
        wait=wait,
        hours=hours,
    )


def start_handoff(
    context: HandoffContext, now: datetime | None = None, profile: BusinessProfile | None = None
) -> HandoffStart:
    profile = profile or get_profile()
    lang = context.language
    existing = handoffs.active_handoff_for(context.sender_id)
    if existing is not None:
        position = handoffs.queue_position(existing.id) or 1
        return HandoffStart(
            "already_open",
            [{"text": texts.text("already_waiting", lang, profile, position=position)}],
            pause=True,
            handoff=existing,
        )

    hours = profile.template_values(lang)["agent_hours"]
    within_hours = profile.is_within_agent_hours(now)
    online = presence.online_agent_count() if within_hours else 0
    if not within_hours or online == 0:
        key = "offline_out_of_hours" if not within_hours else "offline_nobody_online"
        return HandoffStart(
            "callback_offer", [{"text": texts.text(key, lang, profile, hours=hours)}], pause=False
        )

    customer = customers.resolve_customer(context.channel, context.sender_id)
    overview = customers.customer_overview(customer.id)
    fields = captured_slots(context.slots)
    fields["crm_snapshot"] = crm_snapshot(overview)
    record = handoffs.open_handoff(
        context.sender_id,
        context.channel,
        customer.id,
        context.reason,
        fields,
        transcript_lines(context.events),
        idempotency_key("handoff", context.sender_id, context.events),
    )
    position = handoffs.queue_position(record.id) or 1
    today = profile.local_now(now).date()
    minutes = estimated_wait_minutes(
        position, online, handoffs.stats(today, tz=profile.timezone).median_handling_seconds
    )
    message = queued_message(lang, profile, online=online, position=position, minutes=minutes)
    return HandoffStart("queued", [{"text": message}], pause=True, handoff=record)


def session_start_events(sender_id: str) -> list[dict[str, Any]]:
    """Events for ``action_session_start`` to keep a handoff's pause in a new session.

    Rasa starts a new session after ``session_expiration_time`` without a customer message,
    and ``SessionStarted`` resets the tracker, including the paused flag: a customer who
    waited an hour in the queue would get the bot back mid-handoff. The session start
    action appends these events (before its ``action_listen``) to stay paused.
    """
    if handoffs.active_handoff_for(sender_id) is None:
        return []
    return [{"event": "pause", "timestamp": None}]
