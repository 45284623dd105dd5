"""Helpers for the action tests: real trackers, built by Rasa from events, as the action server
receives them (fixtures are in conftest.py; ``crm_url`` comes from tests/fixtures/databases.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import PROJECT_ROOT


@lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


def domain_dict() -> dict[str, Any]:
    return domain().as_dict()


def user(
    text: str,
    intent: str,
    entities: Sequence[dict[str, Any]] = (),
    message_id: str | None = None,
    channel: str = "rest",
    confidence: float = 0.98,
) -> UserUttered:
    return UserUttered(
        text,
        {"name": intent, "confidence": confidence},
        list(entities),
        message_id=message_id,
        input_channel=channel,
    )


def entity(
    name: str, value: Any, text: str | None = None, within: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"entity": name, "value": value}
    if text is not None and within is not None:
        found["start"] = within.index(text)
        found["end"] = found["start"] + len(text)
    return found


def sdk_tracker(events: Iterable[Event], sender: str = "conversation-1") -> Tracker:
    """The tracker the action server receives for these events (Rasa's own serialisation)."""
    tracker = DialogueStateTracker.from_events(sender, list(events), slots=domain().slots)
    return Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))


def form_turn(form: str, requested: str | None, candidates: Iterable[SlotSet] = ()) -> list[Event]:
    """The events Rasa appends before it calls a form's validation action."""
    return [SlotSet("requested_slot", requested), ActionExecuted(form), *candidates]


def start_of_conversation() -> list[Event]:
    return [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]


def active(form: str, requested: str, slots: dict[str, Any]) -> list[Event]:
    """A form in progress, waiting for the customer's answer to ``requested``."""
    return [
        ActiveLoop(form),
        *[SlotSet(name, value) for name, value in slots.items()],
        SlotSet("requested_slot", requested),
        ActionExecuted(form),
        ActionExecuted("action_listen"),
    ]


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


def slot_values(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
