"""The callback-ticket form (``handoff_callback_form``) as a flow of the shared form engine.

When no agent can take the chat now, ``action_handoff`` starts this form: how and when the
customer wants to be contacted, and the phone number or e-mail address when the
conversation does not already carry it. Reading the answers is ``bot.handoff.callback``'s job;
this module only plugs it into :func:`bot.flows.base.form_step`, so the callback form gets
the same answer handling as every other form (the form starting is not an answer, refused
answers are said in the customer's language and asked again).

Unlike the other flows, every message except "cancel" and "talk to a person" is an answer
(there are no rules for FAQ or small talk inside this form), and repeated failures do not
offer a person: the form exists because nobody is available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.base import HARD_INTERRUPTS, Attempt, Context, FormFlow, Reply, Turn
from bot.handoff.callback import contact_needed, parse_channel, parse_contact, parse_time

CHANNEL = "callback_channel"
TIME = "callback_time"
CONTACT = "callback_contact"


def contact_kind(state: Mapping[str, Any], ctx: Context) -> str | None:
    """'phone' or 'email' when the contact must be asked, None when the chat carries it."""
    return contact_needed(ctx.channel or "rest", state.get(CHANNEL))


class CallbackFlow(FormFlow):
    name = "handoff_callback_form"
    slots = (CHANNEL, TIME, CONTACT)
    offers_human = False

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        required = [CHANNEL, TIME]
        if contact_kind(state, ctx):
            required.append(CONTACT)
        return required

    def is_answer(self, slot: str, turn: Turn) -> bool | None:
        return (turn.intent or "") not in HARD_INTERRUPTS

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot == CONTACT:
            kind = contact_kind(state, ctx) or "phone"
            contact = parse_contact(kind, turn.text)
            if contact is None:
                return Attempt.fail(f"utter_invalid_callback_{kind}")
            return Attempt.ok(**{CONTACT: contact})
        parse = parse_channel if slot == CHANNEL else parse_time
        # A tapped button sends the code as an entity; typed words are read from the text.
        value = parse(str(turn.first(slot) or turn.text))
        if value is None:
            return Attempt.fail("utter_invalid_callback_choice")
        return Attempt.ok(**{slot: value})


def contact_question(state: Mapping[str, Any], ctx: Context) -> Reply:
    """The contact question for the chosen channel."""
    if contact_kind(state, ctx) == "email":
        return Reply("utter_ask_callback_email")
    if state.get(CHANNEL) == "whatsapp":
        return Reply("utter_ask_callback_whatsapp")
    return Reply("utter_ask_callback_phone")


FLOW = CallbackFlow()
