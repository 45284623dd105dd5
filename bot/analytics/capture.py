"""Turn Rasa tracker events (plain dicts, as an event broker receives them) into compact
``analytics_events`` rows, exactly once.

Why from the event broker: Rasa streams every new tracker event of every conversation to
the broker of whichever replica handled the turn, whatever the channel; no channel or action
needs analytics code. Two replicas write to the same database, so nothing here is kept in a
process's memory: a row carries what its own event says (a ``user`` row its channel, a
``language`` slot row the language) and the metrics put a conversation together in SQL.

Personal data never enters the table: the sender id is a keyed hash (``ANALYTICS_HASH_KEY``),
texts are dropped and slots keep their NAME only. The exceptions are values that are codes,
not data about a person: ``language`` (id/en), ``handoff_reason`` (a reason code) and
``requested_slot`` (its value is the name of the question being asked).

Exactly once: ``event_key`` is a keyed digest of the whole event; the insert skips a key that
is already stored (``ON CONFLICT DO NOTHING``), so Rasa re-sending an event, or a retry after
a failed batch, adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.crm.db import get_engine
from bot.crm.models import AnalyticsEvent

FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_step_fallback"})
HANDOFF_ACTIONS = frozenset({"action_handoff"})
NOT_HELPFUL_INTENT = "not_helpful"
LANGUAGES = frozenset({"id", "en"})
# Actions that say nothing about the conversation (Rasa's own bookkeeping).
_SKIPPED_ACTIONS = frozenset({"action_listen", "action_session_start"})
_KINDS = {
    "user": "user",
    "bot": "bot",
    "action": "action",
    "active_loop": "form",
    "slot": "slot",
    "pause": "pause",
    "resume": "resume",
    "session_started": "session",
}


def conversation_hash(sender_id: str, key: str) -> str:
    """The sender id as stored: HMAC-SHA256, so it cannot be looked up from a phone number."""
    return hmac.new(key.encode(), sender_id.encode(), hashlib.sha256).hexdigest()


def event_key(event: Mapping[str, Any], key: str) -> str:
    """One key per distinct event: the same event sent twice gives the same key."""
    canonical = json.dumps(event, sort_keys=True, default=str, separators=(",", ":"))
    return hmac.new(key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def _name(value: Any, limit: int = 80) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def to_row(event: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """The row for one tracker event, or None when the event does not matter here."""
    kind = _KINDS.get(str(event.get("event")))
    sender_id = event.get("sender_id")
    if kind is None or not sender_id:
        return None
    row: dict[str, Any] = {
        "event_key": event_key(event, key),
        "conversation": conversation_hash(str(sender_id), key),
        "kind": kind,
        "channel": None,
        "language": None,
        "intent": None,
        "confidence": None,
        "action": None,
        "form": None,
        "slot": None,
        "handoff_reason": None,
        "fallback": False,
        "handoff": False,
        "occurred_at": datetime.fromtimestamp(float(event.get("timestamp") or 0), UTC),
    }
    if kind == "user":
        intent = event.get("parse_data", {}).get("intent") or {}
        row["channel"] = _name(event.get("input_channel"), 40)
        row["intent"] = _name(intent.get("name"))
        confidence = intent.get("confidence")
        row["confidence"] = float(confidence) if confidence is not None else None
        row["fallback"] = row["intent"] in FALLBACK_INTENTS
        language = (event.get("metadata") or {}).get("language")
        row["language"] = language if language in LANGUAGES else None
    elif kind == "action":
        name = _name(event.get("name"))
        if name is None or name in _SKIPPED_ACTIONS:
            return None
        row["action"] = name
        row["fallback"] = name in FALLBACK_ACTIONS
        row["handoff"] = name in HANDOFF_ACTIONS
    elif kind == "form":
        row["form"] = _name(event.get("name"))  # None: the form ended
    elif kind == "slot":
        name, value = event.get("name"), event.get("value")
        if name == "requested_slot":
            row["kind"] = "question"
            row["slot"] = _name(value)  # the NAME of the slot being asked for
        elif name == "language":
            if value not in LANGUAGES:
                return None
            row["kind"] = "language"
            row["language"] = value
        elif name == "handoff_reason":
            row["handoff_reason"] = _name(value, 40) if isinstance(value, str) else None
            row["slot"] = "handoff_reason"
        else:
            row["slot"] = _name(name)  # never the value
    elif kind == "pause":
        row["handoff"] = True
    return row


def _insert(dialect: str) -> Any:
    table = AnalyticsEvent.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["event_key"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["event_key"])
    raise ValueError(f"analytics: unsupported database {dialect}")


def record_events(events: Iterable[Mapping[str, Any]], key: str, url: str | None = None) -> int:
    """Store the rows of ``events`` in one transaction; the number of NEW rows."""
    rows = [row for row in (to_row(event, key) for event in events) if row is not None]
    if not rows:
        return 0
    now = datetime.now(UTC)
    for row in rows:
        row["recorded_at"] = now
    engine = get_engine(url)
    inserted = 0
    with engine.begin() as connection:
        statement = _insert(engine.dialect.name)
        for row in rows:  # one by one: rowcount tells what was new
            inserted += connection.execute(statement, row).rowcount or 0
    return inserted


def stored_rows(url: str | None = None) -> list[dict[str, Any]]:
    """Every row, oldest first (tests, exports)."""
    table = AnalyticsEvent.__table__
    with get_engine(url).connect() as connection:
        result = connection.execute(sa.select(table).order_by(table.c.occurred_at, table.c.id))
        return [dict(row._mapping) for row in result]
