"""The conversation's language follows the customer, not the text of one form answer.

A company called ``Robert'); DELETE FROM ...`` reads as English to the language detector;
it switched a whole Indonesian conversation to English (issue 13). Rasa's own slot
extraction must leave ``language`` alone while a form is active; outside forms (and for
answers that are not free text, see actions/common.py) it still follows the customer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from tests.actions.helpers import domain, entity, user


def _extracted(events: list[Event]) -> list[Any]:
    tracker = DialogueStateTracker.from_events("language-test", events, slots=domain().slots)
    nlg = TemplatedNaturalLanguageGenerator(domain().responses)
    return asyncio.run(
        ActionExtractSlots(None).run(CollectingOutputChannel(), nlg, tracker, domain())
    )


def test_an_answer_inside_a_form_does_not_switch_the_language() -> None:
    events = _extracted(
        [
            ActiveLoop("calibration_request_form"),
            SlotSet("requested_slot", "contact_company"),
            ActionExecuted("action_listen"),
            user("Robert'); DELETE FROM customers;--", "check_status", [entity("language", "en")]),
        ]
    )
    assert not [e for e in events if isinstance(e, SlotSet) and e.key == "language"]


def test_outside_a_form_the_language_follows_the_customer() -> None:
    events = _extracted(
        [
            ActionExecuted("action_listen"),
            user(
                "I would like a calibration quote",
                "request_calibration",
                [entity("language", "en")],
            ),
        ]
    )
    assert SlotSet("language", "en") in events
