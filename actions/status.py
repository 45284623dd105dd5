"""Status check by reference: thin rasa_sdk classes over ``bot.flows.status``."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FlowValidation, build_context, in_thread, slot_events, utter
from bot.flows import status, verification
from bot.flows.base import reset_slots


class ValidateStatusForm(FlowValidation):
    flow = status.FLOW
    customer_every_turn = True  # ownership is checked against the channel identity


class ActionShowStatus(Action):
    """The status for its owner; anyone else goes on to the verification form."""

    def name(self) -> str:
        return "action_show_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        state = dict(tracker.slots)
        events = slot_events(reset_slots(status.FLOW))
        reference = status.needs_verification(state)
        if reference is not None:
            return [
                *events,
                SlotSet(verification.REFERENCE, reference),
                FollowupAction(verification.FLOW.name),
            ]
        ctx = await in_thread(build_context, tracker, customer=True)
        reply = await in_thread(status.status_reply, state, ctx)
        utter(dispatcher, [reply])
        return events
