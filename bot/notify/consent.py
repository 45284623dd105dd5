"""STOP / START on any channel, and the worker's consent check at send time (issue 15).

Where the keywords are handled: in the CHANNEL layer, before Rasa (``bot.channels.optout``
calls :func:`handle_keyword`), not as an NLU intent. Why:

* an opt-out must work while an agent has the conversation (Rasa is paused then and no
  action runs), and whatever the NLU model thinks of "stop kirim" today;
* the keywords are exact, short and well known (the same words carriers and WhatsApp
  Business use), so matching them exactly is reliable and cannot misfire on a sentence
  such as "stop dulu, saya mau tanya harga" (only the whole message counts);
* the reply is the channel's own answer to the customer's message, like any bot reply, so
  it is the one message an opted-out customer still receives.

The worker calls :func:`blocked_reason` for every row it claims: an opted-out recipient's
notifications become ``cancelled`` with the reason, whenever they were written. Opting out
also cancels the pending rows at once, so the desk shows it without waiting for the worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.crm import consents
from bot.crm.db import run_in_transaction
from bot.notify.texts import get_texts

OPT_OUT = "opt_out"
OPT_IN = "opt_in"
# The answer to "may we remind you before the next calibration?" (asked once, after the
# certificates are issued: bot/cases/notify.py), by button payload or keyword.
REMINDERS_YES = "reminders_yes"
REMINDERS_NO = "reminders_no"
REMINDER_ACTIONS = (REMINDERS_YES, REMINDERS_NO)
# The button payloads of the question (WhatsApp reply buttons, widget quick replies).
REMINDERS_YES_PAYLOAD = "/reminders_yes"
REMINDERS_NO_PAYLOAD = "/reminders_no"

# Whole-message keywords (case, spacing and trailing punctuation ignored) -> action, language
# (None: the conversation's language).
KEYWORDS: dict[str, tuple[str, str | None]] = {
    "stop": (OPT_OUT, None),
    "berhenti": (OPT_OUT, "id"),
    "stop kirim": (OPT_OUT, "id"),
    "unsubscribe": (OPT_OUT, "en"),
    "start": (OPT_IN, None),
    "mulai lagi": (OPT_IN, "id"),
    "langganan lagi": (OPT_IN, "id"),
    "subscribe": (OPT_IN, "en"),
    REMINDERS_YES_PAYLOAD: (REMINDERS_YES, None),
    REMINDERS_NO_PAYLOAD: (REMINDERS_NO, None),
    "ingatkan": (REMINDERS_YES, "id"),
    "ya ingatkan": (REMINDERS_YES, "id"),
    "jangan ingatkan": (REMINDERS_NO, "id"),
    "tidak usah ingatkan": (REMINDERS_NO, "id"),
    "remind me": (REMINDERS_YES, "en"),
    "no reminders": (REMINDERS_NO, "en"),
    "no reminder": (REMINDERS_NO, "en"),
}
_SPACES = re.compile(r"\s+")
_MAX_KEYWORD_CHARS = 32


@dataclass(frozen=True)
class KeywordReply:
    action: str  # opt_out | opt_in
    language: str
    text: str
    cancelled: int  # pending notifications cancelled by an opt-out


def match_keyword(text: str | None) -> tuple[str, str, str | None] | None:
    """(normalised keyword, action, language or None) if the whole message is a keyword."""
    if not text or len(text) > _MAX_KEYWORD_CHARS * 2:
        return None
    normalised = _SPACES.sub(" ", text.strip().lower()).strip(" .!")
    found = KEYWORDS.get(normalised)
    if found is None:
        return None
    return normalised, found[0], found[1]


def reply_text(action: str, language: str) -> str:
    from bot.profile import get_profile

    profile = get_profile()
    kind = {
        OPT_OUT: "consent_opted_out",
        OPT_IN: "consent_opted_in",
        REMINDERS_YES: "reminder_consent_yes",
        REMINDERS_NO: "reminder_consent_no",
    }[action]
    extra = {
        "company": profile.short_name,
        "address_form": profile.address_form if language == "id" else "",
    }
    return get_texts().render(kind, language, {}, None, extra).text


def handle_keyword(
    inbound_channel: str,
    sender_id: str,
    text: str | None,
    language: str | None = None,
    url: str | None = None,
) -> KeywordReply | None:
    """Record a STOP/START (or the answer to the reminder question) written on
    ``inbound_channel``; the reply to send, or None."""
    matched = match_keyword(text)
    if matched is None:
        return None
    keyword, action, keyword_language = matched
    lang = keyword_language or (language if language in ("id", "en") else "id")
    channel, address = consents.address_for(inbound_channel, sender_id)
    granted = action in (OPT_IN, REMINDERS_YES)
    reminders = action in REMINDER_ACTIONS

    def work(session: Session) -> int:
        customer_id = consents.customer_for_sender(session, inbound_channel, sender_id)
        consents.record(
            session,
            channel=channel,
            address=address,
            customer_id=customer_id,
            purpose="reminders" if reminders else "all",
            granted=granted,
            # the answer to our question (button or its keyword) vs. STOP/START
            source="asked" if reminders else "keyword",
            via=inbound_channel,
            keyword=keyword,
        )
        if granted or reminders:
            return 0
        return consents.cancel_pending(
            session, channel, address, customer_id, opted_out_reason(channel)
        )

    cancelled = run_in_transaction(work, url)
    return KeywordReply(action, lang, reply_text(action, lang), cancelled)


def opted_out_reason(channel: str) -> str:
    return f"cancelled: the recipient opted out (STOP on {channel})"


def normalised_address(channel: str, recipient: str) -> str:
    """A notification recipient as consents store it: e-mail lower-cased, a WhatsApp number
    without "+" (customer identities keep the "+", keyword consents come without it)."""
    if channel == "email":
        return recipient.lower()
    if channel == "whatsapp":
        return recipient.lstrip("+")
    return recipient


def blocked_reason(
    session: Session,
    channel: str,
    recipient: str,
    customer_id: int | None,
    purpose: str = "transactional",
) -> str | None:
    """Why the worker must not send this notification now, or None if it may."""
    address = normalised_address(channel, recipient)
    by_address = consents.latest_for_address(session, channel, address, "all")
    by_customer = (
        consents.latest_for_customer(session, customer_id, "all")
        if customer_id is not None
        else None
    )
    for state in (by_address, by_customer):
        if state is not None and not state.granted:
            return opted_out_reason(state.channel)
    if purpose == "reminders":
        states = [consents.latest_for_address(session, channel, address, "reminders")]
        if customer_id is not None:
            states.append(consents.latest_for_customer(session, customer_id, "reminders"))
        known = [s for s in states if s is not None]
        if not known or not max(known, key=lambda s: s.at).granted:
            return "cancelled: no consent to reminders"
    return None
