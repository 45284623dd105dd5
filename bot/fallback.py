"""Two-step fallback: how many messages in a row the NLU could not classify.

Counted from the tracker's events (never process memory), so it works across replicas and
restarts. A new session, a restart or a resumed handoff starts the count again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FALLBACK_INTENT = "nlu_fallback"
_RESET_EVENTS = {"session_started", "restart", "resume"}

ASK_REPHRASE = "utter_ask_rephrase"
OFFER_HUMAN = "utter_offer_human"


def consecutive_fallbacks(events: Iterable[Mapping[str, Any]]) -> int:
    """Number of most recent user messages, in a row, classified as ``nlu_fallback``."""
    count = 0
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind in _RESET_EVENTS:
            break
        if kind != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


def fallback_response(events: Iterable[Mapping[str, Any]]) -> str:
    """First fallback: ask to rephrase (with topic buttons). Second in a row: offer a human."""
    return OFFER_HUMAN if consecutive_fallbacks(events) >= 2 else ASK_REPHRASE
