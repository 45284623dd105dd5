"""Proving a contact with a one-time code, inside the conversation.

Started when someone asks for a record that is not theirs (bot/flows/status.py). We offer
to send a 6-digit code to a contact stored on the record, shown masked ("08**-****-7890",
"b***@example.com"), so the real owner recognises it and nobody else learns it. The code
is written to the outbox (bot/crm/identity.py), never sent from here. Typed back within
10 minutes (5 tries), it proves the contact: the conversation then owns the records with
that contact, and joins the customer who proved it before, if any.

The full phone/e-mail never enters the conversation's slots: the flow only handles the
contact's kind and its masked form.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.crm.identity import ChallengeStart, CodeCheck
from bot.crm.status import ContactOption
from bot.flows.base import (
    Attempt,
    Button,
    Context,
    FormFlow,
    Reply,
    Turn,
    choice_payload,
    chosen,
    read_yes_no,
)

REFERENCE = "verification_reference"  # set by the flow that needs the proof
CHANNEL = "verification_channel"  # phone | email | declined | blocked | unavailable
CODE = "verification_code"  # verified | expired | locked
DESTINATION = "verification_destination"  # masked contact the code went to

DECLINED = "declined"
BLOCKED = "blocked"
UNAVAILABLE = "unavailable"
_FINAL_CHANNEL = (DECLINED, BLOCKED, UNAVAILABLE)
VERIFIED = "verified"
EXPIRED = "expired"
LOCKED = "locked"

_KIND_WORDS = {
    "phone": re.compile(r"\b(wa|whats\s*app|watsap|wasap|hp|phone|telepon|nomor)\b", re.I),
    "email": re.compile(r"\b(e-?mail|surel)\b", re.I),
}
_CODE = re.compile(r"^\D*((?:\d[\s-]?){5,}\d)\D*$")
CODE_LENGTH = 6


@dataclass(frozen=True)
class VerificationBackend:
    """The CRM calls the flow needs (real functions; replaceable in tests)."""

    options: Callable[[str, int | None], tuple[ContactOption, ...]]
    # (reference, contact kind, ctx, idempotency key) -> None when no such contact.
    start: Callable[[str, str, Context, str], ChallengeStart | None]
    check: Callable[[str, Context], CodeCheck]


def crm_backend() -> VerificationBackend:
    from bot.crm.identity import check_code, start_challenge
    from bot.crm.status import access, contact_on_record

    def start(reference: str, kind: str, ctx: Context, key: str) -> ChallengeStart | None:
        value = contact_on_record(reference, kind)
        if value is None:
            return None
        return start_challenge(
            channel=ctx.channel or "rest",
            sender_id=ctx.sender_id,
            contact_kind=kind,
            contact_value=value,
            idempotency_key=key,
            language=ctx.language,
            reference=reference,
        )

    return VerificationBackend(
        options=lambda reference, customer_id: access(reference, customer_id).options,
        start=start,
        check=lambda code, ctx: check_code(
            code, channel=ctx.channel or "rest", sender_id=ctx.sender_id
        ),
    )


def option_label(option: ContactOption, language: str) -> str:
    if option.kind == "phone":
        return f"WhatsApp {option.masked}"
    return f"E-mail {option.masked}"


def offer_buttons(options: tuple[ContactOption, ...], language: str) -> tuple[Button, ...]:
    """One button per contact kind on record (the first of each), then "no thanks"."""
    seen: dict[str, ContactOption] = {}
    for option in options:
        seen.setdefault(option.kind, option)
    buttons = [Button(option_label(o, language), choice_payload(o.kind)) for o in seen.values()]
    buttons.append(
        Button("No, thank you" if language == "en" else "Tidak, terima kasih", choice_payload("no"))
    )
    return tuple(buttons)


class VerificationFlow(FormFlow):
    name = "verification_form"
    slots = (CHANNEL, CODE, DESTINATION)

    def __init__(self, backend: VerificationBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> VerificationBackend:
        if self._backend is None:
            self._backend = crm_backend()
        return self._backend

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        if state.get(CHANNEL) in _FINAL_CHANNEL:
            return [CHANNEL]
        return [CHANNEL, CODE]

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        updates: dict[str, Any] = {CHANNEL: None, CODE: None, DESTINATION: None}
        if not state.get(REFERENCE):
            updates[CHANNEL] = UNAVAILABLE
        return updates

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot == CHANNEL:
            return self._read_channel(turn, state, ctx)
        if slot == CODE:
            return self._read_code(turn, ctx)
        raise KeyError(slot)

    def _read_channel(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        reference = str(state.get(REFERENCE) or "")
        kinds = [o.kind for o in self.backend.options(reference, ctx.customer_id)]
        choice = chosen(turn)
        answer = read_yes_no(turn)
        if choice == "no" or (choice is None and answer is False):
            return Attempt.ok(**{CHANNEL: DECLINED})
        if choice not in kinds:
            named = [k for k, words in _KIND_WORDS.items() if words.search(turn.plain_text)]
            if len(named) == 1 and named[0] in kinds:
                choice = named[0]
            elif answer is True and kinds:
                choice = kinds[0]
            else:
                return Attempt.fail("utter_invalid_choice")
        key = f"otp:{ctx.channel}:{ctx.sender_id}:{turn.message_id or uuid.uuid4().hex}"
        started = self.backend.start(reference, str(choice), ctx, key)
        if started is None:
            return Attempt.ok(**{CHANNEL: UNAVAILABLE})
        if started.status != "sent":
            return Attempt.ok(**{CHANNEL: BLOCKED})
        return Attempt.ok(**{CHANNEL: choice, DESTINATION: started.masked})

    def _read_code(self, turn: Turn, ctx: Context) -> Attempt:
        match = _CODE.match(turn.plain_text)
        digits = re.sub(r"\D", "", match.group(1)) if match else ""
        if len(digits) != CODE_LENGTH:
            return Attempt.fail("utter_verification_code_invalid")
        result = self.backend.check(digits, ctx)
        if result.status == "verified":
            return Attempt.ok(**{CODE: VERIFIED})
        if result.status == "wrong":
            return Attempt.refuse("utter_verification_code_wrong", remaining=result.remaining)
        if result.status == "locked":
            return Attempt.ok(**{CODE: LOCKED})
        return Attempt.ok(**{CODE: EXPIRED})


FLOW = VerificationFlow()


def offer(state: Mapping[str, Any], ctx: Context, flow: VerificationFlow | None = None) -> Reply:
    """The question: send a code to which of the record's (masked) contacts?"""
    flow = flow or FLOW
    reference = str(state.get(REFERENCE) or "")
    options = flow.backend.options(reference, ctx.customer_id) if reference else ()
    return Reply(
        "utter_ask_verification_channel",
        {"reference": reference or "-"},
        buttons=offer_buttons(options, ctx.language),
    )


def outcome(state: Mapping[str, Any]) -> tuple[list[Reply], bool]:
    """Replies when the form ends, and whether the contact is now proven."""
    reference = state.get(REFERENCE) or "-"
    channel = state.get(CHANNEL)
    code = state.get(CODE)
    if channel == DECLINED:
        return [Reply("utter_verification_declined")], False
    if channel == BLOCKED:
        return [Reply("utter_verification_rate_limited")], False
    if channel == UNAVAILABLE:
        return [Reply("utter_status_not_available", {"reference": reference})], False
    if code == VERIFIED:
        return [Reply("utter_verification_success")], True
    if code == LOCKED:
        return [Reply("utter_verification_locked")], False
    return [Reply("utter_verification_expired")], False


def reset() -> dict[str, Any]:
    return {REFERENCE: None, CHANNEL: None, CODE: None, DESTINATION: None}
