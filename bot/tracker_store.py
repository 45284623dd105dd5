"""Rasa's SQL tracker store, pointed at the project's database settings.

endpoints.yml names this class, so ``rasa run`` and ``rasa shell`` keep conversations in SQL
(and resume forms and paused handoffs after a restart) without connection details in YAML.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.config import VAR_DIR, get_settings


def tracker_database_url() -> str:
    """TRACKER_DATABASE_URL, else the CRM database (PostgreSQL) or a sibling SQLite file.

    With SQLite the tracker gets its own file: Rasa and the action server then never
    wait on each other's write lock.
    """
    explicit = os.environ.get("TRACKER_DATABASE_URL")
    if explicit:
        return explicit
    crm_url = get_settings().database_url
    if crm_url.startswith("sqlite"):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"
    return crm_url


class CrmSqlTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        host: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        # SQLTrackerStore accepts a full URL in `host`.
        super().__init__(
            domain=domain, host=host or tracker_database_url(), event_broker=event_broker, **kwargs
        )
