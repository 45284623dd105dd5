"""The delivery bus: in-process, and Redis pub/sub shared by two "replicas" (real Redis)."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest

from bot.bus import InProcessBus, RedisBus

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
def redis_prefix() -> str:
    # A fresh namespace per test: parallel test runs on one Redis do not see each other.
    return f"test:{uuid.uuid4().hex}:"


@pytest.fixture(autouse=True)
def _require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis unreachable: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")


async def test_in_process_bus_calls_subscribers_in_order_with_copies() -> None:
    bus = InProcessBus()
    seen: list[dict[str, Any]] = []

    async def first(payload):
        payload["mutated"] = True  # must not leak into the second subscriber's copy
        seen.append(("first", dict(payload)))

    async def second(payload):
        seen.append(("second", dict(payload)))

    bus.subscribe("deliver", first)
    bus.subscribe("deliver", second)
    bus.subscribe("desk", second)
    await bus.publish("deliver", {"recipient_id": "abc", "message": {"text": "halo"}})
    assert seen == [
        ("first", {"recipient_id": "abc", "message": {"text": "halo"}, "mutated": True}),
        ("second", {"recipient_id": "abc", "message": {"text": "halo"}}),
    ]


async def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    bus = InProcessBus()
    seen: list[str] = []

    async def broken(payload):
        raise RuntimeError("boom")

    async def fine(payload):
        seen.append(payload["x"])

    bus.subscribe("t", broken)
    bus.subscribe("t", fine)
    await bus.publish("t", {"x": "ok"})
    assert seen == ["ok"]


async def test_redis_bus_reaches_a_subscriber_in_another_replica(redis_prefix: str) -> None:
    """Desk on replica A publishes; the socket.io channel on replica B receives it."""
    replica_a = RedisBus(REDIS_URL, prefix=redis_prefix)
    replica_b = RedisBus(REDIS_URL, prefix=redis_prefix)
    got_b: list[dict[str, Any]] = []
    got_a: list[dict[str, Any]] = []

    async def on_b(payload):
        got_b.append(payload)

    async def on_a(payload):
        got_a.append(payload)

    replica_b.subscribe("deliver", on_b)
    replica_a.subscribe("deliver", on_a)
    await replica_b.start()
    await replica_a.start()
    try:
        payload = {
            "channel": "socketio",
            "recipient_id": "f" * 32,
            "message": {"text": "Halo, saya Rina 😊"},
        }
        await replica_a.publish("deliver", payload)
        await wait_for(lambda: got_b and got_a)
        assert got_b == [payload]
        assert got_a == [payload]  # every replica gets it; only the one holding the room emits
        await replica_a.publish("other-topic", {"x": 1})
        await replica_a.publish("deliver", {"n": 2})
        await wait_for(lambda: len(got_b) == 2)
        assert got_b[1] == {"n": 2}
    finally:
        await replica_a.close()
        await replica_b.close()


async def test_redis_bus_topic_subscribed_after_start_is_received(redis_prefix: str) -> None:
    bus = RedisBus(REDIS_URL, prefix=redis_prefix)
    publisher = RedisBus(REDIS_URL, prefix=redis_prefix)
    got: list[dict[str, Any]] = []

    async def on_desk(payload):
        got.append(payload)

    await bus.start()
    bus.subscribe("desk", on_desk)
    try:
        await publisher.publish("desk", {"kind": "queue_changed"})
        await wait_for(lambda: got)
        assert got == [{"kind": "queue_changed"}]
    finally:
        await bus.close()
        await publisher.close()


async def test_redis_namespaces_do_not_mix(redis_prefix: str) -> None:
    mine = RedisBus(REDIS_URL, prefix=redis_prefix)
    other = RedisBus(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    got: list[dict[str, Any]] = []

    async def on_message(payload):
        got.append(payload)

    mine.subscribe("deliver", on_message)
    await mine.start()
    try:
        # Redis delivers in publish order: had the other namespace's message reached this
        # bus, it would have arrived before "mine".
        await other.publish("deliver", {"from": "other"})
        await mine.publish("deliver", {"from": "mine"})
        await wait_for(lambda: got)
        assert got == [{"from": "mine"}]
    finally:
        await mine.close()
        await other.close()
