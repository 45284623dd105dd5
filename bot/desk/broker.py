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
"""

from __future__ import annotations

import asyncio
import logging
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


class HandoffEventBroker(EventBroker):
    def __init__(self, bus: Bus | None = None) -> None:
        self._bus = bus
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> HandoffEventBroker:
        return cls()

    @property
    def bus(self) -> Bus:
        return self._bus or get_bus()

    def publish(self, event: Event) -> None:
        if event.get("event") not in ("user", "pause", "resume"):
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
            event = await queue.get()
            try:
                await handle_event(event, self.bus)
            except Exception:
                # No event content in the log: it is customer text.
                logger.exception("handoff broker: failed to handle a %s event", event.get("event"))
            finally:
                queue.task_done()

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
