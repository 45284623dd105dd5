"""Held-out NLU quality gates (tests/nlu/heldout.yml is never used for training).

Reproduce the full Rasa report and confusion matrix with:
    rasa test nlu --nlu tests/nlu/heldout.yml --model <model> --out results/nlu
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlp.evaluation import HELDOUT_PATH, Report, evaluate, load_examples

pytestmark = pytest.mark.model

MIN_MACRO_F1 = 0.90
MAX_OOS_BUSINESS_RATE = 0.10


def test_heldout_set_is_big_enough_and_never_trained_on() -> None:
    examples = load_examples(HELDOUT_PATH)
    assert len(examples) >= 150
    assert {e.language for e in examples} == {"id", "en"}
    assert sum(1 for e in examples if e.intent == "out_of_scope") >= 20
    from rasa.shared.nlu.training_data.loading import load_data

    from bot import PROJECT_ROOT

    training = load_data(str(PROJECT_ROOT / "data" / "nlu"))
    trained_texts = {m.get("text").lower() for m in training.intent_examples}
    leaked = [e.text for e in examples if e.text.lower() in trained_texts]
    assert leaked == []


@pytest.fixture(scope="module")
def report(trained_model: Path) -> Report:
    result = evaluate(trained_model)
    print(result.summary())
    return result


def test_intent_macro_f1(report: Report) -> None:
    assert report.macro_f1 >= MIN_MACRO_F1, "\n".join(report.errors())


def test_out_of_scope_is_not_taken_for_a_business_intent(report: Report) -> None:
    assert report.oos_total >= 20
    taken = [
        f"{p.example.text!r} -> {p.intent}"
        for p in report.predictions
        if p.example.intent == "out_of_scope" and p.intent not in ("out_of_scope", "nlu_fallback")
    ]
    assert report.oos_business_rate <= MAX_OOS_BUSINESS_RATE, "\n".join(taken)


def test_faq_questions_get_the_right_topic(report: Report) -> None:
    assert report.faq_total >= 40
    assert report.faq_topic_accuracy >= 0.85, "\n".join(report.errors())


def test_both_languages_are_understood(report: Report) -> None:
    for language in ("id", "en"):
        assert report.per_language[language]["macro_f1"] >= 0.85, report.per_language


def test_language_detection_never_picks_the_wrong_language(report: Report) -> None:
    detection = report.language_detection
    assert detection["id"].get("en", 0) == 0, detection
    assert detection["en"].get("id", 0) == 0, detection
    # English customers must actually be recognised, not just left undecided.
    assert detection["en"].get("en", 0) >= 0.8 * sum(detection["en"].values()), detection


def test_rule_based_entities_on_heldout(report: Report) -> None:
    assert report.entity_recall >= 0.9
