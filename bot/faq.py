"""Answering FAQ questions: which response to send, filled with business-profile facts.

The ResponseSelector (retrieval intent ``faq``) names the topic, e.g. ``faq/office_hours``;
the response ``utter_faq/office_hours`` has an Indonesian default and an English variant
conditioned on the ``language`` slot, with placeholders such as ``{office_hours}``. Rasa
fills placeholders from slots plus the keyword arguments the action passes, so the facts
come from data/business_profile.yml at answer time and an edit needs no retraining.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.profile import BusinessProfile

FAQ_MENU_RESPONSE = "utter_faq_menu"
_PLACEHOLDER_RE = re.compile(r"{([^\n{}]+?)}")


@dataclass(frozen=True)
class FaqReply:
    """What the action sends: a response name and the placeholder values it needs."""

    response: str
    values: dict[str, str] = field(default_factory=dict)
    topic: str | None = None


def selected_faq_key(latest_message: Mapping[str, Any], min_confidence: float = 0.0) -> str | None:
    """``faq/<topic>`` chosen by the ResponseSelector for the latest message, if any.

    None when the message was not parsed by the selector (e.g. a typed ``/faq`` button
    payload) or its confidence is below ``min_confidence``.
    """
    selector = (latest_message or {}).get("response_selector") or {}
    prediction = (selector.get("faq") or {}).get("response") or {}
    key = prediction.get("intent_response_key")
    if not key or not str(key).startswith("faq/"):
        return None
    confidence = prediction.get("confidence")
    if confidence is not None and float(confidence) < min_confidence:
        return None
    return str(key)


def placeholders(variations: Iterable[Mapping[str, Any]]) -> set[str]:
    """Placeholder names used in the text and button titles of a response's variations."""
    names: set[str] = set()
    for variation in variations or []:
        names.update(_PLACEHOLDER_RE.findall(str(variation.get("text") or "")))
        for button in variation.get("buttons") or []:
            names.update(_PLACEHOLDER_RE.findall(str(button.get("title") or "")))
    return names


def build_faq_reply(
    latest_message: Mapping[str, Any],
    domain: Mapping[str, Any],
    language: str | None,
    profile: BusinessProfile,
    min_confidence: float = 0.0,
) -> FaqReply:
    """The reply to an FAQ question: ``utter_faq/<topic>`` plus its profile values.

    Only the placeholders the response uses are passed: Rasa copies every keyword argument
    into the bot event's metadata, and the whole profile does not belong in each event.
    Unknown topics (no response in the domain) and missing selections get the FAQ menu.
    """
    key = selected_faq_key(latest_message, min_confidence)
    responses = (domain or {}).get("responses") or {}
    if key is None:
        return FaqReply(FAQ_MENU_RESPONSE)
    response = f"utter_{key}"
    if response not in responses:
        return FaqReply(FAQ_MENU_RESPONSE)
    all_values = profile.template_values(language or "id")
    needed = placeholders(responses[response])
    values = {name: all_values[name] for name in needed if name in all_values}
    return FaqReply(response, values, topic=key.split("/", 1)[1])
