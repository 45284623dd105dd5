"""Deliver an agent's message to the customer on the channel the conversation came from.

Built on Rasa's channel abstraction, so a new channel needs no change here. The rule, in
order, for the input channel whose ``name()`` matches the conversation's channel:

1. the channel defines ``async deliver(recipient_id, message)``: call it;
2. the channel holds live connections (a socket.io channel): publish on the bus topic
   ``deliver``; every replica's channel emits to the customer's room, and only the replica
   holding the connection has members in it;
3. the channel's ``get_output_channel()`` returns an OutputChannel (stateless APIs such as
   WhatsApp, Telegram, Twilio): ``send_response(recipient_id, message)``;
4. otherwise (e.g. the REST channel, which can only answer the request in flight) nothing
   is pushed; the message is still in the tracker and the desk says so.

``message`` is a Rasa response dict: ``{"text": ..., "buttons": [...]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.core.channels.socketio import SocketIOInput

from bot.bus import TOPIC_DELIVER, Bus, get_bus

logger = logging.getLogger(__name__)

Message = dict[str, Any]


def find_channel(input_channels: Iterable[InputChannel], name: str | None) -> InputChannel | None:
    for channel in input_channels:
        if channel.name() == name:
            return channel
    return None


def holds_live_connections(channel: InputChannel) -> bool:
    """Channels whose connections live in one replica's memory must be reached via the bus."""
    flag = getattr(channel, "delivers_via_bus", None)
    if flag is not None:
        return bool(flag)
    return isinstance(channel, SocketIOInput)


async def is_connected(
    input_channels: Iterable[InputChannel], channel_name: str | None, recipient_id: str
) -> bool | None:
    """Whether the customer has a live connection now; None for channels without one
    (WhatsApp, Twilio, REST: their messages are sent, not pushed to an open page)."""
    channel = find_channel(input_channels, channel_name)
    check = getattr(channel, "is_connected", None) if channel is not None else None
    if not callable(check):
        return None
    try:
        return bool(await check(recipient_id))
    except Exception:
        logger.exception("could not tell whether %r has a live connection", channel_name)
        return False


async def deliver(
    input_channels: Iterable[InputChannel],
    channel_name: str | None,
    recipient_id: str,
    messages: list[Message],
    bus: Bus | None = None,
) -> bool:
    """Push ``messages`` to the customer; True if a push path exists (not a read receipt)."""
    channel = find_channel(input_channels, channel_name)
    if channel is None:
        logger.warning(
            "no input channel named %r: agent message kept in the tracker only", channel_name
        )
        return False
    custom = getattr(channel, "deliver", None)
    if callable(custom):
        for message in messages:
            await custom(recipient_id, message)
        return True
    if holds_live_connections(channel):
        bus = bus or get_bus()
        for message in messages:
            await bus.publish(
                TOPIC_DELIVER,
                {"channel": channel.name(), "recipient_id": recipient_id, "message": message},
            )
        return True
    output = channel.get_output_channel()
    if output is None:
        return False
    for message in messages:
        await output.send_response(recipient_id, dict(message))
    return True
