"""The held-out metrics themselves (no model needed)."""

from __future__ import annotations

import pytest

from bot.nlp.evaluation import Example, Prediction, build_report, macro_f1


def test_macro_f1_perfect_and_wrong() -> None:
    assert macro_f1([("a", "a"), ("b", "b")]) == 1.0
    assert macro_f1([("a", "b"), ("b", "a")]) == 0.0


def test_fallback_costs_recall_but_is_not_a_class_unless_strict() -> None:
    pairs = [("a", "a"), ("a", "nlu_fallback"), ("b", "b")]
    # a: precision 1, recall 0.5 -> F1 2/3; b: 1.0
    assert macro_f1(pairs) == pytest.approx((2 / 3 + 1) / 2)
    assert macro_f1(pairs, strict=True) == pytest.approx((2 / 3 + 1 + 0) / 3)


def _prediction(text: str, gold: str, predicted: str) -> Prediction:
    example = Example(text, gold, None, "id", ())
    return Prediction(example, predicted, 0.9, None, "id", ())


def test_out_of_scope_safety_counts_business_intents_only() -> None:
    report = build_report(
        [
            _prediction("cuaca?", "out_of_scope", "nlu_fallback"),
            _prediction("resep?", "out_of_scope", "greet"),
            _prediction("skor bola?", "out_of_scope", "request_calibration"),
            _prediction("halo", "greet", "greet"),
        ]
    )
    assert (report.oos_business, report.oos_total) == (1, 3)
    # Falling back on out-of-scope text is the right outcome.
    assert report.predictions[0].intent == "nlu_fallback"
    assert report.accuracy == pytest.approx(2 / 4)
