"""STOP / START keywords, intercepted by every channel before the message reaches Rasa.

Why here and not as an intent: an opt-out must work during a handoff, when the bot is paused
and no action would run, and must not depend on the NLU model; the keywords are exact
whole-message words (bot/notify/consent.py). The channel answers with the confirmation
through its normal reply path (the answer to the customer's own message, so it is the one
message an opted-out customer still gets), tells the desk like any customer message, and
does not pass the keyword to Rasa (the bot would only answer "I did not understand").
During a handoff the agent gets an internal note saying so.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.channels.masking import mask_id
from bot.notify.consent import (
    OPT_IN,
    OPT_OUT,
    REMINDERS_NO,
    REMINDERS_YES,
    handle_keyword,
    match_keyword,
)

logger = logging.getLogger(__name__)


async def _conversation_language(tracker_store: Any, sender_id: str) -> str | None:
    if tracker_store is None:
        return None
    try:
        tracker = await tracker_store.retrieve(sender_id)
    except Exception:  # noqa: BLE001 - the default language will do
        logger.warning("could not read the conversation language for a consent keyword")
        return None
    value = tracker.get_slot("language") if tracker is not None else None
    return value if isinstance(value, str) else None


async def consent_reply(
    sender_id: str, inbound_channel: str, text: str | None, tracker_store: Any = None
) -> str | None:
    """If ``text`` is STOP/START (or berhenti, mulai lagi, ...): record it, return the reply.

    None when the message is something else, or when recording failed (then it goes on to
    Rasa as usual and the customer gets no false confirmation).
    """
    matched = match_keyword(text)
    if matched is None:
        return None
    language = None
    if matched[2] is None:  # "STOP"/"START": answer in the conversation's language
        language = await _conversation_language(tracker_store, sender_id)
    try:
        reply = await asyncio.to_thread(handle_keyword, inbound_channel, sender_id, text, language)
    except Exception:
        logger.exception("consent keyword from %s could not be recorded", mask_id(sender_id))
        return None
    if reply is None:
        return None
    logger.info(
        "%s from %s on %s (%d pending notifications cancelled)",
        reply.action,
        mask_id(sender_id),
        inbound_channel,
        reply.cancelled,
    )
    await _tell_the_desk(sender_id, reply.action, matched[0])
    return reply.text


NOTES = {
    OPT_OUT: "Pelanggan mengirim “{keyword}”: berhenti menerima pemberitahuan dan pengingat. "
    "Konfirmasi sudah dikirim otomatis.",
    OPT_IN: "Pelanggan mengirim “{keyword}”: kembali menerima pemberitahuan. "
    "Konfirmasi sudah dikirim otomatis.",
    REMINDERS_YES: "Pelanggan menjawab “{keyword}”: setuju diingatkan sebelum kalibrasi "
    "berikutnya. Konfirmasi sudah dikirim otomatis.",
    REMINDERS_NO: "Pelanggan menjawab “{keyword}”: tidak ingin pengingat kalibrasi. "
    "Konfirmasi sudah dikirim otomatis.",
}


async def _tell_the_desk(sender_id: str, action: str, keyword: str) -> None:
    """During a handoff the agent must know: the keyword never reaches the tracker (which is
    what the desk's transcript shows), so it is added as an internal note, live."""
    from bot.bus import TOPIC_DESK, get_bus
    from bot.crm import handoffs

    try:
        handoff = await asyncio.to_thread(handoffs.active_handoff_for, sender_id)
        if handoff is None:
            return
        text = NOTES[action].format(keyword=keyword.upper())
        stored = await asyncio.to_thread(handoffs.add_message, handoff.id, "note", text)
        await get_bus().publish(
            TOPIC_DESK,
            {
                "kind": "note",
                "handoff_id": handoff.id,
                "message_id": stored.id,
                "agent": "Sistem",
                "text": text,
                "at": stored.created_at.isoformat(),
            },
        )
    except Exception:  # the opt-out itself is recorded; the note is a courtesy
        logger.exception("could not tell the desk about a consent keyword")
