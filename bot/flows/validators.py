"""Validators for form answers: each returns the normalised value or the reason it was refused.

The reason is a domain response name (``utter_invalid_*``) with template values, so the
customer reads it in their own language. Parsing is delegated to :mod:`bot.nlp.parsers`
(shared with the NLU entity extractor); these functions add the business bounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from bot.flows.texts import format_date
from bot.nlp import parsers
from bot.nlp.gazetteer import default_gazetteer
from bot.profile import format_money

T = TypeVar("T")

MAX_QUANTITY = 1000  # per instrument line; larger jobs go through a person anyway
MAX_DATE_AHEAD_DAYS = 366
MIN_FINANCING_AMOUNT = Decimal("1000000")
MAX_FINANCING_AMOUNT = Decimal("100000000000")  # 100 miliar: heavy equipment fleets

# Caps follow the CRM column sizes (bot/crm/models.py) so nothing is cut when stored.
TEXT_LIMITS: Mapping[str, int] = {
    "company": 200,
    "name": 200,
    "instrument": 120,
    "spec": 120,
    "address": 500,
    "city": 100,
    "contact_time": 100,
    "description": 2000,
    "resolution": 1000,
    "comment": 1000,
}


@dataclass(frozen=True)
class Checked(Generic[T]):
    value: T | None = None
    error: str | None = None  # response name
    values: Mapping[str, Any] = field(default_factory=dict)  # for the response's placeholders
    # True when the answer has the right shape but is refused (a past date, too many units):
    # it was certainly meant as an answer, whatever NLU thought of it.
    recognised: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def _fail(response: str, **values: Any) -> Checked[Any]:
    return Checked(error=response, values=values)


def _refuse(response: str, **values: Any) -> Checked[Any]:
    return Checked(error=response, values=values, recognised=True)


def check_text(text: str, kind: str, min_length: int = 1) -> Checked[str]:
    """Free text kept verbatim (only surrounding whitespace trimmed), within the cap for ``kind``."""
    value = (text or "").strip()
    limit = TEXT_LIMITS[kind]
    if len(value) < min_length:
        return _fail("utter_invalid_text_short", min=min_length)
    if len(value) > limit:
        return _refuse("utter_invalid_text_long", max=limit, length=len(value))
    return Checked(value)


def check_name(text: str) -> Checked[str]:
    """A person's name: verbatim, at least two characters and at least one letter."""
    checked = check_text(text, "name", min_length=2)
    if checked.ok and not any(ch.isalpha() for ch in checked.value or ""):
        return _fail("utter_invalid_name")
    return checked


def check_city(text: str, entity: str | None = None) -> Checked[str]:
    """A city: a place the gazetteer knows (``recognised``: certainly the answer, whatever
    the intent), else any short text kept verbatim (a village or an estate the gazetteer
    lacks), which the form accepts only if NLU did not read the message as something else.

    ``entity`` is the ``city`` entity NLU found in the message, if any.
    """
    gazetteer = default_gazetteer()
    if entity:
        region = gazetteer.region(str(entity)) or gazetteer.exact(str(entity))
        if region is not None:
            return Checked(region.value, recognised=True)
    match = gazetteer.lookup(text or "")
    if match is not None:
        return Checked(match.value, recognised=True)
    return check_text(text, "city", min_length=3)


def check_contact_time(text: str, periods: Sequence[str]) -> Checked[str]:
    """When to call back: one of ``periods`` ("morning", "late_afternoon", ...) when the
    answer is just a time of day ("pagi", "sore hari", "after lunch"); the text verbatim
    when it says more ("jam 9an", "weekday mornings", "besok jam 10 pagi"). Both are
    ``recognised``; text that names no time at all is kept verbatim, unrecognised."""
    parsed = parsers.parse_time_of_day(text or "")
    if parsed is not None:
        if (
            parsed.bare
            and parsed.hour is None
            and not parsed.weekdays_only
            and parsed.period in periods
        ):
            return Checked(parsed.period, recognised=True)
        kept = check_text(text, "contact_time", min_length=2)
        return Checked(kept.value, recognised=True) if kept.ok else kept
    return check_text(text, "contact_time", min_length=2)


def check_phone(text: str) -> Checked[str]:
    phone = parsers.parse_phone(text or "")
    if phone is None:
        return _fail("utter_invalid_phone")
    return Checked(phone)


def check_email(text: str) -> Checked[str]:
    email = parsers.parse_email(text or "")
    if email is None:
        return _fail("utter_invalid_email")
    return Checked(email.lower())


def check_quantity(text: str, maximum: int = MAX_QUANTITY) -> Checked[int]:
    raw = (text or "").strip()
    # parse_quantity refuses values above its bound; ask it with a high bound so that an
    # over-large number gets the "too many" reason rather than "not a number".
    value = parsers.parse_quantity(raw, max_value=10**9)
    if value is None:
        return _fail("utter_invalid_quantity", max=maximum)
    if value > maximum:
        return _refuse("utter_invalid_quantity_too_large", max=maximum)
    return Checked(value)


def check_amount(
    text: str,
    language: str,
    minimum: Decimal = MIN_FINANCING_AMOUNT,
    maximum: Decimal = MAX_FINANCING_AMOUNT,
) -> Checked[Decimal]:
    amount = parsers.parse_amount(text or "")
    if amount is None:
        return _fail("utter_invalid_amount")
    if amount < minimum or amount > maximum:
        return _refuse(
            "utter_invalid_amount_range",
            min=format_money(minimum, language),
            max=format_money(maximum, language),
        )
    return Checked(amount)


def check_date(text: str, language: str, today: date) -> Checked[date]:
    """A date from today up to a year ahead ("besok", "5 Desember", "05/12", "next Monday")."""
    parsed = parsers.parse_date(text or "", language, today)
    if parsed is None:
        return _fail("utter_invalid_date")
    if parsed < today:
        return _refuse("utter_invalid_date_past", date=format_date(parsed, language))
    latest = today + timedelta(days=MAX_DATE_AHEAD_DAYS)
    if parsed > latest:
        return _refuse("utter_invalid_date_far", max_date=format_date(latest, language))
    return Checked(parsed)


def check_reference(text: str, prefixes: Sequence[str] = ("KAL", "FIN", "CMP")) -> Checked[str]:
    reference = parsers.parse_reference(text or "")
    if reference is None or reference.split("-", 1)[0] not in prefixes:
        return _fail("utter_invalid_reference")
    return Checked(reference)


def check_rating(text: str) -> Checked[int]:
    """A 1-5 rating: a digit, a number word or a count of stars."""
    raw = (text or "").strip()
    if raw and set(raw) <= {"⭐", "★", " ", "\ufe0f"}:
        stars = sum(1 for ch in raw if ch in "⭐★")
        if 1 <= stars <= 5:
            return Checked(stars)
    value = parsers.parse_quantity(raw, max_value=1000)
    if value is None or not 1 <= value <= 5:
        return _fail("utter_invalid_rating")
    return Checked(value)
