"""Turn Rasa tracker events (as dicts) into a readable transcript for the agent.

Works on rasa_sdk's ``tracker.events`` (already dicts) and on Rasa's ``Event.as_dict()``,
so the action server and the desk build the same lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

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


# Payloads the widget or a channel sends without a button the bot offered just before (the
# widget's opening "/greet", a button tapped on an older message): what the agent reads.
INTENT_TEXTS = {
    "greet": "(membuka chat)",
    "affirm": "Ya",
    "deny": "Tidak",
    "cancel": "Batal",
    "request_human": "Bicara dengan petugas",
    "restart": "(mulai ulang)",
    "goodbye": "(menutup chat)",
}
_PAYLOAD = re.compile(r"^/([A-Za-z_][\w-]*)(\{.*\})?$", re.DOTALL)
DOMAIN_DIR = Path(__file__).resolve().parents[2] / "domain"


@lru_cache(maxsize=1)
def _domain_button_titles() -> dict[str, str]:
    """payload -> title of every button in the domain's responses (first one: Indonesian)."""
    titles: dict[str, str] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for variants in (data.get("responses") or {}).values():
            for variant in variants or []:
                for button in (variant or {}).get("buttons") or []:
                    payload = str(button.get("payload", "")).replace("{{", "{").replace("}}", "}")
                    titles.setdefault(_normal_payload(payload), str(button.get("title", "")))
    return titles


def _normal_payload(payload: str) -> str:
    match = _PAYLOAD.match(payload.strip())
    if not match or not match.group(2):
        return payload.strip()
    try:
        entities = json.loads(match.group(2))
    except ValueError:
        return payload.strip()
    return f"/{match.group(1)}{json.dumps(entities, sort_keys=True, ensure_ascii=False)}"


def payload_text(text: str) -> str | None:
    """Friendly text for a button payload (``/greet``, ``/inform{"choice": "lab"}``), else None."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return None
    intent, entities = match.group(1), match.group(2)
    if not entities and intent in INTENT_TEXTS:  # "/affirm" answers many different buttons
        return INTENT_TEXTS[intent]
    known = _domain_button_titles().get(_normal_payload(text))
    if known:
        return known
    values: list[str] = []
    if entities:
        try:
            parsed = json.loads(entities)
        except ValueError:
            parsed = {}
        if isinstance(parsed, Mapping):
            values = [str(v) for v in parsed.values() if v not in (None, "")]
    if values:
        return "Memilih: " + ", ".join(values)
    return INTENT_TEXTS.get(intent, "[tombol] " + intent.replace("_", " "))


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
            raw = event.get("text") or ""
            if text.strip() in offered:
                # A tapped button: show what the customer saw, not the payload.
                said["text"] = offered[text.strip()]
                said["button"] = True
            elif not raw.startswith(_NEUTRALISER) and payload_text(text) is not None:
                # A payload with no matching offer (typed "/..." text is neutralised above).
                said["text"] = payload_text(text)
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
