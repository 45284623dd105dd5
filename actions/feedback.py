"""Feedback form and the feedback offer: thin rasa_sdk classes over ``bot.flows.feedback``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FlowValidation, SubmitAction, language_of, slot_events, utter
from bot.flows import feedback
from bot.flows.base import Context, Reply
from bot.flows.records import Saved, save_feedback


class ValidateFeedbackForm(FlowValidation):
    flow = feedback.FLOW


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
