"""Status check by reference: thin rasa_sdk classes over ``bot.flows.status``."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FlowValidation, build_context, in_thread, slot_events, utter
from bot.flows import status
from bot.flows.base import reset_slots


class ValidateStatusForm(FlowValidation):
    flow = status.FLOW
    customer_every_turn = True  # ownership is checked against the channel identity


class ActionShowStatus(Action):
    def name(self) -> str:
        return "action_show_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ctx = await in_thread(build_context, tracker, customer=True)
        reply = await in_thread(status.status_reply, dict(tracker.slots), ctx)
        utter(dispatcher, [reply])
        return slot_events(reset_slots(status.FLOW))
