"""A Rasa event broker that shows customers' messages to the agent during a handoff.

Why a broker rather than a hook in each channel: Rasa streams every new tracker event of
every conversation to the configured broker, whatever channel the message came from
(widget, WhatsApp, REST, a channel added later). So no channel needs code for the desk.

Configured in endpoints.yml::

    event_broker:
      type: bot.desk.broker.HandoffEventBroker

For a ``user`` event of a conversation with an open handoff the message is stored in
``handoff_messages`` and published on the bus topic ``desk``; ``pause``/``resume`` events
tell desks that the queue changed. ``publish`` is synchronous and called on Rasa's event
loop, so it only enqueues; one worker task does the blocking database work in a thread,
in arrival order.

The same broker feeds analytics (issue 17): Rasa allows ONE event broker, so this one is a
composite - every event also goes to ``bot.analytics.capture``, which writes compact,
personal-data-free rows with an idempotency key (a re-sent event adds nothing). The events a
replica publishes are the ones its own turns created, and all replicas write to the same
database, so two Rasa replicas give one row per event. Events are batched: the worker takes
everything queued so far and stores it in one transaction, off Rasa's event loop.
``ANALYTICS_CAPTURE=0`` turns the capture off. Prometheus counters (messages by channel,
response latency) are updated here too, in ``publish``, without any I/O.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import UTC
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.bus import TOPIC_DESK, Bus, get_bus
from bot.handoff.transcript import customer_text

logger = logging.getLogger(__name__)

Event = dict[str, Any]


def _timestamp(value: Any) -> float:
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


async def handle_event(event: Event, bus: Bus) -> None:
    """Store and announce one tracker event (the unit the tests drive)."""
    from bot.crm import handoffs

    kind = event.get("event")
    sender_id = event.get("sender_id")
    if kind in ("pause", "resume"):
        await bus.publish(TOPIC_DESK, {"kind": "queue_changed", "handoff_id": None})
        return
    if kind != "user" or not sender_id:
        return
    handoff = await asyncio.to_thread(handoffs.active_handoff_for, sender_id)
    if handoff is None:
        return
    # The message that triggered the handoff is already in its transcript.
    if (event.get("timestamp") or 0) < _timestamp(handoff.queued_at):
        return
    text = customer_text(event.get("text"))
    stored = await asyncio.to_thread(handoffs.add_message, handoff.id, "customer", text)
    await bus.publish(
        TOPIC_DESK,
        {
            "kind": "customer_message",
            "handoff_id": handoff.id,
            "agent_id": handoff.agent_id,  # whose desk alerts on it (issue 16)
            "message_id": stored.id,
            "text": text,
            "at": stored.created_at.isoformat(),
        },
    )


HANDOFF_EVENTS = ("user", "pause", "resume")
# Senders whose last message awaits the bot's first answer (latency histogram); bounded.
_MAX_PENDING_ANSWERS = 10_000


def record_analytics(events: list[Event], key: str) -> int:
    """Store a batch in analytics_events (blocking; runs in a thread)."""
    from bot.analytics.capture import record_events
    from bot.observability import ANALYTICS_EVENTS

    inserted = record_events(events, key)
    ANALYTICS_EVENTS.inc(inserted)
    return inserted


class HandoffEventBroker(EventBroker):
    def __init__(self, bus: Bus | None = None, analytics: bool | None = None) -> None:
        self._bus = bus
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._analytics = analytics
        self._analytics_key: str | None = None
        self._awaiting_answer: OrderedDict[str, float] = OrderedDict()
        # Conversations this replica saw paused (handoff): their answers come from agents.
        self._paused: set[str] = set()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> HandoffEventBroker:
        return cls()

    @property
    def bus(self) -> Bus:
        return self._bus or get_bus()

    @property
    def analytics_enabled(self) -> bool:
        if self._analytics is None:
            from bot.config import get_settings

            self._analytics = get_settings().analytics_capture
        return self._analytics

    def _observe(self, event: Event) -> None:
        """Prometheus: messages by channel and the time to the bot's first answer."""
        from bot.observability import MESSAGES, RESPONSE_LATENCY

        kind, sender = event.get("event"), str(event.get("sender_id") or "")
        if kind == "pause":  # an agent answers from now on: not the bot's latency
            self._paused.add(sender)
            self._awaiting_answer.pop(sender, None)
        elif kind == "resume":
            self._paused.discard(sender)
        if kind == "user":
            MESSAGES.labels(channel=str(event.get("input_channel") or "unknown")).inc()
            if sender in self._paused:
                return
            self._awaiting_answer[sender] = time.monotonic()
            self._awaiting_answer.move_to_end(sender)
            while len(self._awaiting_answer) > _MAX_PENDING_ANSWERS:
                self._awaiting_answer.popitem(last=False)
        elif kind == "bot":
            started = self._awaiting_answer.pop(sender, None)
            if started is not None:
                RESPONSE_LATENCY.observe(time.monotonic() - started)

    def publish(self, event: Event) -> None:
        self._observe(event)
        if event.get("event") not in HANDOFF_EVENTS and not self.analytics_enabled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.warning("handoff broker: event outside an event loop ignored")
            return
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._drain(self._queue))
        self._queue.put_nowait(event)

    async def _drain(self, queue: asyncio.Queue) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._store_analytics(batch)
                for event in batch:
                    if event.get("event") not in HANDOFF_EVENTS:
                        continue
                    try:
                        await handle_event(event, self.bus)
                    except Exception:
                        # No event content in the log: it is customer text.
                        logger.exception(
                            "handoff broker: failed to handle a %s event", event.get("event")
                        )
            finally:
                for _ in batch:
                    queue.task_done()

    async def _store_analytics(self, batch: list[Event]) -> None:
        if not self.analytics_enabled:
            return
        from bot.observability import ANALYTICS_ERRORS

        try:
            if self._analytics_key is None:
                from bot.config import get_settings

                self._analytics_key = get_settings().analytics_hash_key
            await asyncio.to_thread(record_analytics, batch, self._analytics_key)
        except Exception:
            ANALYTICS_ERRORS.inc()
            logger.exception("analytics: failed to store %d tracker events", len(batch))

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until queued events are handled (shutdown, tests)."""
        if self._queue is not None:
            await asyncio.wait_for(self._queue.join(), timeout)

    async def close(self) -> None:
        try:
            await self.flush()
        except TimeoutError:
            logger.warning("handoff broker: closing with unhandled events")
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
