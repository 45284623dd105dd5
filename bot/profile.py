"""The business profile: every business fact the assistant states, from one YAML file.

``data/business_profile.yml`` (path from ``bot.config.get_settings().business_profile_path``)
holds opening hours, addresses, contact channels, price ranges, document lists, policies
and the complaint taxonomy. Answers and actions read it through :func:`get_profile`, which
re-reads the file when its modification time changes: an edited opening hour takes effect
on the next message, with no retraining and no restart. If an edited file is invalid, the
last valid profile keeps being served and the error is logged (a typo must not take the
bot down); the very first load still fails loudly.

Money is kept as :class:`~decimal.Decimal` of whole Rupiah; texts that differ per language
are ``{"id": ..., "en": ...}`` mappings, picked with :func:`pick`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.cases.pipelines import Pipeline, PipelineError, parse_pipelines

logger = logging.getLogger(__name__)

LANGUAGES = ("id", "en")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
# Indonesian time-zone abbreviations customers know.
_TZ_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class ProfileError(ValueError):
    """The business-profile file is missing, unreadable or invalid."""


def pick(texts: Mapping[str, str] | str, language: str) -> str:
    """Return the text for ``language`` from an ``{id:, en:}`` mapping (Indonesian fallback)."""
    if isinstance(texts, str):
        return texts
    return texts.get(language) or texts.get("id") or next(iter(texts.values()), "")


def format_money(amount: Decimal, language: str) -> str:
    """``Decimal("150000")`` -> ``Rp150.000`` (id) or ``IDR 150,000`` (en)."""
    grouped = f"{int(amount):,}"
    if language == "en":
        return f"IDR {grouped}"
    return "Rp" + grouped.replace(",", ".")


@dataclass(frozen=True)
class DayHours:
    open: time
    close: time

    def contains(self, moment: time) -> bool:
        return self.open <= moment < self.close


@dataclass(frozen=True)
class Branch:
    id: str
    name: Mapping[str, str]
    address: str
    city: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    id: str
    name: Mapping[str, str]
    price_min: Decimal
    price_max: Decimal
    duration_days: int
    onsite: bool


@dataclass(frozen=True)
class FinancingProduct:
    id: str
    name: Mapping[str, str]
    conditions: tuple[str, ...]
    dp_min_percent: int
    dp_max_percent: int
    tenors_months: tuple[int, ...]


@dataclass(frozen=True)
class ComplaintCategory:
    id: str
    unit: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved WhatsApp template for one notification kind (section ``whatsapp_templates``).

    ``languages`` maps our language (id/en) to the template's language code at Meta;
    ``body_parameters`` names the notification values for {{1}}, {{2}}, ... in order;
    ``button_parameter`` (authentication templates) fills the copy-code/URL button.
    """

    kind: str
    name: str
    languages: Mapping[str, str]
    body_parameters: tuple[str, ...]
    button_parameter: str | None = None

    def language_code(self, language: str) -> str:
        return self.languages.get(language) or self.languages.get("id") or language


REQUIRED_COMPLAINT_CATEGORIES = (
    "late_certificate",
    "wrong_invoice",
    "technician_conduct",
    "damaged_instrument",
    "billing_dispute",
    "debt_collection_conduct",
    "service_quality",
    "other",
)


