"""The conversational-core actions, run through rasa_sdk's own executor objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionTwoStepFallback
from actions.faq import ActionAnswerFaq
from actions.session import ActionSessionStart
from bot.profile import get_profile


def tracker(
    latest: dict[str, Any], slots: dict[str, Any], events: list[dict[str, Any]] | None = None
) -> Tracker:
    return Tracker(
        sender_id="t1",
        slots=slots,
        latest_message=latest,
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": "calibration_form"},
        latest_action_name="action_listen",
    )


DOMAIN = {
    "responses": {
        "utter_faq/office_hours": [
            {"text": "Jam: {office_hours}"},
            {
                "text": "Hours: {office_hours}",
                "condition": [{"type": "slot", "name": "language", "value": "en"}],
            },
        ]
    },
    "session_config": {"carry_over_slots_to_new_session": True},
}


async def test_faq_action_sends_the_topic_with_profile_values_and_no_events() -> None:
    dispatcher = CollectingDispatcher()
    latest = {
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/office_hours"}}}
    }
    events = await ActionAnswerFaq().run(dispatcher, tracker(latest, {"language": "en"}), DOMAIN)
    # No events, so an active form (see active_loop above) is left untouched, and no
    # "did this help?" question interrupts it.
    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_faq/office_hours"
    assert message["office_hours"] == get_profile().template_values("en")["office_hours"]


async def test_faq_answer_outside_a_form_asks_whether_it_helped() -> None:
    dispatcher = CollectingDispatcher()
    latest = {
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/office_hours"}}}
    }
    outside = tracker(latest, {"language": "id"})
    outside.active_loop = {}
    assert await ActionAnswerFaq().run(dispatcher, outside, DOMAIN) == []
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_faq/office_hours",
        "utter_was_it_helpful",
    ]


async def test_fallback_action_escalates_on_the_second_miss() -> None:
    miss = {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    dispatcher = CollectingDispatcher()
    await ActionTwoStepFallback().run(dispatcher, tracker({}, {}, [miss]), DOMAIN)
    await ActionTwoStepFallback().run(
        dispatcher, tracker({}, {}, [miss, {"event": "bot"}, miss]), DOMAIN
    )
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_ask_rephrase",
        "utter_offer_human",
    ]


@pytest.fixture()
def crm_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated throw-away CRM database: session start checks for an open handoff."""
    from bot.config import get_settings
    from bot.crm.db import dispose_engine
    from bot.crm.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    dispose_engine(url)
    get_settings.cache_clear()


async def test_session_start_sets_profile_slots_and_carries_over_language(crm_sqlite: str) -> None:
    events = await ActionSessionStart().run(
        CollectingDispatcher(), tracker({}, {"language": "en"}), DOMAIN
    )
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["language"] == "en"
    assert slots["address_form"] == get_profile().address_form


async def test_session_start_carries_over_only_slots_that_hold_something(crm_sqlite: str) -> None:
    domain = {
        **DOMAIN,
        "slots": {
            "language": {"initial_value": "id"},
            "customer_phone": {},
            "consent": {"initial_value": False},
        },
    }
    current = {
        "language": "id",
        "customer_phone": "+6281234567890",
        "instrument_type": None,
        "consent": None,
    }
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker({}, current), domain)
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried["customer_phone"] == "+6281234567890"
    assert "consent" in carried and carried["consent"] is None  # differs from its initial value
    assert "language" not in carried and "instrument_type" not in carried
