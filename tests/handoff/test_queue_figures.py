"""Honest queue figures: waits count customers still waiting; estimates scale with the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.crm.handoffs import percentile, wait_figures
from bot.handoff.start import estimated_wait_minutes, queued_message
from bot.profile import get_profile

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_waits_count_customers_still_in_the_queue() -> None:
    # Two served quickly (8 s and 20 s), six still waiting 11..16 minutes (the case).
    rows = [
        (_ago(30), _ago(30) + timedelta(seconds=8), _ago(25), "closed"),
        (_ago(29), _ago(29) + timedelta(seconds=20), None, "active"),
    ] + [(_ago(11 + i), None, None, "waiting") for i in range(6)]
    figures = wait_figures(rows, NOW)
    assert figures.waiting_counted == 6
    # Sorted waits (s): 8, 20, 660, 720, 780, 840, 900, 960 -> median (720+780)/2.
    assert figures.median_wait_seconds == 750
    assert figures.p90_wait_seconds == 960  # nearest rank: ceil(0.9*8) = 8th
    # Handling: one closed chat (5 min - 8 s) and one still open for 29 min - 20 s.
    assert figures.median_handling_seconds == ((300 - 8) + (29 * 60 - 20)) / 2


def test_a_customer_who_left_the_queue_counts_until_they_left() -> None:
    figures = wait_figures([(_ago(10), None, _ago(4), "closed")], NOW)
    assert figures.median_wait_seconds == 360 and figures.waiting_counted == 0


def test_percentile_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == 4.0


def test_estimate_is_position_times_median_handling_over_agents() -> None:
    # Seventh in line, 2 agents, 6-minute median handling: 7 * 6 / 2 = 21 minutes.
    assert estimated_wait_minutes(7, 2, 360) == 21
    assert estimated_wait_minutes(1, 3, 30) == 1  # rounded up, never "0 minutes"
    assert estimated_wait_minutes(3, 1, None) is None  # no data: no invented number
    assert estimated_wait_minutes(3, 0, 300) is None


def test_estimate_text_singular_and_plural() -> None:
    profile = get_profile()
    one = queued_message("en", profile, online=1, position=1, minutes=1)
    assert "1 agent is online" in one and "about 1 minute)" in one
    many = queued_message("en", profile, online=2, position=7, minutes=21)
    assert "2 agents are online" in many and "about 21 minutes" in many
    assert "(s)" not in one + many
    indonesian = queued_message("id", profile, online=2, position=7, minutes=21)
    assert "2 agen online" in indonesian and "sekitar 21 menit" in indonesian
    assert "waktu tunggu" not in queued_message("id", profile, online=1, position=1, minutes=None)
