"""The notification tests run on SQLite and PostgreSQL, like the CRM tests, against local
fake providers (``fakes.py``): no network."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from bot.config import WorkerSettings, get_worker_settings
from bot.crm.sqltypes import utcnow
from bot.notify.senders import EmailSender, Sender, WidgetSender
from bot.notify.whatsapp import WhatsAppSender
from bot.notify.worker import Worker
from testkit.ports import free_port
from tests.notify.fakes import (
    ACCESS_TOKEN,
    PHONE_NUMBER_ID,
    FakeGraph,
    FakeSMTP,
    start_fake_graph,
    start_fake_smtp,
)


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    graph = start_fake_graph()
    yield graph
    if graph.hold is not None:
        graph.hold.set()
    assert graph.server is not None
    graph.server.shutdown()
    graph.server.server_close()


@pytest.fixture
def fake_smtp() -> Iterator[FakeSMTP]:
    smtp = start_fake_smtp(free_port())
    yield smtp
    smtp.stop()


class Clock:
    """The worker's clock: real time plus an offset tests move forward (backoff and leases
    without waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def worker_settings(smtp: FakeSMTP | None = None, **changes: object) -> WorkerSettings:
    base = dataclasses.replace(
        get_worker_settings(),
        poll_seconds=0.05,
        batch_size=10,
        max_attempts=4,
        lease_seconds=300,
        backoff_base_seconds=30,
        backoff_max_seconds=3600,
        smtp_host="127.0.0.1" if smtp else "",
        smtp_port=smtp.port if smtp else 0,
        smtp_starttls=False,
        smtp_username="",
        smtp_password="",
        smtp_from="cs@contoh-layanan.example",
        smtp_timeout_seconds=5,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


MakeWorker = Callable[..., Worker]


@pytest.fixture
def make_worker(
    crm_url: str,
    fake_graph: FakeGraph,
    fake_smtp: FakeSMTP,
    clock: Clock,
) -> MakeWorker:
    """A worker on the test database wired to the fake providers (and the test clock)."""

    def make(worker_id: str = "worker-a", **changes: object) -> Worker:
        settings = worker_settings(fake_smtp, **changes)
        senders: list[Sender] = [
            EmailSender(settings),
            WhatsAppSender(
                base_url=fake_graph.base_url,
                phone_number_id=PHONE_NUMBER_ID,
                access_token=ACCESS_TOKEN,
                database_url=crm_url,
            ),
        ]
        return Worker(
            crm_url,
            settings=settings,
            senders={s.channel: s for s in senders},
            worker_id=worker_id,
            clock=clock,
            rng=lambda: 1.0,
        )

    return make


__all__ = ["Clock", "MakeWorker", "WidgetSender", "worker_settings"]
