"""Real ``python -m bot worker`` processes against the fake providers.

Two workers share one queue without sending a row twice (PostgreSQL: SKIP LOCKED; SQLite:
serialised claims), and a worker killed with SIGKILL while the provider holds its request
leaves a row the next worker handles as documented (held for review, not resent).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import PROJECT_ROOT
from bot.crm.db import session_scope
from bot.crm.models import Notification
from bot.notify.outbox import enqueue
from tests.notify.fakes import ACCESS_TOKEN, PHONE_NUMBER_ID, FakeGraph, FakeSMTP

DEADLINE_S = 60


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Workers:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"worker-{len(self.procs)}.log"
        handle = open(log, "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=PROJECT_ROOT,
            env=self.env | env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        self.procs.append((proc, log))
        wait_for(lambda: "started" in log.read_text() or proc.poll() is not None, "start")
        assert proc.poll() is None, log.read_text()
        return proc

    def stop_all(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(
    crm_url: str, fake_graph: FakeGraph, fake_smtp: FakeSMTP, tmp_path: Path
) -> Iterator[Workers]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "WHATSAPP_"))}
    env.pop("REDIS_URL", None)
    env |= {
        "CRM_DATABASE_URL": crm_url,
        "BOT_VAR_DIR": str(tmp_path / "var"),
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_GRAPH_BASE_URL": fake_graph.base_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(fake_smtp.port),
        "SMTP_STARTTLS": "0",
        "NOTIFY_POLL_SECONDS": "0.05",
        "NOTIFY_BATCH_SIZE": "5",
    }
    group = Workers(env, tmp_path)
    yield group
    group.stop_all()


def _statuses(url: str) -> Counter[str]:
    with session_scope(url, readonly=True) as session:
        return Counter(session.execute(sa.select(Notification.status)).scalars().all())


def test_two_workers_deliver_fifty_rows_each_exactly_once(
    crm_url: str, workers: Workers, fake_graph: FakeGraph, fake_smtp: FakeSMTP
) -> None:
    fake_graph.delay = 0.02  # a provider call takes time, so both workers get work
    workers.start()
    workers.start()
    with session_scope(crm_url) as session:
        for i in range(50):
            by_mail = i % 2 == 0
            enqueue(
                session,
                kind="stage_changed",
                channel="email" if by_mail else "whatsapp",
                recipient=f"c{i}@example.com" if by_mail else f"62812000{i:05d}",
                idempotency_key=f"stage:{i}",
                reference=f"KAL-2026-{i:04d}",
                payload={"stage": "certificate_issued"},
            )
    wait_for(lambda: _statuses(crm_url)["sent"] == 50, "50 sent rows")

    wa_recipients = Counter(r["to"] for r in fake_graph.sent())
    mail_recipients = Counter(m["To"] for m in fake_smtp.messages)
    assert len(wa_recipients) == 25 and set(wa_recipients.values()) == {1}
    assert len(mail_recipients) == 25 and set(mail_recipients.values()) == {1}
    with session_scope(crm_url, readonly=True) as session:
        rows: list[Any] = session.execute(
            sa.select(Notification.claimed_by, Notification.attempts)
        ).all()
    assert {attempts for _, attempts in rows} == {1}
    if crm_url.startswith("postgresql"):
        assert len({claimed_by for claimed_by, _ in rows}) == 2  # both took part


def test_a_worker_killed_while_the_provider_has_the_message_does_not_cause_a_resend(
    crm_url: str, workers: Workers, fake_graph: FakeGraph
) -> None:
    import threading

    fake_graph.hold = threading.Event()
    first = workers.start(NOTIFY_LEASE_SECONDS="1")
    with session_scope(crm_url) as session:
        nid = enqueue(
            session,
            kind="stage_changed",
            channel="whatsapp",
            recipient="6281299990000",
            idempotency_key="stage:killed",
            reference="KAL-2026-0500",
            payload={"stage": "invoice_issued"},
        ).id
    assert fake_graph.received.wait(DEADLINE_S)
    first.kill()  # SIGKILL while the provider holds the request: no outcome recorded
    first.wait()
    fake_graph.hold.set()
    with session_scope(crm_url, readonly=True) as session:
        row = session.get(Notification, nid)
        assert row is not None and row.status == "sending" and row.send_started_at is not None

    workers.start(NOTIFY_LEASE_SECONDS="1")
    wait_for(lambda: _statuses(crm_url)["failed"] == 1, "the row held for review")
    assert len(fake_graph.sent()) == 1
