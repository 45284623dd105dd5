"""Turn Rasa tracker events (as dicts) into a readable transcript for the agent.

Works on rasa_sdk's ``tracker.events`` (already dicts) and on Rasa's ``Event.as_dict()``,
so the action server and the desk build the same lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Slots that are Rasa, profile or form bookkeeping, not something the customer told us.
INTERNAL_SLOTS = {
    "requested_slot",
    "session_started_metadata",
    "address_form",
    "company_name",
    "handoff_reason",
    "last_handoff_id",
    "flow_failures",
    "flow_failed_slot",
    "edit_field",
    "edit_pending",
    "feedback_offered",
    "feedback_reference",
    "feedback_handoff_id",
}

Line = dict[str, Any]

# The channels prefix typed "/..." text with an invisible WORD JOINER so Rasa treats it as
# text (bot.channels.typed_intents); the agent should read what the customer typed.
_NEUTRALISER = "\u2060"


def customer_text(text: str | None) -> str:
    value = text or ""
    return value[len(_NEUTRALISER) :] if value.startswith(_NEUTRALISER) else value


def _button_titles(data: Mapping[str, Any] | None) -> list[str]:
    buttons = (data or {}).get("buttons") or []
    return [str(b.get("title", "")) for b in buttons if isinstance(b, Mapping)]


def transcript_lines(events: Iterable[Mapping[str, Any]]) -> list[Line]:
    """One line per user or bot message: sender (customer/bot/agent), text, timestamp."""
    lines: list[Line] = []
    offered: dict[str, str] = {}  # payload -> title of the buttons the bot last sent
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = customer_text(event.get("text"))
            said: Line = {
                "sender": "customer",
                "text": text,
                "timestamp": event.get("timestamp"),
                "channel": event.get("input_channel"),
            }
            if text.strip() in offered:
                # A tapped button: show what the customer saw, not the payload.
                said["text"] = offered[text.strip()]
                said["button"] = True
            offered = {}
            lines.append(said)
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            agent = metadata.get("agent") if isinstance(metadata, Mapping) else None
            line: Line = {
                "sender": "agent" if agent else "bot",
                "text": event.get("text") or "",
                "timestamp": event.get("timestamp"),
            }
            if agent:
                line["agent"] = agent
                if metadata.get("handoff_message_id"):  # its delivery state (issue 15)
                    line["message_id"] = metadata["handoff_message_id"]
            buttons = _button_titles(event.get("data"))
            if buttons:
                line["buttons"] = buttons
            for button in (event.get("data") or {}).get("buttons") or []:
                if isinstance(button, Mapping) and button.get("payload"):
                    offered[str(button["payload"]).strip()] = str(button.get("title", ""))
            lines.append(line)
        elif kind in ("pause", "resume"):
            lines.append({"sender": "system", "text": kind, "timestamp": event.get("timestamp")})
    return lines


def captured_slots(slots: Mapping[str, Any]) -> dict[str, Any]:
    """Slot values the customer gave (non-empty, not bookkeeping)."""
    return {
        name: value
        for name, value in slots.items()
        if name not in INTERNAL_SLOTS and value not in (None, "", [], {})
    }


def latest_user_timestamp(events: Iterable[Mapping[str, Any]]) -> float | None:
    """Timestamp of the last user message: the handoff trigger, for the idempotency key."""
    stamp: float | None = None
    for event in events:
        if event.get("event") == "user":
            stamp = event.get("timestamp")
    return stamp
