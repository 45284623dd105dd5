"""The event broker shows customers' messages to the agent (bot.desk.broker)."""

from __future__ import annotations

import time
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.bus import InProcessBus
from bot.crm import handoffs
from bot.desk.broker import HandoffEventBroker, handle_event


def collector(bus: InProcessBus, topic: str = "desk") -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    async def on_event(payload: dict[str, Any]) -> None:
        seen.append(payload)

    bus.subscribe(topic, on_event)
    return seen


async def test_messages_during_an_open_handoff_are_stored_and_announced(desk_db) -> None:
    bus = InProcessBus()
    seen = collector(bus)
    record = handoffs.open_handoff("web-1", "socketio", None, "customer_request", {}, [], "k1")
    await handle_event(
        {"event": "user", "sender_id": "web-1", "text": "halo <b>?</b>", "timestamp": time.time()},
        bus,
    )
    assert [(m.sender, m.text) for m in handoffs.messages(record.id)] == [
        ("customer", "halo <b>?</b>")
    ]
    assert seen[0]["kind"] == "customer_message"
    assert (seen[0]["handoff_id"], seen[0]["text"]) == (record.id, "halo <b>?</b>")


async def test_messages_without_a_handoff_and_the_trigger_itself_are_not_stored(desk_db) -> None:
    bus = InProcessBus()
    seen = collector(bus)
    before = time.time() - 5  # the message that asked for a human, before the row existed
    record = handoffs.open_handoff("web-2", "socketio", None, "customer_request", {}, [], "k2")
    await handle_event(
        {"event": "user", "sender_id": "web-2", "text": "mau ke CS", "timestamp": before}, bus
    )
    await handle_event(
        {"event": "user", "sender_id": "someone-else", "text": "halo", "timestamp": time.time()},
        bus,
    )
    await handle_event(
        {"event": "bot", "sender_id": "web-2", "text": "Baik", "timestamp": time.time()}, bus
    )
    assert handoffs.messages(record.id) == []
    assert seen == []
    handoffs.close(record.id, None)
    await handle_event(
        {"event": "user", "sender_id": "web-2", "text": "terima kasih", "timestamp": time.time()},
        bus,
    )
    assert handoffs.messages(record.id) == []


async def test_pause_and_resume_tell_desks_the_queue_changed(desk_db) -> None:
    bus = InProcessBus()
    seen = collector(bus)
    await handle_event({"event": "pause", "sender_id": "web-3", "timestamp": time.time()}, bus)
    await handle_event({"event": "resume", "sender_id": "web-3", "timestamp": time.time()}, bus)
    assert [e["kind"] for e in seen] == ["queue_changed", "queue_changed"]


async def test_broker_is_loaded_like_rasa_loads_it_and_follows_tracker_saves(desk_db) -> None:
    """endpoints.yml names the class; Rasa streams every saved event to it."""
    from rasa.core.brokers.broker import EventBroker

    broker = await EventBroker.create(EndpointConfig(type="bot.desk.broker.HandoffEventBroker"))
    assert isinstance(broker, HandoffEventBroker)
    bus = InProcessBus()
    broker._bus = bus
    seen = collector(bus)
    domain = Domain.empty()
    store = InMemoryTrackerStore(domain, event_broker=broker)
    record = handoffs.open_handoff("web-4", "rest", None, "customer_request", {}, [], "k4")
    tracker = await store.get_or_create_tracker("web-4")
    tracker.update(ConversationPaused())
    for text in ("satu", "dua", "tiga"):
        tracker.update(UserUttered(text))
    await store.save(tracker)
    await broker.flush()
    assert [m.text for m in handoffs.messages(record.id)] == ["satu", "dua", "tiga"]  # in order
    assert [e["kind"] for e in seen] == [
        "queue_changed",
        "customer_message",
        "customer_message",
        "customer_message",
    ]
    await broker.close()
