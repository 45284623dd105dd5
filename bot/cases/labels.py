"""Friendly words for staff screens, CSV files and customer texts: no internal codes.

Why one module: the issue asks that staff never see ``socketio``, ``pressure_gauge`` or a
stage id, that times are in WIB and amounts look like Rp150.000.000; every output of the
back office formats through these helpers so they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from bot.cases.pipelines import pick
from bot.flows.texts import format_day
from bot.profile import BusinessProfile, format_money

CHANNELS: Mapping[str, Mapping[str, str]] = {
    "socketio": {"id": "Chat website", "en": "Website chat"},
    "web": {"id": "Chat website", "en": "Website chat"},
    "whatsapp": {"id": "WhatsApp", "en": "WhatsApp"},
    "twilio": {"id": "WhatsApp", "en": "WhatsApp"},
    "rest": {"id": "API", "en": "API"},
    "cmdline": {"id": "Terminal", "en": "Terminal"},
    "email": {"id": "E-mail", "en": "E-mail"},
}
SEVERITIES: Mapping[str, Mapping[str, str]] = {
    "low": {"id": "Ringan", "en": "Low"},
    "medium": {"id": "Sedang", "en": "Medium"},
    "high": {"id": "Berat / mendesak", "en": "High / urgent"},
}
_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def lang(language: str | None) -> str:
    return "en" if language == "en" else "id"


def in_sentence(label: str, language: str) -> str:
    """A label placed inside an English sentence: "Status of financing application FIN-…",
    not "Status of Financing application". Labels are written to stand alone (list headings),
    so only English needs this; an acronym ("KAN certificate") keeps its capitals, and
    Indonesian keeps the document kind capitalised as it is written ("Status Permintaan
    kalibrasi")."""
    if lang(language) != "en" or len(label) < 2 or not label[1].islower():
        return label
    return label[0].lower() + label[1:]


def channel_label(channel: str | None, language: str) -> str:
    if not channel:
        return "-"
    return pick(CHANNELS.get(channel, {"id": channel}), lang(language))


def tz_label(profile: BusinessProfile) -> str:
    return {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(
        profile.timezone.key, profile.timezone.key
    )


def local_stamp(value: datetime | None, profile: BusinessProfile) -> str:
    """``2026-12-07 14:05`` in the business time zone (CSV: sortable, Excel reads it)."""
    if value is None:
        return ""
    return value.astimezone(profile.timezone).strftime("%Y-%m-%d %H:%M")


def long_date(value: date, language: str) -> str:
    """``7 Desember 2026`` / ``7 December 2026``."""
    return format_day(value, lang(language))


def moment_text(value: datetime, profile: BusinessProfile, language: str) -> str:
    """``7 Desember 2026 pukul 14.05 WIB`` / ``7 December 2026, 14:05 WIB``."""
    local = value.astimezone(profile.timezone)
    day = long_date(local.date(), language)
    if lang(language) == "en":
        return f"{day}, {local:%H:%M} {tz_label(profile)}"
    return f"{day} pukul {local:%H.%M} {tz_label(profile)}"


def money(value: Decimal | str | None, language: str = "id") -> str:
    """``Rp150.000.000`` (id) / ``IDR 150,000,000`` (en); blank for None."""
    if value is None or value == "":
        return ""
    return format_money(Decimal(str(value)), lang(language))
