"""The project's SQL tracker store keeps conversations and streams each new event once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import CrmSqlTrackerStore
from tests.fixtures.databases import (
    BOTH_DATABASES,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


@pytest.fixture(params=BOTH_DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrmSqlTrackerStore]:
    """The store on a SQLite file, and on a throw-away PostgreSQL database (production)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    else:
        require_postgres()
        url = create_postgres_database("tracker_test")
    store = CrmSqlTrackerStore(Domain.empty(), RecordingBroker(), host=url)
    try:
        yield store
    finally:
        store.engine.dispose()
        if request.param != "sqlite":
            drop_postgres_database(url)


async def greeted(store: CrmSqlTrackerStore, sender_id: str) -> DialogueStateTracker:
    """A stored conversation with one customer message, read back from the store."""
    tracker = await store.get_or_create_tracker(sender_id)
    tracker.update(UserUttered("halo", {"name": "greet"}))
    await store.save(tracker)
    return await store.retrieve(sender_id)


async def test_each_new_event_is_streamed_once_across_saves(store: CrmSqlTrackerStore) -> None:
    tracker = await greeted(store, "web-1")
    tracker.update(BotUttered("Halo Kak"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing streamed

    published = store.event_broker.published
    assert [e["event"] for e in published] == ["action", "user", "bot", "action"]
    assert {e["sender_id"] for e in published} == {"web-1"}
    stored = await store.retrieve("web-1")
    assert [e.type_name for e in stored.events] == [e["event"] for e in published]


async def test_a_new_session_streams_only_its_own_events(store: CrmSqlTrackerStore) -> None:
    tracker = await greeted(store, "web-2")
    # Rasa starts a new session in the same tracker: only the events after it are "latest".
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(UserUttered("lagi", {"name": "greet"}))
    await store.save(tracker)
    kinds = [e["event"] for e in store.event_broker.published]
    assert kinds.count("user") == 2
    assert kinds[-3:] == ["action", "session_started", "user"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_sqlite_tracker_reuses_connections_in_wal_mode(store: CrmSqlTrackerStore) -> None:
    await greeted(store, "web-3")
    assert store.engine.pool.checkedin() >= 1  # a pooled connection, not one per session
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
