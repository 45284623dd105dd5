"""One call for the agent desk to reach a customer on the channel they came from.

The desk calls ``await deliver(channel, recipient_id, message)`` with the conversation's
latest input channel (``tracker.get_latest_input_channel()``) and a Rasa response dict
(``{"text": ..., "buttons": [...], "agent_name": ...}``). A new channel is added here, not
in the desk.

* ``whatsapp``: Graph API call from this process (stateless; exactly one replica sends).
* ``twilio``: Twilio REST API call from this process.
* anything else (``socketio`` ...): published on the bus; the replica holding the
  customer's live connection emits it.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict


async def deliver(channel: str, recipient_id: str, message: Dict[str, Any]) -> None:
    if channel == "whatsapp":
        from bot.channels.whatsapp import send_response

        await send_response(recipient_id, message)
        return
    if channel == "twilio":
        from bot.channels.twilio import ValidatedTwilioInput

        output = ValidatedTwilioInput.from_credentials({}).get_output_channel()
        await output.send_response(recipient_id, dict(message))
        return
    from bot.bus import TOPIC_DELIVER, get_bus

    await get_bus().publish(
        TOPIC_DELIVER, {"channel": channel, "recipient_id": recipient_id, "message": message}
    )


def deliver_sync(channel: str, recipient_id: str, message: Dict[str, Any]) -> None:
    """For synchronous callers outside an event loop (CLI tools, scripts)."""
    asyncio.run(deliver(channel, recipient_id, message))
