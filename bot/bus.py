"""A small publish/subscribe bus between the desk and the channels.

Why it exists: an agent's reply must reach a customer whose socket.io connection may be held
by *another* Rasa replica. Every replica subscribes; the one holding the customer's room
emits, the others' emits go to an empty room (a no-op).

Two implementations behind one interface:

* :class:`InProcessBus` - the single-process embedded default (no Redis configured);
* :class:`RedisBus` - Redis pub/sub, used when ``REDIS_URL`` is set, so replicas share it.

Delivery is at-most-once and live only: a replica that is down misses the message. That is
acceptable because the durable copy of every agent message is in the tracker and in the
``handoff_messages`` table; the bus only pushes it to open connections.

Topics and their payloads (JSON objects; both implementations pass a JSON round-tripped copy):

``deliver`` (desk -> channels that hold live connections)::

    {"channel": "<input channel name, e.g. socketio>",
     "recipient_id": "<conversation id = socket.io room>",
     "message": {"text": "...", "buttons": [{"title": "...", "payload": "/..."}], ...}}

  ``message`` is a Rasa response dict, so a channel can pass it to its output channel's
  ``send_response(recipient_id, message)``.

``desk`` (Rasa event broker / desk handlers -> every desk websocket)::

    {"kind": "customer_message" | "agent_message" | "queue_changed" | "handoff_claimed"
             | "handoff_closed", "handoff_id": int | None, ...}

Subscribe from inside a running event loop (e.g. a Sanic ``before_server_start`` listener):
the Redis listener task needs a loop. ``await bus.start()`` waits until the subscription is
active, so a publish right after it is not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

Payload = dict[str, Any]
Callback = Callable[[Payload], Awaitable[None]]

TOPIC_DELIVER = "deliver"
TOPIC_DESK = "desk"


def _copy(payload: Payload) -> Payload:
    """JSON round trip: subscribers get what Redis would give them, never a shared object."""
    return json.loads(json.dumps(payload))


class Bus:
    """Interface: ``subscribe(topic, callback)`` and ``await publish(topic, payload)``."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Callback]] = {}

    def subscribe(self, topic: str, callback: Callback) -> None:
        self._subscribers.setdefault(topic, []).append(callback)

    def unsubscribe(self, topic: str, callback: Callback) -> None:
        callbacks = self._subscribers.get(topic, [])
        if callback in callbacks:
            callbacks.remove(callback)

    async def publish(self, topic: str, payload: Payload) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        """Wait until subscriptions are live (no-op for the in-process bus)."""

    async def close(self) -> None:
        """Release connections (no-op for the in-process bus)."""

    async def _dispatch(self, topic: str, payload: Payload) -> None:
        for callback in list(self._subscribers.get(topic, [])):
            try:
                await callback(_copy(payload))
            except Exception:
                logger.exception("bus subscriber for topic %r failed", topic)


class InProcessBus(Bus):
    """Subscribers in this process are called in order, before ``publish`` returns."""

    async def publish(self, topic: str, payload: Payload) -> None:
        await self._dispatch(topic, _copy(payload))


class RedisBus(Bus):
    """Redis pub/sub; every process using the same ``url`` and ``prefix`` shares the topics."""

    def __init__(self, url: str, prefix: str = "layanan:bus:") -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._listener: asyncio.Task | None = None
        self._listener_loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None

    def _redis(self) -> Any:
        # A redis.asyncio client is bound to the loop it first ran on; recreate it per loop.
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = aioredis.from_url(self.url)
            self._client_loop = loop
        return self._client

    def subscribe(self, topic: str, callback: Callback) -> None:
        super().subscribe(topic, callback)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # started later by start() or the first publish
        self._ensure_listener()

    def _ensure_listener(self) -> None:
        loop = asyncio.get_running_loop()
        if self._listener is not None and not self._listener.done() and self._listener_loop is loop:
            return
        self._ready = asyncio.Event()
        self._listener_loop = loop
        self._listener = loop.create_task(self._listen(self._ready))

    async def start(self) -> None:
        self._ensure_listener()
        assert self._ready is not None
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def publish(self, topic: str, payload: Payload) -> None:
        if self._subscribers:
            self._ensure_listener()
        await self._redis().publish(self.prefix + topic, json.dumps(payload))

    async def _listen(self, ready: asyncio.Event) -> None:
        # One pattern subscription covers topics subscribed later, without re-subscribing.
        delay = 0.5
        while True:
            pubsub = None
            try:
                pubsub = self._redis().pubsub()
                await pubsub.psubscribe(self.prefix + "*")
                ready.set()
                delay = 0.5
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    try:
                        payload = json.loads(message["data"])
                    except (TypeError, ValueError):
                        logger.warning("bus: dropped a message that is not JSON")
                        continue
                    await self._dispatch(channel[len(self.prefix) :], payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect on any Redis failure
                logger.warning("bus: Redis listener failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # best effort on a broken connection
                        await pubsub.close()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()
            self._client = None


_bus: Bus | None = None


def get_bus() -> Bus:
    """The process-wide bus: Redis when ``REDIS_URL`` is set, else in-process."""
    global _bus
    if _bus is None:
        from bot.config import get_settings

        url = get_settings().redis_url
        _bus = RedisBus(url) if url else InProcessBus()
    return _bus


def reset_bus() -> None:
    """Forget the process-wide bus (tests switch settings between cases)."""
    global _bus
    _bus = None
