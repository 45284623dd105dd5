"""Tracker events reach ``analytics_events`` once, without personal data (bot.analytics.capture
through the event broker of bot.desk.broker)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SlotSet,
    UserUttered,
)
from rasa.utils.endpoints import EndpointConfig

from bot import PROJECT_ROOT
from bot.analytics.capture import conversation_hash, stored_rows
from bot.bus import InProcessBus
from bot.desk.broker import HandoffEventBroker
from bot.tracker_store import CrmSqlTrackerStore

PHONE = "6281234567890"
KEY = "test-analytics-key"


@pytest.fixture
def analytics_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ANALYTICS_HASH_KEY", KEY)
    monkeypatch.delenv("ANALYTICS_CAPTURE", raising=False)
    return KEY


@pytest.fixture
def tracker_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'tracker.sqlite3'}"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


async def replica(
    tracker_url: str, domain: Domain
) -> tuple[HandoffEventBroker, CrmSqlTrackerStore]:
    """One Rasa replica: the broker as endpoints.yml loads it, over the shared tracker store."""
    broker = await EventBroker.create(EndpointConfig(type="bot.desk.broker.HandoffEventBroker"))
    assert isinstance(broker, HandoffEventBroker)
    broker._bus = InProcessBus()
    return broker, CrmSqlTrackerStore(domain, broker, host=tracker_url)


def user(text: str, intent: str, confidence: float) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence}, input_channel="whatsapp")


async def test_a_scripted_conversation_on_two_replicas_is_stored_once_without_personal_data(
    crm_url: str, analytics_key: str, tracker_url: str, domain: Domain
) -> None:
    sender = f"{PHONE}-{uuid.uuid4().hex[:6]}"
    broker_a, store_a = await replica(tracker_url, domain)
    broker_b, store_b = await replica(tracker_url, domain)

    # Turn 1 on replica A: the customer starts a calibration request and gives a phone number.
    tracker = await store_a.get_or_create_tracker(sender)
    tracker.update(user(f"mau kalibrasi, nomor saya {PHONE}", "request_calibration", 0.93))
    tracker.update(SlotSet("language", "id"))
    tracker.update(ActionExecuted("calibration_request_form"))
    tracker.update(ActiveLoop("calibration_request_form"))
    tracker.update(SlotSet("requested_slot", "cal_instrument_spec"))
    tracker.update(BotUttered("Alat apa yang ingin dikalibrasi, Kak?"))
    tracker.update(ActionExecuted("action_listen"))
    await store_a.save(tracker)
    await broker_a.flush()

    # Turn 2 on replica B (the lock store hands the conversation over): an unclear answer.
    tracker = await store_b.retrieve(sender)
    assert tracker is not None
    tracker.update(user("Budi Santoso, Jl. Melati 5", "nlu_fallback", 0.31))
    tracker.update(SlotSet("cal_instrument_spec", "Budi Santoso"))
    tracker.update(ActionExecuted("action_default_fallback"))
    tracker.update(BotUttered("Maaf, saya belum paham."))
    tracker.update(ActionExecuted("action_listen"))
    await store_b.save(tracker)
    await broker_b.flush()

    # Rasa re-sends every event of the conversation (a retry, a replayed stream): nothing new.
    for event in tracker.events:
        broker_a.publish(event.as_dict() | {"sender_id": sender})
    await broker_a.flush()

    rows = stored_rows(crm_url)
    described = [(r["kind"], r["intent"] or r["action"] or r["form"] or r["slot"]) for r in rows]
    assert described == [
        ("user", "request_calibration"),
        ("language", None),
        ("action", "calibration_request_form"),
        ("form", "calibration_request_form"),
        ("question", "cal_instrument_spec"),
        ("bot", None),
        ("user", "nlu_fallback"),
        ("slot", "cal_instrument_spec"),
        ("action", "action_default_fallback"),
        ("bot", None),
    ]
    assert len({r["event_key"] for r in rows}) == len(rows)
    assert {r["conversation"] for r in rows} == {conversation_hash(sender, KEY)}
    first, fallback = rows[0], rows[6]
    assert (first["channel"], first["confidence"], first["fallback"]) == ("whatsapp", 0.93, False)
    assert (fallback["intent"], fallback["fallback"]) == ("nlu_fallback", True)
    assert rows[8]["fallback"] is True
    assert rows[1]["language"] == "id"
    # No text, no slot value, no phone number anywhere in the table.
    stored = repr(rows)
    for secret in (PHONE, "Budi", "Melati", "kalibrasi, nomor", "Maaf"):
        assert secret not in stored
    await broker_a.close()
    await broker_b.close()
    store_a.engine.dispose()
    store_b.engine.dispose()


async def test_capture_can_be_switched_off(
    sqlite_crm_url: str, analytics_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_CAPTURE", "0")
    broker = HandoffEventBroker(bus=InProcessBus())
    event: dict[str, Any] = {
        "event": "user",
        "sender_id": "web-off",
        "text": "halo",
        "timestamp": time.time(),
        "parse_data": {"intent": {"name": "greet", "confidence": 0.9}},
    }
    broker.publish(event)
    await broker.flush()
    assert stored_rows(sqlite_crm_url) == []
    await broker.close()
