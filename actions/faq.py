"""action_answer_faq: answers the FAQ topic the ResponseSelector picked, with profile facts."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.faq import build_faq_reply
from bot.profile import get_profile


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reply = build_faq_reply(
            tracker.latest_message, domain, tracker.get_slot("language"), get_profile()
        )
        dispatcher.utter_message(response=reply.response, **reply.values)
        if not (tracker.active_loop or {}).get("name"):
            # "Did this help?" buttons (thanks / a human) only outside forms: inside one the
            # form asks its next question right after the answer.
            dispatcher.utter_message(response="utter_was_it_helpful")
        # No events: answering a question must not disturb an active form.
        return []
