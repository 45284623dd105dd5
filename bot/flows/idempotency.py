"""Idempotency keys for the records the flows create.

The key is derived from the conversation (sender id) and the event that confirmed the
record (the user message's id, or its timestamp when the channel gave no id). A retried
action call or a redelivered webhook therefore carries the same key, and the CRM returns
the first record instead of storing a second one. The sender id (a WhatsApp number) is
hashed so that no personal data ends up in the key column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any


def confirming_event(events: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The latest user message in the tracker's events (the one that completed the form)."""
    latest: Mapping[str, Any] | None = None
    for event in events:
        if event.get("event") == "user":
            latest = event
    return latest


def idempotency_key(flow: str, sender_id: str, event: Mapping[str, Any] | None) -> str:
    """``<flow>:<sha256>`` of the sender and the confirming message (id, else timestamp)."""
    if event is None:
        raise ValueError("no confirming user message in the conversation")
    marker = event.get("message_id") or (event.get("parse_data") or {}).get("message_id")
    if not marker:
        marker = f"ts:{event.get('timestamp')!r}"
    digest = hashlib.sha256(f"{sender_id}\x1f{marker}".encode()).hexdigest()
    return f"{flow}:{digest}"
