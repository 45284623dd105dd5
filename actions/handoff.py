"""Handoff to a human agent: thin rasa_sdk actions over ``bot.handoff.start`` / ``bot.handoff.callback``.

* ``action_handoff``: queues the conversation for an agent and pauses the bot, or, when no
  agent can take it now, offers a callback ticket (``handoff_callback_form``) and keeps the
  bot answering. Other flows trigger it with ``handoff_events(reason)``.
* ``handoff_callback_form``: preferred channel, time and (if needed) contact, read by the
  shared form engine (``bot.flows.callback``, the questions are domain responses in
  ``domain/handoff.yml``), then ``action_handoff_callback_submit`` stores the ticket.

Database work runs in a thread: the action server serves every conversation on one event
loop, and the CRM calls are synchronous.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import AskAction, FlowValidation, language_of
from bot.flows import callback as callback_flow
from bot.flows.base import Context, Reply
from bot.handoff import callback
from bot.handoff.reasons import infer_reason
from bot.handoff.start import HandoffContext, start_handoff

CALLBACK_FORM = callback_flow.FLOW.name
CALLBACK_SLOTS = callback_flow.FLOW.slots


def handoff_events(reason: str) -> list[EventType]:
    """For other actions: hand the conversation over with ``reason`` (a bot.handoff.reasons code)."""
    return [SlotSet("handoff_reason", reason), FollowupAction("action_handoff")]


def _context(tracker: Tracker) -> HandoffContext:
    return HandoffContext(
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "rest",
        reason=infer_reason(tracker.get_slot("handoff_reason"), tracker.events),
        language=language_of(tracker),
        events=list(tracker.events),
        slots=dict(tracker.slots),
    )


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context = _context(tracker)
        result = await asyncio.to_thread(start_handoff, context)
        for message in result.messages:
            dispatcher.utter_message(text=message["text"], buttons=message.get("buttons") or [])
        if not result.pause:
            # Keep the reason for the ticket; the form asks channel and time.
            return [
                SlotSet("handoff_reason", context.reason),
                *[SlotSet(slot, None) for slot in CALLBACK_SLOTS],
                FollowupAction(CALLBACK_FORM),
            ]
        events: list[EventType] = [SlotSet("handoff_reason", None)]
        if tracker.active_loop_name:
            # A half-filled form must not resume by itself once the agent hands back.
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        events.append(ConversationPaused())
        return events


class ValidateHandoffCallbackForm(FlowValidation):
    flow = callback_flow.FLOW
    crm_context = False  # the ticket finds or creates the customer when it is stored


class ActionAskCallbackContact(AskAction):
    slot = "callback_contact"

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return callback_flow.contact_question(state, ctx)


def _reset_callback_slots() -> list[EventType]:
    return [SlotSet("handoff_reason", None), *[SlotSet(slot, None) for slot in CALLBACK_SLOTS]]


class ActionHandoffCallbackSubmit(Action):
    def name(self) -> str:
        return "action_handoff_callback_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        channel: str | None = tracker.get_slot("callback_channel")
        when: str | None = tracker.get_slot("callback_time")
        if channel is None or when is None:
            return _reset_callback_slots()
        ticket = await asyncio.to_thread(
            callback.submit_callback,
            _context(tracker),
            channel,
            when,
            tracker.get_slot("callback_contact"),
        )
        dispatcher.utter_message(text=ticket.message)
        return _reset_callback_slots()


class ActionHandoffCallbackCancel(Action):
    def name(self) -> str:
        return "action_handoff_callback_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_callback_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset_callback_slots()]
