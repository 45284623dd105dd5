"""A customer's photo or PDF, on any channel: stored once, then shown or acknowledged.

During a handoff (the conversation is paused) the attachment is passed to Rasa as the
transcript line "[gambar] /desk/media/<key>" (neutralised: never an intent). A paused bot
does not answer, but the line is recorded in the tracker, so the agent desk shows it live
(the handoff event broker stores every customer message of an open handoff) and the
transcript keeps it. Outside a handoff the bot thanks the customer for the file (a receipt
photo is what the business profile asks customers to send); the file is stored either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.channels import hooks
from bot.channels.typed_intents import neutralise
from bot.media import (
    MediaRejected,
    StoredMedia,
    get_media_store,
    placeholder,
    receipt_acknowledgement,
    rejection,
)

logger = logging.getLogger(__name__)


async def conversation_state(tracker_store: Any, sender_id: str) -> tuple[bool, str | None]:
    """(paused, language slot) of the conversation; (False, None) when unknown."""
    if tracker_store is None:
        return False, None
    try:
        tracker = await tracker_store.retrieve(sender_id)
    except Exception:  # noqa: BLE001 - the default language and an acknowledgement will do
        logger.warning("could not read the tracker for an attachment")
        return False, None
    if tracker is None:
        return False, None
    language = tracker.get_slot("language")
    return tracker.is_paused(), language if isinstance(language, str) else None


async def receive_attachment(
    data: bytes,
    *,
    sender_id: str,
    channel: str,
    output: OutputChannel,
    tracker_store: Any,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    metadata: dict[str, Any] | None = None,
) -> StoredMedia | None:
    """Store ``data`` and route it; the customer is told when the file is refused."""
    paused, language = await conversation_state(tracker_store, sender_id)
    try:
        media = await asyncio.to_thread(get_media_store().put, data)
    except MediaRejected as exc:
        await output.send_text_message(sender_id, rejection(exc.reason, language))
        return None
    line = placeholder(media, language)
    if paused:
        try:
            await on_new_message(
                UserMessage(
                    neutralise(line),
                    output,
                    sender_id,
                    input_channel=channel,
                    metadata={**(metadata or {}), "channel": channel, "media_key": media.key},
                )
            )
        except Exception:
            logger.exception("Rasa failed on an attachment message")
    else:
        await output.send_text_message(sender_id, receipt_acknowledgement(media, language))
    await hooks.on_customer_message(sender_id, channel, line)
    return media
