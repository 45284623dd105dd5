"""Verification by one-time code: thin rasa_sdk classes over ``bot.flows.verification``."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FlowValidation, build_context, in_thread, slot_events, utter
from bot.flows import status, verification
from bot.flows.base import reset_slots


class ValidateVerificationForm(FlowValidation):
    flow = verification.FLOW
    customer_every_turn = True  # the options depend on who is asking


class ActionAskVerificationChannel(Action):
    """The offer: send a code to one of the record's contacts (shown masked)?"""

    def name(self) -> str:
        return f"action_ask_{verification.CHANNEL}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ctx = await in_thread(build_context, tracker, customer=True)
        reply = await in_thread(verification.offer, dict(tracker.slots), ctx)
        utter(dispatcher, [reply])
        return []


class ActionVerificationDone(Action):
    """After the form: the outcome, and for a proven contact the status that was asked for."""

    def name(self) -> str:
        return "action_verification_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        state = dict(tracker.slots)
        replies, proven = verification.outcome(state)
        if proven:
            # Resolved again: the proof may have linked this conversation to another customer.
            ctx = await in_thread(build_context, tracker, customer=True)
            check = {
                status.REFERENCE: state.get(verification.REFERENCE),
                status.ACCESS: status.OWNER,
            }
            replies.append(await in_thread(status.status_reply, check, ctx))
        utter(dispatcher, replies)
        return slot_events({**reset_slots(verification.FLOW), **verification.reset()})
