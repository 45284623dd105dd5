"""Drop duplicate deliveries (Meta and Twilio retry webhooks) by message id.

The claim lives in the CRM database (``inbound_messages``), not in memory, so two Rasa
replicas receiving the same retry still process the message once.
"""

from __future__ import annotations

import asyncio


async def claim_message(channel: str, message_id: str, sender_id: str | None = None) -> bool:
    """True the first time ``(channel, message_id)`` is seen, False for every repeat.

    Raises when the database is unreachable: the webhook then answers 5xx and the sender
    retries later, so the message is delayed rather than lost.
    """
    from bot.crm.dedupe import claim_inbound_message

    # Synchronous SQLAlchemy: run it in a thread so the event loop keeps serving.
    return bool(
        await asyncio.to_thread(claim_inbound_message, channel, message_id, sender_id=sender_id)
    )