@dataclass(frozen=True)
class Team:
    """A desk team with its own queue (issue 16); ``reasons``: handoff reasons it takes."""

    id: str
    name: Mapping[str, str]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class BusinessProfile:
    """A validated business profile. Build it with :func:`load_profile`."""

    raw: Mapping[str, Any] = field(repr=False)
    timezone: ZoneInfo
    office_hours: Mapping[str, DayHours | None]
    agent_hours: Mapping[str, DayHours | None]
    holidays: tuple[date, ...]
    branches: tuple[Branch, ...]
    instruments: tuple[Instrument, ...]
    financing_products: tuple[FinancingProduct, ...]
    complaint_categories: tuple[ComplaintCategory, ...]
    whatsapp_templates: Mapping[str, WhatsAppTemplate] = field(default_factory=dict)
    # Back-office stage definitions per case type (bot/cases/pipelines.py).
    pipelines: Mapping[str, Pipeline] = field(default_factory=dict)
    teams: tuple[Team, ...] = ()

    # ---- simple accessors -------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.raw["company"]["name"])

    @property
    def short_name(self) -> str:
        return str(self.raw["company"].get("short_name") or self.name)

    @property
    def address_form(self) -> str:
        return str(self.raw["company"]["address_form"])

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.raw["company"]["languages"])

    @property
    def contact(self) -> Mapping[str, str]:
        contact: Mapping[str, str] = self.raw["contact"]
        return contact

    @property
    def quotation_working_days(self) -> int:
        return int(self.raw["calibration"]["quotation_working_days"])

    @property
    def certificate_validity_months(self) -> int:
        return int(self.raw["calibration"]["certificate_validity_months"])

    @property
    def reminder_lead_days(self) -> int:
        """Days before a certificate expires that the re-calibration reminder goes out."""
        return int(self.raw["calibration"].get("reminder_lead_days", 30))

    def pipeline(self, case_type: str) -> Pipeline:
        """The stage definition of ``case_type`` (calibration, financing, complaint, callback)."""
        try:
            return self.pipelines[case_type]
        except KeyError:
            raise ProfileError(f"business profile: no pipeline for {case_type!r}") from None

    def instrument(self, instrument_id: str) -> Instrument | None:
        return next((i for i in self.instruments if i.id == instrument_id), None)

    def financing_product(self, product_id: str) -> FinancingProduct | None:
        return next((p for p in self.financing_products if p.id == product_id), None)

    def complaint_category(self, category_id: str) -> ComplaintCategory | None:
        return next((c for c in self.complaint_categories if c.id == category_id), None)

    def complaint_category_ids(self) -> list[str]:
        return [c.id for c in self.complaint_categories]

    def whatsapp_template(self, kind: str) -> WhatsAppTemplate | None:
        """The approved template for notifications of ``kind`` sent outside the 24-hour window."""
        return self.whatsapp_templates.get(kind)

    def financing_documents(self, kind: str, language: str) -> list[str]:
        """Document list ``kind`` (individual / business / multipurpose_extra) in ``language``."""
        return [pick(d, language) for d in self.raw["financing"]["documents"].get(kind, [])]

    def text(self, section: str, key: str, language: str) -> str:
        """A language-specific text from ``section.key`` (e.g. ``financing.late_fee``)."""
        return pick(self.raw[section][key], language).strip()

    # ---- time -------------------------------------------------------------------------
    def team(self, team_id: str | None) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def team_for_reason(self, reason: str) -> Team | None:
        """The team whose queue a handoff with this reason joins (else the first team)."""
        found = next((t for t in self.teams if reason in t.reasons), None)
        return found or (self.teams[0] if self.teams else None)

    def local_now(self, now: datetime | None = None) -> datetime:
        """``now`` (aware, or naive = already local) in the business time zone."""
        now = now or datetime.now(self.timezone)
        if now.tzinfo is None:
            return now.replace(tzinfo=self.timezone)
        return now.astimezone(self.timezone)

    def _open_at(self, hours: Mapping[str, DayHours | None], now: datetime | None) -> bool:
        local = self.local_now(now)
        if local.date() in self.holidays:
            return False
        day = hours.get(WEEKDAYS[local.weekday()])
        return bool(day and day.contains(local.time()))

    def is_within_agent_hours(self, now: datetime | None = None) -> bool:
        """True when a human agent is on duty at ``now`` (default: the current time)."""
        return self._open_at(self.agent_hours, now)

    def add_working_days(self, start: date, days: int) -> date:
        """``start`` plus ``days`` working days (Mon-Fri, holidays skipped)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if current.weekday() < 5 and current not in self.holidays:
                remaining -= 1
        return current

    # ---- response placeholders ---------------------------------------------------------
    def template_values(self, language: str) -> dict[str, str]:
        """Every placeholder that responses may use, as strings, in ``language``."""
        lang = language if language in LANGUAGES else "id"
        cal = self.raw["calibration"]
        fin = self.raw["financing"]
        contact = self.contact
        tz = _TZ_LABELS.get(self.timezone.key, self.timezone.key)
        bullet = "\n• "

        def bullets(items: Sequence[str]) -> str:
            return bullet + bullet.join(items) if items else ""

        def branch_line(b: Branch) -> str:
            return f"{pick(b.name, lang)}: {b.address}"

        days_word = "hari kerja" if lang == "id" else "working days"
        months_word = "bulan" if lang == "id" else "months"
        per_unit = "per unit"
        price_lines = [
            f"{pick(i.name, lang)}: {format_money(i.price_min, lang)}–"
            f"{format_money(i.price_max, lang)} {per_unit}"
            for i in self.instruments
        ]
        duration_lines = [
            f"{pick(i.name, lang)}: ±{i.duration_days} {days_word}" for i in self.instruments
        ]
        condition_words = {
            "id": {"new": "baru", "used": "bekas"},
            "en": {"new": "new", "used": "used"},
        }[lang]
        product_lines = [
            f"{pick(p.name, lang)} ({'/'.join(condition_words[c] for c in p.conditions)})"
            for p in self.financing_products
        ]
        dp_lines = []
        for p in self.financing_products:
            tenor = f"{min(p.tenors_months)}–{max(p.tenors_months)} {months_word}"
            if p.dp_max_percent == 0:
                dp = "tanpa DP" if lang == "id" else "no down payment"
            else:
                dp = f"DP {p.dp_min_percent}–{p.dp_max_percent}%"
            dp_lines.append(f"{pick(p.name, lang)}: {dp}, tenor {tenor}")

        channel_lines = [
            f"WhatsApp: {contact['whatsapp']}",
            f"{'Telepon' if lang == 'id' else 'Phone'} ({contact.get('call_center_name', '')}): "
            f"{contact['phone']}".replace(" ()", ""),
            f"Email: {contact['email']}",
            f"Website: {contact['website']}",
        ]
        if contact.get("instagram"):
            channel_lines.append(f"Instagram: {contact['instagram']}")

        values = {
            "company_name": self.name,
            "company_short_name": self.short_name,
            "company_description": pick(self.raw["company"].get("description", ""), lang).strip(),
            "address_form": self.address_form if lang == "id" else "you",
            "office_hours": self._format_hours(self.office_hours, lang, tz),
            "agent_hours": self._format_hours(self.agent_hours, lang, tz),
            "timezone_label": tz,
            "head_office_address": branch_line(self.branches[0]),
            "branch_list": bullets([branch_line(b) for b in self.branches]),
            "calibration_branches": bullets(
                [branch_line(b) for b in self.branches if "calibration" in b.units]
            ),
            "financing_branches": bullets(
                [branch_line(b) for b in self.branches if "financing" in b.units]
            ),
            "phone": str(contact["phone"]),
            "whatsapp": str(contact["whatsapp"]),
            "email": str(contact["email"]),
            "website": str(contact["website"]),
            "instagram": str(contact.get("instagram", "")),
            "call_center_name": str(contact.get("call_center_name", "")),
            "contact_channels": bullets(channel_lines),
            "quotation_working_days": str(cal["quotation_working_days"]),
            "certificate_working_days": str(cal["certificate_working_days"]),
            "certificate_validity_months": str(cal["certificate_validity_months"]),
            "certificate_delivery": pick(cal["certificate_delivery"], lang).strip(),
            "accreditation": pick(cal["accreditation"], lang).strip(),
            "pickup_delivery": pick(cal["pickup_delivery"], lang).strip(),
            "calibration_payment_terms": pick(cal["payment_terms"], lang).strip(),
            "minimum_onsite_units": str(cal["minimum_onsite_units"]),
            "onsite_surcharge": format_money(Decimal(str(cal["onsite_surcharge"])), lang),
            "instrument_list": ", ".join(pick(i.name, lang) for i in self.instruments),
            "onsite_instruments": ", ".join(
                pick(i.name, lang) for i in self.instruments if i.onsite
            ),
            "lab_only_instruments": ", ".join(
                pick(i.name, lang) for i in self.instruments if not i.onsite
            ),
            "calibration_price_list": bullets(price_lines),
            "calibration_duration_list": bullets(duration_lines),
            "financing_product_list": bullets(product_lines),
            "financing_documents_individual": bullets(self.financing_documents("individual", lang)),
            "financing_documents_business": bullets(self.financing_documents("business", lang)),
            "financing_documents_multipurpose": bullets(
                self.financing_documents("multipurpose_extra", lang)
            ),
            "dp_tenor_list": bullets(dp_lines),
            "approval_working_days": str(fin["approval_working_days"]),
            "payment_channels": bullets([pick(c, lang) for c in fin["payment_channels"]]),
            "payment_due_note": pick(fin["payment_due_day_note"], lang).strip(),
            "payment_confirmation": pick(fin["payment_confirmation"], lang).strip(),
            "late_fee_policy": pick(fin["late_fee"], lang).strip(),
            "early_payoff_policy": pick(fin["early_payoff"], lang).strip(),
            "bpkb_release": pick(fin["bpkb_release"], lang).strip(),
            "restructuring_policy": pick(fin["restructuring"], lang).strip(),
            "complaint_category_list": bullets(
                [pick(c.label, lang) for c in self.complaint_categories]
            ),
        }
        return values

    def _format_hours(self, hours: Mapping[str, DayHours | None], language: str, tz: str) -> str:
        """Group consecutive days with equal hours: 'Senin–Jumat 08.00–17.00 WIB; ...'."""
        names = _DAY_NAMES[language]
        sep = "." if language == "id" else ":"
        groups: list[tuple[int, int, DayHours | None]] = []
        for index, day in enumerate(WEEKDAYS):
            value = hours.get(day)
            if groups and groups[-1][2] == value:
                groups[-1] = (groups[-1][0], index, value)
            else:
                groups.append((index, index, value))
        parts = []
        closed = []
        for first, last, value in groups:
            label = names[first] if first == last else f"{names[first]}–{names[last]}"
            if value is None:
                closed.append(label)
                continue
            span = (
                f"{value.open.strftime('%H:%M').replace(':', sep)}–"
                f"{value.close.strftime('%H:%M').replace(':', sep)} {tz}"
            )
            parts.append(f"{label} {span}")
        if language == "id":
            closed_text = " dan ".join([*closed, "hari libur nasional"]) + " tutup"
        else:
            closed_text = "closed on " + " and ".join(
                [f"{c}s" if "–" not in c else c for c in closed] + ["public holidays"]
            )
        return "; ".join([*parts, closed_text])


# ---- loading and validation -----------------------------------------------------------


def _require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping or mapping[key] is None:
        raise ProfileError(f"business profile: missing '{where}{key}'")
    return mapping[key]


def _lang_text(value: Any, where: str) -> Mapping[str, str]:
    if isinstance(value, str):
        return {"id": value, "en": value}
    if not isinstance(value, Mapping) or not value.get("id"):
        raise ProfileError(f"business profile: '{where}' needs at least an 'id' text")
    return {str(k): str(v) for k, v in value.items()}


def _money(value: Any, where: str) -> Decimal:
    text = str(value).strip()
    if not text.isdigit():
        raise ProfileError(
            f"business profile: '{where}' must be whole Rupiah digits, got {value!r}"
        )
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - isdigit() already guards this
        raise ProfileError(f"business profile: '{where}' is not a number") from exc


def _clock(value: Any, where: str) -> time:
    try:
        hour, minute = str(value).split(":")
        return time(int(hour), int(minute))
    except (ValueError, TypeError) as exc:
        raise ProfileError(
            f"business profile: '{where}' must look like 08:00, got {value!r}"
        ) from exc


def _hours(section: Any, where: str) -> dict[str, DayHours | None]:
    if not isinstance(section, Mapping):
        raise ProfileError(f"business profile: '{where}' must map weekdays to hours")
    unknown = set(section) - set(WEEKDAYS)
    if unknown:
        raise ProfileError(f"business profile: '{where}' has unknown days {sorted(unknown)}")
    result: dict[str, DayHours | None] = {}
    for day in WEEKDAYS:
        value = section.get(day)
        if value is None:
            result[day] = None
            continue
        opening = _clock(_require(value, "open", f"{where}.{day}."), f"{where}.{day}.open")
        closing = _clock(_require(value, "close", f"{where}.{day}."), f"{where}.{day}.close")
        if closing <= opening:
            raise ProfileError(f"business profile: '{where}.{day}' closes before it opens")
        result[day] = DayHours(opening, closing)
    return result


def _whatsapp_templates(section: Any) -> dict[str, WhatsAppTemplate]:
    if not isinstance(section, Mapping):
        raise ProfileError("business profile: 'whatsapp_templates' must be a mapping")
    templates = {}
    for kind, item in section.items():
        where = f"whatsapp_templates.{kind}."
        languages = _require(item, "languages", where)
        if not isinstance(languages, Mapping) or not languages:
            raise ProfileError(f"business profile: '{where}languages' must map id/en to codes")
        parameters = item.get("body_parameters") or []
        if not isinstance(parameters, list):
            raise ProfileError(f"business profile: '{where}body_parameters' must be a list")
        button = item.get("button_parameter")
        templates[str(kind)] = WhatsAppTemplate(
            kind=str(kind),
            name=str(_require(item, "name", where)),
            languages={str(k): str(v) for k, v in languages.items()},
            body_parameters=tuple(str(p) for p in parameters),
            button_parameter=str(button) if button else None,
        )
    return templates


def _teams(section: Any) -> tuple[Team, ...]:
    if not isinstance(section, list):
        raise ProfileError("business profile: teams must be a list")
    teams: list[Team] = []
    for index, item in enumerate(section):
        where = f"teams[{index}]"
        if not isinstance(item, Mapping):
            raise ProfileError(f"business profile: {where} must be a mapping")
        team_id = str(_require(item, "id", f"{where}."))
        if any(t.id == team_id for t in teams):
            raise ProfileError(f"business profile: {where}: duplicate team id {team_id!r}")
        reasons = item.get("reasons") or []
        if not isinstance(reasons, list):
            raise ProfileError(f"business profile: {where}.reasons must be a list")
        teams.append(
            Team(
                id=team_id,
                name=_lang_text(_require(item, "name", f"{where}."), f"{where}.name"),
                reasons=tuple(str(r) for r in reasons),
            )
        )
    return tuple(teams)


def parse_profile(raw: Mapping[str, Any]) -> BusinessProfile:
    """Validate a loaded YAML mapping and build a :class:`BusinessProfile`."""
    if not isinstance(raw, Mapping):
        raise ProfileError("business profile: the file must contain a mapping")
    company = _require(raw, "company", "")
    for key in ("name", "address_form", "languages"):
        _require(company, key, "company.")
    try:
        tz = ZoneInfo(str(raw.get("timezone", "Asia/Jakarta")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProfileError(f"business profile: unknown timezone {raw.get('timezone')!r}") from exc

    contact = _require(raw, "contact", "")
    for key in ("phone", "whatsapp", "email", "website"):
        _require(contact, key, "contact.")

    branches = []
    for i, b in enumerate(_require(raw, "branches", "") or []):
        where = f"branches[{i}]."
        branches.append(
            Branch(
                id=str(_require(b, "id", where)),
                name=_lang_text(_require(b, "name", where), f"{where}name"),
                address=str(_require(b, "address", where)),
                city=str(_require(b, "city", where)),
                units=tuple(b.get("units", [])),
            )
        )
    if not branches:
        raise ProfileError("business profile: at least one branch (the head office) is needed")

    cal = _require(raw, "calibration", "")
    for key in (
        "quotation_working_days",
        "certificate_working_days",
        "certificate_validity_months",
        "certificate_delivery",
        "accreditation",
        "pickup_delivery",
        "payment_terms",
        "minimum_onsite_units",
        "onsite_surcharge",
    ):
        _require(cal, key, "calibration.")
    _money(cal["onsite_surcharge"], "calibration.onsite_surcharge")
    instruments = []
    for i, item in enumerate(_require(cal, "instruments", "calibration.")):
        where = f"calibration.instruments[{i}]."
        low = _money(_require(item, "price_min", where), f"{where}price_min")
        high = _money(_require(item, "price_max", where), f"{where}price_max")
        if low > high:
            raise ProfileError(f"business profile: '{where}price_min' is above price_max")
        instruments.append(
            Instrument(
                id=str(_require(item, "id", where)),
                name=_lang_text(_require(item, "name", where), f"{where}name"),
                price_min=low,
                price_max=high,
                duration_days=int(_require(item, "duration_days", where)),
                onsite=bool(item.get("onsite", False)),
            )
        )

    fin = _require(raw, "financing", "")
    for key in (
        "documents",
        "approval_working_days",
        "payment_channels",
        "payment_due_day_note",
        "payment_confirmation",
        "late_fee",
        "early_payoff",
        "bpkb_release",
        "restructuring",
    ):
        _require(fin, key, "financing.")
    products = []
    for i, item in enumerate(_require(fin, "products", "financing.")):
        where = f"financing.products[{i}]."
        tenors = tuple(int(t) for t in _require(item, "tenors_months", where))
        if not tenors:
            raise ProfileError(f"business profile: '{where}tenors_months' is empty")
        products.append(
            FinancingProduct(
                id=str(_require(item, "id", where)),
                name=_lang_text(_require(item, "name", where), f"{where}name"),
                conditions=tuple(_require(item, "conditions", where)),
                dp_min_percent=int(_require(item, "dp_min_percent", where)),
                dp_max_percent=int(_require(item, "dp_max_percent", where)),
                tenors_months=tenors,
            )
        )

    categories = []
    for i, item in enumerate(_require(raw, "complaint_categories", "")):
        where = f"complaint_categories[{i}]."
        categories.append(
            ComplaintCategory(
                id=str(_require(item, "id", where)),
                unit=str(item.get("unit", "both")),
                label=_lang_text(_require(item, "label", where), f"{where}label"),
            )
        )
    missing = set(REQUIRED_COMPLAINT_CATEGORIES) - {c.id for c in categories}
    if missing:
        raise ProfileError(f"business profile: complaint categories missing {sorted(missing)}")

    holidays = []
    for value in raw.get("holidays") or []:
        try:
            holidays.append(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError as exc:
            raise ProfileError(f"business profile: holiday {value!r} is not YYYY-MM-DD") from exc

    try:
        pipelines = parse_pipelines(_require(raw, "pipelines", ""), raw)
    except PipelineError as exc:
        raise ProfileError(str(exc)) from None

    profile = BusinessProfile(
        raw=raw,
        timezone=tz,
        office_hours=_hours(_require(raw, "office_hours", ""), "office_hours"),
        agent_hours=_hours(_require(raw, "agent_hours", ""), "agent_hours"),
        holidays=tuple(holidays),
        branches=tuple(branches),
        instruments=tuple(instruments),
        financing_products=tuple(products),
        complaint_categories=tuple(categories),
        whatsapp_templates=_whatsapp_templates(raw.get("whatsapp_templates") or {}),
        pipelines=pipelines,
        teams=_teams(raw.get("teams") or []),
    )
    # Render once so a broken text (e.g. a list where a string belongs) fails at load time.
    for lang in LANGUAGES:
        profile.template_values(lang)
    return profile


def load_profile(path: Path | str) -> BusinessProfile:
    """Read and validate the profile at ``path`` (no caching)."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except OSError as exc:
        raise ProfileError(f"business profile: cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(f"business profile: {path} is not valid YAML: {exc}") from exc
    try:
        return parse_profile(raw)
    except ProfileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProfileError(f"business profile: {path} is malformed: {exc!r}") from exc


class _ProfileCache:
    """Per-path cache keyed on (mtime_ns, size); thread-safe for the action server's pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[tuple[int, int], BusinessProfile]] = {}
        self._failed_stamp: dict[Path, tuple[int, int]] = {}

    def get(self, path: Path) -> BusinessProfile:
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = (-1, -1)
        with self._lock:
            cached = self._entries.get(path)
            if cached and cached[0] == stamp:
                return cached[1]
            if cached and self._failed_stamp.get(path) == stamp:
                return cached[1]
            try:
                profile = load_profile(path)
            except ProfileError:
                if cached is None:
                    raise
                self._failed_stamp[path] = stamp
                logger.exception(
                    "Keeping the previous business profile: the edited file is invalid"
                )
                return cached[1]
            self._entries[path] = (stamp, profile)
            self._failed_stamp.pop(path, None)
            return profile

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._failed_stamp.clear()


_cache = _ProfileCache()


def default_profile_path() -> Path:
    from bot.config import get_settings

    return Path(get_settings().business_profile_path)


def get_profile(path: Path | str | None = None) -> BusinessProfile:
    """The current profile (cached; re-read when the file changes)."""
    return _cache.get(Path(path) if path else default_profile_path())


def template_values(language: str, path: Path | str | None = None) -> dict[str, str]:
    """Shortcut: placeholders for responses in ``language`` from the current profile."""
    return get_profile(path).template_values(language)


def is_within_agent_hours(now: datetime | None = None, path: Path | str | None = None) -> bool:
    """Shortcut: is a human agent on duty at ``now``?"""
    return get_profile(path).is_within_agent_hours(now)
