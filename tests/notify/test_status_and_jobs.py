"""Delivery status callbacks, the scheduled-job lock, the widget sender, the 24-hour clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.bus import TOPIC_DELIVER, InProcessBus
from bot.crm.db import session_scope
from bot.crm.dedupe import claim_inbound_message, last_inbound_at
from bot.crm.models import Notification
from bot.notify.outbox import enqueue
from bot.notify.schedule import run_exclusive
from bot.notify.senders import OutgoingNotification, WidgetSender
from bot.notify.status import apply_provider_status, apply_statuses


def _sent_notification(url: str, wamid: str = "wamid.X1") -> int:
    with session_scope(url) as session:
        nid = enqueue(
            session, kind="stage_changed", channel="whatsapp", recipient="6281234567890",
            idempotency_key=f"k:{wamid}",
        ).id  # fmt: skip
        session.execute(
            sa.update(Notification)
            .where(Notification.id == nid)
            .values(status="sent", provider_message_id=wamid)
        )
    return nid


def _status(url: str, nid: int) -> tuple[str, str | None]:
    with session_scope(url, readonly=True) as session:
        row = session.get(Notification, nid)
        assert row is not None
        return row.status, row.last_error


def test_status_callbacks_move_forward_only(crm_url: str) -> None:
    nid = _sent_notification(crm_url)
    apply_provider_status("wamid.X1", "delivered")
    assert _status(crm_url, nid)[0] == "delivered"
    apply_provider_status("wamid.X1", "read")
    apply_provider_status("wamid.X1", "delivered")  # late and out of order
    apply_provider_status("wamid.X1", "failed", [131026])
    assert _status(crm_url, nid)[0] == "read"
    assert apply_provider_status("wamid.unknown", "read") == 0


def test_a_failed_status_is_recorded_with_its_codes(crm_url: str) -> None:
    nid = _sent_notification(crm_url, "wamid.F")
    asyncio.run(apply_statuses([("wamid.F", "failed", (131026,))]))
    status, error = _status(crm_url, nid)
    assert status == "failed" and "131026" in (error or "")


def test_only_one_of_two_concurrent_workers_runs_a_period(crm_url: str, race: Any) -> None:
    now = datetime(2026, 12, 1, 10, 20, tzinfo=UTC)
    ran: list[int] = []

    def tick(i: int) -> bool:
        with run_exclusive("reminders", timedelta(hours=1), worker_id=f"w{i}", now=now) as mine:
            if mine:
                ran.append(i)
        return mine

    assert sorted(race(tick, 2)) == [False, True]
    # A restart in the same period does not run it again; the next period runs.
    assert not tick(3)
    with run_exclusive(
        "reminders", timedelta(hours=1), worker_id="w4", now=now + timedelta(hours=1)
    ) as mine:
        assert mine
    assert len(ran) == 1


def test_a_run_whose_worker_died_is_taken_over_after_the_lease(crm_url: str) -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    period = timedelta(hours=1)
    dying = run_exclusive("sla", period, worker_id="dies", now=now)
    assert dying.__enter__()  # the worker dies inside the job: no __exit__
    with run_exclusive("sla", period, worker_id="b", now=now + timedelta(minutes=5)) as mine:
        assert not mine  # still within the lease
    with run_exclusive("sla", period, worker_id="c", now=now + timedelta(minutes=31)) as mine:
        assert mine


def test_a_run_that_raised_is_retried_by_the_next_tick(crm_url: str) -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with (
        pytest.raises(RuntimeError),
        run_exclusive("calls", timedelta(hours=1), worker_id="a", now=now) as mine,
    ):
        assert mine
        raise RuntimeError("job failed")
    with run_exclusive("calls", timedelta(hours=1), worker_id="b", now=now) as mine:
        assert mine


def test_the_last_whatsapp_message_time_comes_from_the_inbound_claims(crm_url: str) -> None:
    assert last_inbound_at("whatsapp", "6281234567890") is None
    claim_inbound_message("whatsapp", "wamid.A", sender_id="6281234567890")
    claim_inbound_message("whatsapp", "wamid.B", sender_id="6289999999999")
    last = last_inbound_at("whatsapp", "6281234567890")
    assert last is not None and datetime.now(UTC) - last < timedelta(minutes=1)


def test_the_widget_sender_publishes_on_the_delivery_bus() -> None:
    bus = InProcessBus()
    received: list[dict[str, Any]] = []

    async def subscriber(payload: dict[str, Any]) -> None:
        received.append(payload)

    bus.subscribe(TOPIC_DELIVER, subscriber)
    sender = WidgetSender(bus=bus)
    note = OutgoingNotification(
        id=7, kind="stage_changed", channel="widget", recipient="a" * 32, language="id",
        idempotency_key="w:7", attempt=1, reference="KAL-2026-0007",
        payload={"stage": "scheduled"},
    )  # fmt: skip
    sender.send(note)
    (payload,) = received
    assert payload["channel"] == "socketio" and payload["recipient_id"] == "a" * 32
    assert "KAL-2026-0007" in payload["message"]["text"]
    assert "Jadwal kalibrasi ditetapkan" in payload["message"]["text"]


def test_the_widget_sender_reaches_other_processes_through_redis() -> None:
    """The worker is its own process: only the Redis bus reaches the Rasa replicas."""
    import json
    import os
    import uuid

    import redis

    from bot.bus import RedisBus

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable at {url}: {exc}")
    prefix = f"test:{uuid.uuid4().hex}:"
    pubsub = client.pubsub()
    pubsub.subscribe(prefix + TOPIC_DELIVER)
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]
    note = OutgoingNotification(
        id=8, kind="stage_changed", channel="widget", recipient="b" * 32, language="en",
        idempotency_key="w:8", attempt=1, reference="KAL-2026-0008",
        payload={"stage": "invoice_issued"},
    )  # fmt: skip
    WidgetSender(bus=RedisBus(url, prefix=prefix)).send(note)
    message = pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    assert message is not None
    payload = json.loads(message["data"])
    assert payload["recipient_id"] == "b" * 32
    assert "KAL-2026-0008 is now: Invoice issued" in payload["message"]["text"]
    pubsub.close()
