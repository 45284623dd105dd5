"""Handoff to a human agent: thin rasa_sdk actions over ``bot.handoff.start`` / ``bot.handoff.callback``.

* ``action_handoff``: queues the conversation for an agent and pauses the bot, or, when no
  agent can take it now, offers a callback ticket (``handoff_callback_form``) and keeps the
  bot answering. Other flows trigger it with ``handoff_events(reason)``.
* ``handoff_callback_form``: preferred channel, time and (if needed) contact, then
  ``action_handoff_callback_submit`` stores the ticket.

Database work runs in a thread: the action server serves every conversation on one event
loop, and the CRM calls are synchronous.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.handoff import callback, texts
from bot.handoff.reasons import infer_reason
from bot.handoff.start import HandoffContext, start_handoff

CALLBACK_FORM = "handoff_callback_form"
CALLBACK_SLOTS = ("callback_channel", "callback_time", "callback_contact")


def handoff_events(reason: str) -> list[EventType]:
    """For other actions: hand the conversation over with ``reason`` (a bot.handoff.reasons code)."""
    return [SlotSet("handoff_reason", reason), FollowupAction("action_handoff")]


def _language(tracker: Tracker) -> str:
    return "en" if tracker.get_slot("language") == "en" else "id"


def _context(tracker: Tracker) -> HandoffContext:
    return HandoffContext(
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "rest",
        reason=infer_reason(tracker.get_slot("handoff_reason"), tracker.events),
        language=_language(tracker),
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


def _read(
    parsed: str | None,
    value: Any,
    error_key: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
) -> str | None:
    """``parsed``, telling the customer when an answer could not be read.

    A None value is action_handoff clearing the slots as the form starts, not an answer.
    """
    if parsed is None and value is not None:
        dispatcher.utter_message(text=texts.text(error_key, _language(tracker)))
    return parsed


class ValidateHandoffCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_handoff_callback_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = ["callback_channel", "callback_time"]
        channel = tracker.get_latest_input_channel() or "rest"
        if callback.contact_needed(channel, tracker.get_slot("callback_channel")):
            slots.append("callback_contact")
        return slots

    def validate_callback_channel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        parsed = callback.parse_channel(str(value) if value is not None else None)
        return {"callback_channel": _read(parsed, value, "invalid_choice", dispatcher, tracker)}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        parsed = callback.parse_time(str(value) if value is not None else None)
        return {"callback_time": _read(parsed, value, "invalid_choice", dispatcher, tracker)}

    def validate_callback_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        kind = (
            callback.contact_needed(
                tracker.get_latest_input_channel() or "rest", tracker.get_slot("callback_channel")
            )
            or "phone"
        )
        parsed = callback.parse_contact(kind, str(value) if value is not None else None)
        error_key = "invalid_email" if kind == "email" else "invalid_phone"
        return {"callback_contact": _read(parsed, value, error_key, dispatcher, tracker)}


class ActionAskCallbackChannel(Action):
    def name(self) -> str:
        return "action_ask_callback_channel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = _language(tracker)
        dispatcher.utter_message(
            text=texts.text("ask_callback_channel", lang), buttons=callback.channel_buttons(lang)
        )
        return []


class ActionAskCallbackTime(Action):
    def name(self) -> str:
        return "action_ask_callback_time"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = _language(tracker)
        dispatcher.utter_message(
            text=texts.text("ask_callback_time", lang), buttons=callback.time_buttons(lang)
        )
        return []


class ActionAskCallbackContact(Action):
    def name(self) -> str:
        return "action_ask_callback_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = _language(tracker)
        kind = callback.contact_needed(
            tracker.get_latest_input_channel() or "rest", tracker.get_slot("callback_channel")
        )
        if kind == "email":
            dispatcher.utter_message(text=texts.text("ask_callback_email", lang))
        else:
            label = (
                "WhatsApp"
                if tracker.get_slot("callback_channel") == "whatsapp"
                else ("phone" if lang == "en" else "telepon")
            )
            dispatcher.utter_message(text=texts.text("ask_callback_phone", lang, kind=label))
        return []


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
        dispatcher.utter_message(text=texts.text("callback_cancelled", _language(tracker)))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset_callback_slots()]
