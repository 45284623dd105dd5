"""action_two_step_fallback: rephrase first, offer a human on the second miss in a row."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.fallback import fallback_response


class ActionTwoStepFallback(Action):
    def name(self) -> str:
        return "action_two_step_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response=fallback_response(tracker.events))
        return []
