"""Feedback form and the feedback offer: thin rasa_sdk classes over ``bot.flows.feedback``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    FlowValidation,
    SubmitAction,
    build_context,
    in_thread,
    language_of,
    slot_events,
    utter,
)
from bot.flows import feedback
from bot.flows.base import Context, Reply
from bot.flows.idempotency import confirming_event, idempotency_key
from bot.flows.records import Saved, save_feedback, save_feedback_progress

logger = logging.getLogger(__name__)


class ValidateFeedbackForm(FlowValidation):
    """Reads the answers (bot.flows.feedback) and stores them as they come, from the rating on."""

    flow = feedback.FLOW

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        if not events:
            return events
        state = dict(tracker.slots)
        state.update({e["name"]: e.get("value") for e in events if e.get("event") == "slot"})
        if state.get(feedback.RATING) is None:
            return events
        key = state.get(feedback.KEY)
        if not key:
            # The message that gave the rating names the row: a retried call stores nothing new.
            key = idempotency_key("feedback", tracker.sender_id, confirming_event(tracker.events))
            events = [*events, SlotSet(feedback.KEY, key)]
        ctx = await in_thread(build_context, tracker, customer=True)
        try:
            if ctx.customer_id is None:
                raise RuntimeError("no CRM customer")
            await in_thread(save_feedback_progress, ctx, {**state, feedback.KEY: key}, str(key))
        except Exception as exc:  # noqa: BLE001 - the answers stay in the slots; submit retries
            from bot.crm.db import describe_db_error

            logger.error("storing feedback answers failed: %s", describe_db_error(exc))
        return events


class ActionSubmitFeedback(SubmitAction):
    flow = feedback.FLOW
    kind = "feedback"

    def save(self, ctx: Context, state: Mapping[str, Any], key: str) -> Saved | None:
        return save_feedback(ctx, state, key)

    def outcome(
        self, saved: Saved | None, state: Mapping[str, Any], ctx: Context
    ) -> tuple[list[Reply], dict[str, Any]]:
        response = "utter_feedback_skipped" if saved is None else "utter_feedback_thanks"
        return [Reply(response)], feedback.reset_offer()


class ActionOfferFeedback(Action):
    """Ask for a rating (after a saved request; usable by other flows too)."""

    def name(self) -> str:
        return "action_offer_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, [feedback.offer_reply(language_of(tracker))])
        return slot_events(feedback.offer_slots(reference=tracker.get_slot(feedback.REFERENCE)))


class ActionDeclineFeedback(Action):
    """ "Lewati" / "no" to the feedback offer: fine, nothing is stored."""

    def name(self) -> str:
        return "action_decline_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, [Reply("utter_feedback_skipped")])
        return slot_events(feedback.reset_offer())
