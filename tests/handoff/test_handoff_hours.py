"""When agents are next on duty, and how the customer is told (bot.handoff.hours)."""

from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml

from bot import PROJECT_ROOT
from bot.handoff.hours import callback_moment, current_or_next_period, format_moment
from bot.profile import parse_profile

JKT = ZoneInfo("Asia/Jakarta")


def profile_with(**changes):
    raw = yaml.safe_load((PROJECT_ROOT / "data" / "business_profile.yml").read_text())
    raw = copy.deepcopy(raw)
    raw["agent_hours"] = {
        "monday": {"open": "08:00", "close": "17:00"},
        "tuesday": {"open": "08:00", "close": "17:00"},
        "wednesday": {"open": "08:00", "close": "17:00"},
        "thursday": {"open": "08:00", "close": "17:00"},
        "friday": {"open": "08:00", "close": "17:00"},
        "saturday": {"open": "09:00", "close": "12:00"},
        "sunday": None,
    }
    raw["holidays"] = []
    raw.update(changes)
    return parse_profile(raw)


def test_saturday_evening_waits_for_monday_morning() -> None:
    profile = profile_with()
    saturday_evening = datetime(2026, 11, 28, 19, 30, tzinfo=JKT)  # a Saturday
    period = current_or_next_period(profile, saturday_evening)
    assert period is not None
    assert period.start == datetime(2026, 11, 30, 8, 0, tzinfo=JKT)  # Monday
    assert (
        format_moment(profile, period.start, "id", saturday_evening)
        == "Senin, 30 November 2026 pukul 08.00 WIB"
    )
    assert (
        format_moment(profile, period.start, "en", saturday_evening)
        == "Monday, 30 November 2026 at 08:00 WIB"
    )


def test_a_holiday_is_skipped() -> None:
    profile = profile_with(holidays=["2026-12-01"])
    monday_night = datetime(2026, 11, 30, 22, 0, tzinfo=JKT)
    period = current_or_next_period(profile, monday_night)
    assert period.start == datetime(2026, 12, 2, 8, 0, tzinfo=JKT)  # Tuesday is a holiday


def test_within_hours_the_period_starts_now_and_says_today() -> None:
    profile = profile_with()
    now = datetime(2026, 11, 30, 10, 15, tzinfo=JKT)
    period = current_or_next_period(profile, now)
    assert (period.start, period.end) == (now, datetime(2026, 11, 30, 17, 0, tzinfo=JKT))
    assert format_moment(profile, period.start, "id", now) == "hari ini pukul 10.15 WIB"


def test_next_morning_is_said_as_tomorrow() -> None:
    profile = profile_with()
    evening = datetime(2026, 11, 30, 20, 0, tzinfo=JKT)
    period = current_or_next_period(profile, evening)
    assert format_moment(profile, period.start, "id", evening) == "besok pukul 08.00 WIB"
    assert format_moment(profile, period.start, "en", evening) == "tomorrow at 08:00 WIB"


def test_morning_preference_after_noon_moves_to_the_next_duty_day() -> None:
    profile = profile_with()
    friday_afternoon = datetime(2026, 12, 4, 14, 0, tzinfo=JKT)
    assert callback_moment(profile, "morning", friday_afternoon).start == datetime(
        2026, 12, 5, 9, 0, tzinfo=JKT
    )
    assert callback_moment(profile, "afternoon", friday_afternoon).start == friday_afternoon
    # Saturday's short shift ends at noon: an afternoon callback waits for Monday.
    saturday_morning = datetime(2026, 12, 5, 9, 30, tzinfo=JKT)
    assert callback_moment(profile, "afternoon", saturday_morning).start == datetime(
        2026, 12, 7, 12, 0, tzinfo=JKT
    )
    assert callback_moment(profile, "asap", saturday_morning).start == saturday_morning


def test_profile_without_any_duty_day_has_no_period() -> None:
    profile = profile_with(
        agent_hours={
            day: None
            for day in (
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            )
        }
    )
    assert current_or_next_period(profile, datetime(2026, 11, 30, 10, 0, tzinfo=JKT)) is None
    assert callback_moment(profile, "asap", datetime(2026, 11, 30, 10, 0, tzinfo=JKT)) is None
