"""The customer notification a stage change owes, written into the outbox in the SAME transaction.

Why here and not in the UI: a notification must exist exactly when the stage change commits
(``bot.notify.outbox``; the worker sends it). Where it goes is decided once: the customer's
WhatsApp identity (a number WhatsApp itself vouches for) if any, else the e-mail given with
the request, else the website chat the request came from. The idempotency key names the case
and its new version, so a retried identical request cannot add a second notification.

When a calibration request's certificates are issued, the customer is also asked, ONCE
(idempotency key per customer), whether they want a reminder before the next calibration is
due (:func:`ask_reminder_consent`): reminders are only sent with that consent
(bot/notify/jobs.py). The answer (yes/no button or keyword) is recorded by the channel layer
(bot/notify/consent.py) with its time and channel.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.pipelines import Pipeline, StageDef, pick
from bot.crm import consents
from bot.crm.models import Case, CustomerIdentity
from bot.notify.consent import (
    REMINDERS_NO_PAYLOAD,
    REMINDERS_YES_PAYLOAD,
    blocked_reason,
    normalised_address,
)
from bot.notify.outbox import enqueue
from bot.profile import BusinessProfile

logger = logging.getLogger(__name__)

KIND = "stage_changed"


def recipient_for(session: Session, case: Case) -> tuple[str, str] | None:
    """(channel, recipient) for a customer notification about ``case``, or None."""
    identities: list[tuple[str, str]] = []
    if case.customer_id is not None:
        identities = [
            (str(kind), str(value))
            for kind, value in session.execute(
                sa.select(CustomerIdentity.kind, CustomerIdentity.value)
                .where(CustomerIdentity.customer_id == case.customer_id)
                .order_by(CustomerIdentity.id)
            ).all()
        ]
    whatsapp = next((value for kind, value in identities if kind == "whatsapp"), None)
    if whatsapp:
        return "whatsapp", whatsapp
    if case.email:
        return "email", case.email
    web = next((value for kind, value in identities if kind == "web"), None)
    if web:
        return "widget", web
    return None


def next_step_text(profile: BusinessProfile, stage: StageDef | None, language: str) -> str | None:
    if stage is None or stage.next_step is None:
        return None
    days = stage.sla.days if stage.sla else 0
    address = profile.address_form if language != "en" else "you"
    text = pick(stage.next_step, language)
    return text.replace("{days}", str(days)).replace("{address_form}", address)


def enqueue_stage_change(
    session: Session,
    case: Case,
    pipeline: Pipeline,
    stage: StageDef,
    profile: BusinessProfile,
    visible: dict[str, Any],
) -> int | None:
    """Write the notification for ``case`` having reached ``stage``; its id, or None."""
    target = recipient_for(session, case)
    if target is None:
        logger.info("case %s: no channel to notify the customer on", case.reference)
        return None
    channel, recipient = target
    payload = {
        "reference": case.reference,
        "case_type": case.type,
        "case_type_label": {lang: pick(pipeline.label, lang) for lang in ("id", "en")},
        "stage": stage.id,
        "stage_label": {lang: pick(stage.label, lang) for lang in ("id", "en")},
        "next_step": {lang: next_step_text(profile, stage, lang) for lang in ("id", "en")},
        "details": visible,
    }
    result = enqueue(
        session,
        kind=KIND,
        channel=channel,
        recipient=recipient,
        idempotency_key=f"case:{case.reference}:v{case.version}:{stage.id}",
        language=case.language if case.language in ("id", "en") else "id",
        payload=payload,
        customer_id=case.customer_id,
        reference=case.reference,
    )
    return result.id if result.created else None


REMINDER_QUESTION = "reminder_consent_question"


def ask_reminder_consent(
    session: Session, case: Case, expiry_date: str, profile: BusinessProfile
) -> int | None:
    """Ask the customer once whether to remind them before ``expiry_date``; the new
    notification's id, or None (already asked or answered, opted out, unreachable)."""
    target = recipient_for(session, case)
    if target is None:
        return None
    channel, recipient = target
    if blocked_reason(session, channel, recipient, case.customer_id) is not None:
        return None  # opted out of everything: do not ask
    address = normalised_address(channel, recipient)
    answered = consents.latest_for_address(session, channel, address, "reminders")
    if answered is None and case.customer_id is not None:
        answered = consents.latest_for_customer(session, case.customer_id, "reminders")
    if answered is not None:
        return None
    try:
        expiry = f"{date.fromisoformat(expiry_date):%d-%m-%Y}"
    except ValueError:
        return None
    who = f"customer:{case.customer_id}" if case.customer_id is not None else f"{channel}:{address}"
    result = enqueue(
        session,
        kind=REMINDER_QUESTION,
        channel=channel,
        recipient=recipient,
        idempotency_key=f"reminders-question:{who}",
        language=case.language if case.language in ("id", "en") else "id",
        payload={
            "expiry_date": expiry,
            "lead_days": str(profile.reminder_lead_days),
            "buttons": [
                {
                    "title": {"id": "Ya, ingatkan", "en": "Yes, remind me"},
                    "payload": REMINDERS_YES_PAYLOAD,
                },
                {
                    "title": {"id": "Tidak perlu", "en": "No, thanks"},
                    "payload": REMINDERS_NO_PAYLOAD,
                },
            ],
        },
        customer_id=case.customer_id,
        reference=case.reference,
    )
    return result.id if result.created else None
