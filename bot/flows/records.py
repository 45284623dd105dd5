"""Storing confirmed flows in the CRM, exactly once, under this conversation's customer.

The contact details typed in a form are stored on that record only (its contact snapshot):
a typed phone or e-mail is a claim, so it never links this conversation to another
customer, nor changes another customer's details (see bot/crm/customers.py). Only empty
name/company fields of the conversation's own customer are filled in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.crm import complaints as crm_complaints
from bot.crm import customers as crm_customers
from bot.crm import feedback as crm_feedback
from bot.crm import requests as crm_requests
from bot.crm.types import CreatedRecord
from bot.flows import calibration, complaints, feedback, financing
from bot.flows.base import Context
from bot.flows.contact import COMPANY, NAME

logger = logging.getLogger(__name__)


class NoConsent(ValueError):
    """The customer did not agree to be contacted: nothing may be stored."""


@dataclass(frozen=True)
class Saved:
    reference: str | None
    created: bool
    customer_id: int


def _customer_id(ctx: Context) -> int:
    if ctx.customer_id is None:
        raise ValueError("the customer must be resolved before saving")
    return ctx.customer_id


def _attach(ctx: Context, state: Mapping[str, Any], with_company: bool) -> int:
    customer = crm_customers.remember_details(
        _customer_id(ctx),
        name=state.get(NAME) or None,
        company=(state.get(COMPANY) or None) if with_company else None,
    )
    return customer.id


def _saved(what: str, created: CreatedRecord, customer_id: int) -> Saved:
    logger.info(
        "%s %s (new=%s) for customer %s", what, created.reference, created.created, customer_id
    )
    return Saved(created.reference, created.created, customer_id)


def save_calibration(ctx: Context, state: Mapping[str, Any], key: str) -> Saved:
    data = calibration.build_input(state)
    customer_id = _attach(ctx, state, with_company=True)
    created = crm_requests.create_calibration_request(
        customer_id, data, key, channel=ctx.channel or None, language=ctx.language
    )
    return _saved("calibration request", created, customer_id)


def save_financing(ctx: Context, state: Mapping[str, Any], key: str) -> Saved:
    if state.get(financing.CONSENT) is not True:
        raise NoConsent("no consent to be contacted")
    data = financing.build_input(state)
    customer_id = _attach(ctx, {NAME: state.get(NAME)}, with_company=False)
    created = crm_requests.create_financing_request(
        customer_id, data, key, channel=ctx.channel or None, language=ctx.language
    )
    return _saved("financing request", created, customer_id)


def save_complaint(ctx: Context, state: Mapping[str, Any], key: str) -> Saved:
    data = complaints.build_input(state)
    customer_id = _attach(ctx, {NAME: state.get(NAME)}, with_company=False)
    created = crm_complaints.create_complaint(
        customer_id, data, key, channel=ctx.channel or None, language=ctx.language
    )
    return _saved("complaint", created, customer_id)


def save_feedback(ctx: Context, state: Mapping[str, Any], key: str) -> Saved | None:
    data = feedback.build_input(state)
    if data is None:
        return None
    customer_id = _customer_id(ctx)
    # Saved answer by answer under the key of the rating's message (slot fb_key): the final
    # save completes that row rather than adding one.
    key = str(state.get(feedback.KEY) or key)
    created = crm_feedback.record_feedback_answers(customer_id, data, key)
    logger.info("feedback %s (new=%s) for customer %s", created.id, created.created, customer_id)
    return Saved(None, created.created, customer_id)


def save_feedback_progress(ctx: Context, state: Mapping[str, Any], key: str) -> Saved | None:
    """Store the feedback answered so far (from the rating on), under one key."""
    data = feedback.build_input(state)
    if data is None:
        return None
    customer_id = _customer_id(ctx)
    created = crm_feedback.record_feedback_answers(customer_id, data, key)
    return Saved(None, created.created, customer_id)


def known_contact(customer_id: int) -> dict[str, str]:
    """This conversation's own customer's details, for prefilling forms: its name/company
    and only the phones/e-mails it PROVED (never a claim typed in some chat)."""
    overview = crm_customers.customer_overview(customer_id)
    if overview is None:
        return {}
    known: dict[str, str] = {}
    if overview.customer.name:
        known["name"] = overview.customer.name
    if overview.customer.company:
        known["company"] = overview.customer.company
    for identity in overview.identities:
        if not identity.verified:
            continue
        if (
            identity.kind in ("phone", "whatsapp")
            and identity.value.startswith("+")
            and "phone" not in known
        ):
            known["phone"] = identity.value
        if identity.kind == "email" and "email" not in known:
            known["email"] = identity.value
    return known
