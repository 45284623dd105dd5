"""Issue 13, NLU side: everyday form answers are not read as greetings, goodbyes or off-topic.

Each message comes from the issue's report; with the model of the time they were classified
as shown in the comments. The form trusts its validators over the intent for cities and
times (tests/flows), but the classifier should not fight them either.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def parse(trained_model: Path) -> Any:
    from rasa.core.agent import Agent

    agent = Agent.load(str(trained_model))

    def run(text: str) -> tuple[str, dict[str, str]]:
        result = asyncio.run(agent.parse_message(text))
        entities = {e["entity"]: e["value"] for e in result["entities"]}
        return result["intent"]["name"], entities

    return run


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("Jakarta", "Jakarta"),  # was out_of_scope 1.00
        ("I live in Jakarta", "Jakarta"),  # out_of_scope 0.99
        ("Jakarta Selatan", "Jakarta Selatan"),  # out_of_scope 0.87
        ("DKI Jakarta", "Jakarta"),  # out_of_scope 1.00
        ("Bandung", "Bandung"),  # out_of_scope 0.99
        ("Balikpapan", "Balikpapan"),  # request_calibration 0.82
        ("Kab. Bandung", "Kabupaten Bandung"),  # out_of_scope 0.93
    ],
)
def test_a_city_is_an_answer_with_its_entity(parse: Any, text: str, city: str) -> None:
    intent, entities = parse(text)
    assert intent == "inform"
    assert entities.get("city") == city


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sore hari", "inform"),  # was greet 0.96
        ("pagi", "inform"),  # greet 0.99
        ("weekday mornings", "inform"),  # nlu_fallback
        ("minggu depan kalau bisa, hari selasa", "inform"),  # faq
        ("udah itu aja", "deny"),  # goodbye 0.82: to "Ada alat lain?" it means no
        ("gak jadi deh", "cancel"),  # deny 0.78
        ("sudah 2 minggu tidak ada kabar", "file_complaint"),  # nlu_fallback
    ],
)
def test_everyday_answers(parse: Any, text: str, expected: str) -> None:
    assert parse(text)[0] == expected


def test_greetings_stay_greetings(parse: Any) -> None:
    assert parse("selamat pagi")[0] == "greet"
    assert parse("halo kak")[0] == "greet"
