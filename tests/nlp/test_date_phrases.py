"""Date phrases (tests/nlp/date_phrases.yml): the shipped parser against rules and dateparser.

The set is the one scored in docs/nlu.md; every phrase must resolve to the date the customer
meant, and no phrase class may do worse than either approach alone.
"""

from __future__ import annotations

import pytest

from bot.nlp.date_eval import load_phrases, score, shipped


def test_the_set_is_big_and_bilingual() -> None:
    _, phrases = load_phrases()
    assert len(phrases) >= 60
    assert {p.language for p in phrases} == {"id", "en"}


@pytest.mark.parametrize("phrase", load_phrases()[1], ids=lambda p: f"{p.cls}:{p.text}")
def test_every_phrase_resolves_to_the_meant_date(phrase) -> None:  # type: ignore[no-untyped-def]
    today, _ = load_phrases()
    assert shipped(phrase.text, phrase.language, today) == phrase.expected


def test_the_shipped_parser_is_at_least_as_good_as_each_approach_per_class() -> None:
    scores = score()
    for cls, (correct, total) in scores["shipped"].items():
        assert correct >= scores["rules"][cls][0], cls
        assert correct >= scores["dateparser"][cls][0], cls
        assert total > 0
