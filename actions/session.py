"""action_session_start: Rasa's default session start plus profile slots.

Sets ``address_form`` ("Bapak/Ibu" or "Kak") and ``company_name`` from the business profile,
so every response, including forms' utter_ask_* questions, can use them as placeholders.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.handoff.start import session_start_events
from bot.profile import get_profile


def profile_slot_values() -> dict[str, str]:
    profile = get_profile()
    return {"address_form": profile.address_form, "company_name": profile.name}


def carried_over_slots(tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
    """Slots whose value differs from their initial one: the rest need no event.

    Rasa's own session start re-sets every slot; over HTTP that is ~50 events per new
    conversation which Rasa validates and then replays on every later turn.
    """
    slot_specs = domain.get("slots") or {}
    return {
        name: value
        for name, value in tracker.slots.items()
        if value != (slot_specs.get(name) or {}).get("initial_value")
    }


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            events.extend(
                SlotSet(name, value) for name, value in carried_over_slots(tracker, domain).items()
            )
        events.extend(SlotSet(name, value) for name, value in profile_slot_values().items())
        # A new session resets Rasa's paused flag; an open handoff must stay paused.
        events.extend(await asyncio.to_thread(session_start_events, tracker.sender_id))
        events.append(ActionExecuted("action_listen"))
        return events
