"""Keep typed "/..." text from being parsed as an intent.

Rasa reads any message starting with "/" as an intent with optional entities
(``/restart``, ``/inform{"phone": "..."}``). A customer typing ``/restart`` during a
handoff would resume the paused conversation (``MessageProcessor._should_handle_message``
lets the restart intent through), and ``/inform{...}`` would skip a form's validation.

Rule: text from a customer is text. It is passed on as an intent only when it equals the
payload of a button that the bot itself offered in its last turn of that conversation, or
the widget's greeting payload on a brand-new conversation. The allow-list is derived from
the tracker (the bot's ``BotUttered`` events since the customer's last message), which lives
in the tracker store (SQL), so it holds across restarts and Rasa replicas.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, UserUttered

logger = logging.getLogger(__name__)

# WORD JOINER: invisible, not whitespace (so UserMessage's and Rasa's .strip() keep it), and
# a message that starts with it no longer matches Rasa's "^/" intent pattern. The stored
# text still reads exactly as the customer typed it.
NEUTRALISER = "\u2060"
_CHOICE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Offer:
    """What the bot offered in its last turn, and whether the conversation is new."""

    buttons: Sequence[dict] = field(default_factory=tuple)
    is_new_conversation: bool = True
    is_paused: bool = False

    @property
    def payloads(self) -> list[str]:
        return [str(b.get("payload")) for b in self.buttons if b.get("payload")]

    def allows(self, payload: str) -> bool:
        payload = payload.strip()
        if payload in self.payloads:
            return True
        return self.is_new_conversation and payload == init_payload()


def init_payload() -> str:
    """CHAT_INIT_PAYLOAD: what a new widget conversation starts with (/greet)."""
    from bot.config import get_channel_settings

    return get_channel_settings().init_payload


def neutralise(text: str) -> str:
    """Return ``text`` so that Rasa treats it as text, never as an intent."""
    stripped = text.strip()
    if stripped.startswith(INTENT_MESSAGE_PREFIX):
        return NEUTRALISER + stripped
    return text


def offer_from_events(events: Iterable[Any], paused: bool = False) -> Offer:
    """Buttons in the bot messages after the customer's last message."""
    events = list(events)
    buttons: list[dict] = []
    seen_user = False
    for event in reversed(events):
        if isinstance(event, UserUttered):
            seen_user = True
            break
        if isinstance(event, BotUttered):
            # Earlier bot messages of the same turn come first in the offer.
            buttons[:0] = list((event.data or {}).get("buttons") or [])
    if not seen_user:
        seen_user = any(isinstance(e, UserUttered) for e in events)
    return Offer(buttons=tuple(buttons), is_new_conversation=not seen_user, is_paused=paused)


async def current_offer(tracker_store: Any, sender_id: str) -> Offer:
    """The offer for ``sender_id`` from the tracker store (strict when it cannot be read)."""
    if tracker_store is None:
        return Offer(is_new_conversation=False)
    try:
        tracker = await tracker_store.retrieve(sender_id)
    except Exception:
        logger.exception("could not read the tracker to check offered buttons")
        return Offer(is_new_conversation=False)
    if tracker is None:
        return Offer(is_new_conversation=True)
    return offer_from_events(tracker.events, paused=tracker.is_paused())


async def offer_for_typed_text(tracker_store: Any, sender_id: str, text: str) -> Offer:
    """The offer, read only when ``text`` could be a payload at all (it starts with "/").

    Any other text passes as text whatever was offered, and reading the tracker costs a
    full replay of the conversation (9% of the Rasa server's CPU under load).
    """
    if not text.strip().startswith(INTENT_MESSAGE_PREFIX):
        return Offer(is_new_conversation=False)
    return await current_offer(tracker_store, sender_id)


def resolve_typed_text(text: str, offer: Offer) -> str:
    """Typed text (widget, REST, WhatsApp text): an offered payload passes, the rest is text."""
    if offer.allows(text):
        return text.strip()
    return neutralise(text)


def resolve_numbered_choice(text: str, offer: Offer) -> str:
    """Text-only channels (Twilio) list buttons as "1. ...": a bare number picks that button."""
    match = _CHOICE_NUMBER.match(text)
    if match and offer.payloads:
        index = int(match.group(1)) - 1
        if 0 <= index < len(offer.payloads):
            return offer.payloads[index]
    return resolve_typed_text(text, offer)


def resolve_interactive_reply(reply_id: str | None, title: str, offer: Offer) -> str:
    """A tapped WhatsApp button/list row: its id is our payload only if we offered it."""
    if reply_id and offer.allows(reply_id):
        return reply_id.strip()
    # An old or foreign button: use what the customer saw, as plain text.
    return neutralise(title or "")


def tracker_store_of(app: Any) -> Any:
    """The running agent's tracker store, or None (e.g. a test app without an agent)."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    return getattr(agent, "tracker_store", None)
