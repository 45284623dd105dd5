"""Status check by reference number, shown only to the record's owner.

The owner is the customer the record was created for (the very conversation that created
it, or one linked to that customer on proof), or a conversation that proved one of the
contacts stored on the record (bot/crm/status.py). Typing the phone number on record is
NOT proof (anyone may know a number), so everyone else is handed to the verification flow
(bot/flows/verification.py), which offers a one-time code sent to the record's contact,
shown masked. Look-ups are rate-limited per conversation and, for non-owners, per
reference; past the limit the customer gets a polite "try again later".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.cases.labels import in_sentence
from bot.cases.status_view import StatusView
from bot.crm.status import StatusAccess
from bot.crm.types import RecordStatus
from bot.flows import texts
from bot.flows.base import Attempt, Context, FormFlow, Reply, Turn
from bot.flows.validators import check_reference

REFERENCE = "status_reference"
ACCESS = "status_access"  # owner | verify | unknown | blocked

OWNER = "owner"
VERIFY = "verify"
UNKNOWN = "unknown"
BLOCKED = "blocked"


@dataclass(frozen=True)
class StatusBackend:
    """The CRM look-ups the status check needs (real functions; replaceable in tests)."""

    access: Callable[[str, int | None], StatusAccess]
    attempt_allowed: Callable[[str, Context, bool], bool]
    find: Callable[[str], RecordStatus | None]
    # The back-office case's customer view (stage, since when, next step); None: no case.
    view: Callable[[str, str], StatusView | None] = lambda reference, language: None


def crm_backend() -> StatusBackend:
    from bot.cases.status_view import status_view
    from bot.crm.status import access, find_by_reference, status_attempt_allowed

    return StatusBackend(
        access=lambda reference, customer_id: access(reference, customer_id),
        attempt_allowed=lambda reference, ctx, owner: status_attempt_allowed(
            reference, ctx.channel or "rest", ctx.sender_id, owner=owner
        ),
        find=lambda reference: find_by_reference(reference),
        view=lambda reference, language: status_view(reference, language),
    )


class StatusFlow(FormFlow):
    name = "status_form"
    own_intents = frozenset({"check_status"})
    slots = (REFERENCE, ACCESS)

    def __init__(self, backend: StatusBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> StatusBackend:
        if self._backend is None:
            self._backend = crm_backend()
        return self._backend

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        return [REFERENCE]

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        # A new check forgets the previous one's answers.
        updates: dict[str, Any] = {REFERENCE: None, ACCESS: None}
        reference = turn.first("reference")
        if reference:
            checked = check_reference(str(reference))
            if checked.ok:
                updates.update(self._look_up(str(checked.value), ctx))
        return updates

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot == REFERENCE:
            raw = turn.first("reference") or turn.plain_text
            checked = check_reference(str(raw))
            if not checked.ok:
                return Attempt.from_checked(checked, "utter_invalid_reference")
            return Attempt(updates=self._look_up(str(checked.value), ctx))
        raise KeyError(slot)

    def _look_up(self, reference: str, ctx: Context) -> dict[str, Any]:
        access = self.backend.access(reference, ctx.customer_id)
        if not self.backend.attempt_allowed(reference, ctx, access.owner):
            outcome = BLOCKED
        elif access.owner:
            outcome = OWNER
        elif access.exists and access.options:
            outcome = VERIFY
        else:
            outcome = UNKNOWN
        return {REFERENCE: reference, ACCESS: outcome}


FLOW = StatusFlow()


def needs_verification(state: Mapping[str, Any]) -> str | None:
    """The reference to verify for, when the check ended at "not yours: verify first"."""
    reference = state.get(REFERENCE)
    return str(reference) if reference and state.get(ACCESS) == VERIFY else None


def status_reply(
    state: Mapping[str, Any], ctx: Context, backend: StatusBackend | None = None
) -> Reply:
    """The stage and last update date; a polite refusal otherwise."""
    backend = backend or FLOW.backend
    reference = state.get(REFERENCE)
    if reference and state.get(ACCESS) == BLOCKED:
        return Reply("utter_status_too_many_attempts")
    if not reference or state.get(ACCESS) != OWNER:
        return Reply("utter_status_not_available", {"reference": reference or "-"})
    # Checked again here rather than trusting a slot: the reply is what must never leak.
    if not backend.access(str(reference), ctx.customer_id).owner:
        return Reply("utter_status_not_available", {"reference": reference})
    record = backend.find(str(reference))
    if record is None:
        return Reply("utter_status_not_available", {"reference": reference})
    view = backend.view(record.reference, ctx.language)
    if view is not None:  # the case's real stage, since when, the next step and its timing
        return Reply(
            "utter_status_result",
            {
                "reference": view.reference,
                "kind": in_sentence(view.type_label, ctx.language),
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
            "kind": in_sentence(texts.label(texts.KINDS, record.kind, ctx.language), ctx.language),
            "stage": texts.label(texts.STAGES, record.status, ctx.language),
            "updated": texts.format_day(updated, ctx.language),
            "details": "",
        },
    )
