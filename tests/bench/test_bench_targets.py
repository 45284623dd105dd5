"""The benchmark judges its targets on exact ratios, not on the rounded ones it prints."""

from __future__ import annotations

from typing import Any

from bench.report import evaluate_targets


def _result(p95: float, bare_p95: float, rate: float, bare_rate: float) -> dict[str, Any]:
    level = {
        "concurrency": 10,
        "errors": 0,
        "p95_ms": p95,
        "messages_per_s": rate,
        "bare": {"p95_ms": bare_p95, "messages_per_s": bare_rate},
    }
    stack = {
        "levels": [level],
        "setup": {"errors": 0},
        "records": [],
        "records_counted": True,
        "rss_peak_mib": {"rasa": 1100.0},
    }
    return {"stacks": {"sqlite": stack}, "training": {}}


def _status(result: dict[str, Any], name: str) -> str:
    return next(t["status"] for t in evaluate_targets(result) if name in t["target"])


def test_a_ratio_just_over_the_limit_is_missed_even_if_it_prints_as_the_limit() -> None:
    result = _result(p95=615.1, bare_p95=409.2, rate=31.1, bare_rate=41.9)  # 1.503 x, 0.742 x
    assert _status(result, "p95") == "missed"
    assert _status(result, "throughput") == "met"


def test_targets_within_limits_are_met_and_too_slow_is_missed() -> None:
    assert _status(_result(600.0, 500.0, 30.0, 35.0), "p95") == "met"
    assert _status(_result(600.0, 500.0, 20.0, 35.0), "throughput") == "missed"
