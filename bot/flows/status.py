"""Status check by reference number, shown only to the record's owner.

The owner is recognised by the channel identity (the customer record behind this
conversation). Anyone else is asked for the phone number on the record, and the answer is
compared. Whether the reference does not exist, belongs to someone else, or the phone does
not match, the customer sees the same questions and the same final "cannot show" reply, so
the bot never reveals that someone else's reference exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.cases.status_view import StatusView
from bot.crm.types import RecordStatus
from bot.flows import texts
from bot.flows.base import Attempt, Context, FormFlow, Reply, Turn
from bot.flows.validators import check_phone, check_reference

REFERENCE = "status_reference"
PHONE = "status_phone"
VERIFIED = "status_verified"


@dataclass(frozen=True)
class StatusBackend:
    """The CRM look-ups the status check needs (real functions; replaceable in tests)."""

    belongs_to: Callable[[str, int], bool]
    matches_phone: Callable[[str, str], bool]
    find: Callable[[str], RecordStatus | None]
    # The back-office case's customer view (stage, since when, next step); None: no case.
    view: Callable[[str, str], StatusView | None] = lambda reference, language: None


def crm_backend() -> StatusBackend:
    from bot.cases.status_view import status_view
    from bot.crm.status import find_by_reference, reference_belongs_to, reference_matches_phone

    return StatusBackend(
        belongs_to=lambda reference, customer_id: reference_belongs_to(reference, customer_id),
        matches_phone=lambda reference, phone: reference_matches_phone(reference, phone),
        find=lambda reference: find_by_reference(reference),
        view=lambda reference, language: status_view(reference, language),
    )


class StatusFlow(FormFlow):
    name = "status_form"
    own_intents = frozenset({"check_status"})
    slots = (REFERENCE, PHONE, VERIFIED)

    def __init__(self, backend: StatusBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> StatusBackend:
        if self._backend is None:
            self._backend = crm_backend()
        return self._backend

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        if state.get(REFERENCE) is not None and state.get(VERIFIED) is True:
            return [REFERENCE]
        return [REFERENCE, PHONE]

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        # A new check forgets the previous one's answers.
        updates: dict[str, Any] = {REFERENCE: None, PHONE: None, VERIFIED: None}
        reference = turn.first("reference")
        if reference:
            checked = check_reference(str(reference))
            if checked.ok:
                updates.update(self._owned(str(checked.value), ctx))
        return updates

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot == REFERENCE:
            raw = turn.first("reference") or turn.plain_text
            checked = check_reference(str(raw))
            if not checked.ok:
                return Attempt.from_checked(checked, "utter_invalid_reference")
            return Attempt(updates=self._owned(str(checked.value), ctx))
        if slot == PHONE:
            entity = turn.first("phone")
            checked_phone = check_phone(str(entity) if entity else turn.plain_text)
            if not checked_phone.ok:
                return Attempt.from_checked(checked_phone, "utter_invalid_phone")
            reference = str(state.get(REFERENCE))
            matches = self.backend.matches_phone(reference, str(checked_phone.value))
            return Attempt.ok(**{PHONE: checked_phone.value, VERIFIED: matches})
        raise KeyError(slot)

    def _owned(self, reference: str, ctx: Context) -> dict[str, Any]:
        owned = ctx.customer_id is not None and self.backend.belongs_to(reference, ctx.customer_id)
        return {REFERENCE: reference, VERIFIED: True if owned else None, PHONE: None}


FLOW = StatusFlow()


def status_reply(
    state: Mapping[str, Any], ctx: Context, backend: StatusBackend | None = None
) -> Reply:
    """The stage and last update date, or the same refusal for every failed case."""
    backend = backend or FLOW.backend
    reference = state.get(REFERENCE)
    if not reference or state.get(VERIFIED) is not True:
        return Reply("utter_status_not_available", {"reference": reference or "-"})
    record = backend.find(str(reference))
    # Checked again here rather than trusting a slot: the reply is what must never leak.
    owner = (
        ctx.customer_id is not None and record is not None and record.customer_id == ctx.customer_id
    )
    phone = state.get(PHONE)
    if record is None or not (
        owner or (phone and backend.matches_phone(str(reference), str(phone)))
    ):
        return Reply("utter_status_not_available", {"reference": reference})
    view = backend.view(record.reference, ctx.language)
    if view is not None:  # the case's real stage, since when, the next step and its timing
        return Reply(
            "utter_status_result",
            {
                "reference": view.reference,
                "kind": view.type_label,
                "stage": view.stage_label,
                "updated": view.reached_text,
                "details": view.details_text,
            },
        )
    updated = texts.local_datetime(record.updated_at, ctx.profile).date()
    return Reply(
        "utter_status_result",
        {
            "reference": record.reference,
            "kind": texts.label(texts.KINDS, record.kind, ctx.language),
            "stage": texts.label(texts.STAGES, record.status, ctx.language),
            "updated": texts.format_day(updated, ctx.language),
            "details": "",
        },
    )
