"""Rasa's SQL tracker store, pointed at the project's database settings.

endpoints.yml names this class, so ``rasa run`` and ``rasa shell`` keep conversations in SQL
(and resume forms and paused handoffs after a restart) without connection details in YAML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.config import get_settings
from bot.config import tracker_database_url as config_tracker_database_url
from bot.private_files import private_dir, private_file


def tracker_database_url() -> str:
    """bot.config.tracker_database_url, with the SQLite file's directory made private."""
    url = config_tracker_database_url()
    if url.startswith("sqlite") and not get_settings().tracker_database_url:
        private_dir(get_settings().var_dir, tighten=True)
    return url


def pooled_sqlite_engine(url: Any) -> Engine:
    """A pooled SQLite engine in WAL mode for the tracker.

    SQLAlchemy 1.4 gives a file SQLite URL a NullPool, so Rasa opened a new connection for
    each of its three sessions per message. WAL lets readers run beside the writer, and
    ``synchronous=NORMAL`` (safe in WAL mode: an application crash loses nothing, a power
    cut at most the last turns) spares an fsync per saved turn.
    """
    engine = sa.create_engine(
        url,
        hide_parameters=True,  # event JSON holds message texts: never in an error's text
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=10,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA secure_delete = ON")  # erased conversations leave no trace
        cursor.close()

    sa.event.listen(engine, "connect", _on_connect)
    return engine


def _create_private_sqlite_file(url: str) -> None:
    """Create the tracker's SQLite file 0600 before SQLite creates it world-readable."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    if parsed.get_backend_name() == "sqlite" and not in_memory:
        path = Path(database).expanduser()
        private_dir(path.parent)
        private_file(path)


class CrmSqlTrackerStore(SQLTrackerStore):
    engine: Engine  # set by SQLTrackerStore.__init__ (mypy cannot infer it there)

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        host: str | None = None,
        **kwargs: Any,
    ) -> None:
        # SQLTrackerStore accepts a full URL in `host`.
        url = host or tracker_database_url()
        _create_private_sqlite_file(url)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        # Rasa creates its engine without hide_parameters: an error would print message texts.
        self.engine.hide_parameters = True
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (
            None,
            "",
            ":memory:",
        ):
            self.engine.dispose()
            self.engine = pooled_sqlite_engine(self.engine.url)
            self.sessionmaker = sessionmaker(bind=self.engine)

    # Rasa's save() finds the events to stream by loading and replaying the stored tracker
    # (TrackerStore.stream_events) and then counts the stored events to find those to insert;
    # _retrieve() builds an ORM object per event only to read its JSON. Under load those were
    # 9% and 5% of the Rasa server's CPU (py-spy, bench/README.md). Here one count gives the
    # new events for both, they are streamed once committed, and only the JSON column is read.

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            for event in new_events:
                session.add(self._event_row(tracker.sender_id, event))
            session.commit()
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _event_row(self, sender_id: str, event: Event) -> Any:
        """The row Rasa's SQLTrackerStore.save writes for ``event`` (same columns)."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            rows = query.with_entities(self.SQLEvent.data).all()
        events = [json.loads(data) for (data,) in rows]
        if self.domain is None or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
