"""When agents are next on duty, from the business profile's ``agent_hours`` and holidays.

The customer is told *when* to expect a callback, so this must follow the profile exactly
(weekday hours, closed days, holidays) rather than assume office hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.flows.texts import format_date
from bot.profile import WEEKDAYS, BusinessProfile

_TZ_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


@dataclass(frozen=True)
class Period:
    """One continuous stretch of agent duty, in the business time zone."""

    start: datetime
    end: datetime


def current_or_next_period(profile: BusinessProfile, now: datetime | None = None) -> Period | None:
    """The duty period containing ``now``, else the next one (None if the profile has none)."""
    local = profile.local_now(now)
    for offset in range(370):  # a year of holidays cannot hide every working day
        day = (local + timedelta(days=offset)).date()
        if day in profile.holidays:
            continue
        hours = profile.agent_hours.get(WEEKDAYS[day.weekday()])
        if hours is None:
            continue
        start = datetime.combine(day, hours.open, tzinfo=profile.timezone)
        end = datetime.combine(day, hours.close, tzinfo=profile.timezone)
        if end <= local:
            continue
        return Period(start=max(start, local), end=end)
    return None


def format_moment(
    profile: BusinessProfile, moment: datetime, language: str, now: datetime | None = None
) -> str:
    """'hari ini pukul 08.00 WIB' / 'besok pukul ...' / 'Senin, 7 Desember 2026 pukul ...'."""
    lang = "en" if language == "en" else "id"
    local_now = profile.local_now(now)
    moment = profile.local_now(moment)
    tz = _TZ_LABELS.get(profile.timezone.key, profile.timezone.key)
    clock = moment.strftime("%H.%M" if lang == "id" else "%H:%M")
    delta_days = (moment.date() - local_now.date()).days
    if lang == "id":
        at = f"pukul {clock} {tz}"
        if delta_days == 0:
            return f"hari ini {at}"
        if delta_days == 1:
            return f"besok {at}"
        day = format_date(moment.date(), "id")
        return f"{day} {at}"
    at = f"at {clock} {tz}"
    if delta_days == 0:
        return f"today {at}"
    if delta_days == 1:
        return f"tomorrow {at}"
    day = format_date(moment.date(), "en")
    return f"{day} {at}"


def callback_moment(
    profile: BusinessProfile, preference: str, now: datetime | None = None
) -> Period | None:
    """When a callback can happen for ``preference`` (asap / morning / afternoon).

    morning = before 12:00, afternoon = from 12:00; if the next duty period has no such
    part (e.g. it is already afternoon), the following period is used. The returned
    period starts at the earliest moment and ends when that duty period ends.
    """
    local = profile.local_now(now)
    cursor = local
    for _ in range(30):
        period = current_or_next_period(profile, cursor)
        if period is None:
            return None
        noon = period.start.replace(hour=12, minute=0, second=0, microsecond=0)
        if preference == "morning" and period.start < noon:
            return Period(period.start, min(period.end, noon))
        if preference == "afternoon" and period.end > noon:
            return Period(max(period.start, noon), period.end)
        if preference not in ("morning", "afternoon"):
            return period
        cursor = period.end
    return None
