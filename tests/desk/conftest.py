"""Fixtures for the desk and handoff tests.

* ``desk_db``: an empty migrated CRM database (SQLite file) set as CRM_DATABASE_URL;
  ``any_desk_db`` also runs on PostgreSQL (the database two replicas would share).
* ``on_duty`` / ``off_duty``: a business profile (written to tmp, set as BUSINESS_PROFILE)
  whose time zone puts "now" at local noon (on duty, every day) or at 02:00 (off duty), so
  the tests do not depend on the hour they run at.
* ``desk_server``: a real Sanic server built by Rasa's own ``configure_app`` (HTTP API with
  an auth token, the desk channel, the guarded REST channel and a recording channel), with a
  Rasa ``Agent`` holding real tracker and lock stores, on a free port; once on SQLite and
  once on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from desk_helpers import (
    ALL_DAYS,
    AUTH_TOKEN,
    PASSWORD,
    DeskServer,
    RecordingChannel,
    write_profile,
)
from rasa.core.channels.channel import CollectingOutputChannel

from bot import PROJECT_ROOT
from testkit.ports import free_port


@pytest.fixture(scope="session", autouse=True)
def _third_party_patches() -> None:
    """What ``python -m bot serve-rasa`` installs at start: these tests run Rasa in-process."""
    from bot import patches

    patches.install()


# ---- database ---------------------------------------------------------------------------
@pytest.fixture
def desk_db(sqlite_crm_url: str) -> str:
    """An empty migrated SQLite CRM (shared fixture), set as CRM_DATABASE_URL."""
    return sqlite_crm_url


@pytest.fixture
def any_desk_db(crm_url: str) -> str:
    """SQLite and PostgreSQL (the database two replicas would share)."""
    return crm_url


def _set_profile(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from bot.config import get_settings

    monkeypatch.setenv("BUSINESS_PROFILE", str(path))
    get_settings.cache_clear()
    return path


@pytest.fixture
def on_duty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Agents on duty all day, every day, and it is local noon."""
    hours = {day: {"open": "00:00", "close": "23:59"} for day in ALL_DAYS}
    return _set_profile(write_profile(tmp_path / "profile_on_duty.yml", 12, hours), monkeypatch)


@pytest.fixture
def off_duty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Agents on duty 08:00-17:00 every day, and it is 02:00 local time."""
    hours = {day: {"open": "08:00", "close": "17:00"} for day in ALL_DAYS}
    return _set_profile(write_profile(tmp_path / "profile_off_duty.yml", 2, hours), monkeypatch)


# ---- model --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def handoff_model(request: pytest.FixtureRequest) -> Path:
    """The session's trained model. DESK_TEST_MODEL (ignored in CI) lets a developer
    iterating on the desk reuse a model file instead of training one."""
    explicit = os.environ.get("DESK_TEST_MODEL")
    if explicit and not os.environ.get("CI"):
        return Path(explicit)
    return request.getfixturevalue("trained_model")


# ---- agents -----------------------------------------------------------------------------
@pytest.fixture
def make_agent() -> Callable[..., Any]:
    """Create agents in the database the test's DB fixture selected (desk_db / any_desk_db)."""
    from bot.crm import agents

    def create(
        username: str, role: str = "agent", display_name: str | None = None, online: bool = False
    ):
        record = agents.create_agent(username, PASSWORD, role, display_name or username.title())
        if online:
            agents.touch_agent(record.id)
        return record

    return create


@pytest.fixture(scope="session")
def project_domain() -> Any:
    """The project's domain, parsed once: parsing it was half the CPU of a desk test."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture
async def desk_server(
    any_desk_db: str, on_duty: Path, monkeypatch: pytest.MonkeyPatch, project_domain: Any
):
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.run import configure_app
    from rasa.core.tracker_store import InMemoryTrackerStore
    from sanic import Sanic

    from bot.bus import reset_bus
    from bot.channels.rest import GuardedRestInput
    from bot.desk.broker import HandoffEventBroker
    from bot.desk.channel import DeskChannel

    Sanic.test_mode = True  # several apps named "rasa_server" in one test process
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("DESK_SECRET_KEY", f"test-{uuid.uuid4().hex}")
    reset_bus()
    RecordingChannel.outbox = CollectingOutputChannel()
    recording = RecordingChannel()
    app = configure_app(
        [DeskChannel(), GuardedRestInput(), recording],
        cors="*",
        auth_token=AUTH_TOKEN,
        enable_api=True,
    )
    domain = project_domain
    # The tracker store streams to the handoff broker, as endpoints.yml configures it.
    broker = HandoffEventBroker()
    store = InMemoryTrackerStore(domain, event_broker=broker)
    app.ctx.agent = Agent(domain=domain, tracker_store=store, lock_store=InMemoryLockStore())
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.before_start()
    await server.after_start()
    desk = DeskServer(f"http://127.0.0.1:{port}", app, recording, broker)
    try:
        yield desk
    finally:
        for client in desk.clients:
            await client.aclose()
        await broker.close()
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        reset_bus()
