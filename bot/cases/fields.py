"""Typed parsing of the fields a stage needs: money to Decimal IDR, dates, numbers, choices.

Why strict here: the desk form, the JSON API and any future import all send strings in
whatever shape a person typed ("Rp150.000.000", "150,000,000", "2026-12-07", "07/12/2026");
this is the one place that turns them into values or into a per-field message in Indonesian
and English (HTTP 422), so nothing half-valid is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.cases.errors import FieldErrors
from bot.cases.pipelines import FieldDef, StageDef, pick
from bot.crm.sqltypes import to_money


@dataclass(frozen=True)
class ItemLine:
    """An instrument line of a calibration request (per-item fields use one value each)."""

    id: int
    label: str


@dataclass(frozen=True)
class FieldSpec:
    """A field as a form or API client sees it: per-item fields expanded per line."""

    name: str
    type: str
    label: Mapping[str, str]
    required: bool
    choices: tuple[tuple[str, Mapping[str, str]], ...] = ()


def field_specs(stage: StageDef, items: Sequence[ItemLine]) -> list[FieldSpec]:
    specs = []
    for definition in stage.fields:
        choices = tuple((c.id, c.label) for c in definition.choices)
        if definition.per_item:
            specs += [
                FieldSpec(
                    f"{definition.name}.{item.id}",
                    definition.type,
                    {
                        lang: f"{pick(definition.label, lang)} – {item.label}"
                        for lang in ("id", "en")
                    },
                    definition.required,
                    choices,
                )
                for item in items
            ]
        else:
            specs.append(
                FieldSpec(
                    definition.name, definition.type, definition.label, definition.required, choices
                )
            )
    return specs


_MESSAGES = {
    "required": ("Wajib diisi.", "Required."),
    "money": (
        "Isi nominal Rupiah, misalnya 150000000 atau Rp150.000.000.",
        "Enter an amount in Rupiah, e.g. 150000000 or Rp150.000.000.",
    ),
    "money_negative": ("Nominal tidak boleh negatif.", "The amount cannot be negative."),
    "date": (
        "Isi tanggal dengan format TTTT-BB-HH, misalnya 2026-12-07.",
        "Enter a date as YYYY-MM-DD, e.g. 2026-12-07.",
    ),
    "number": ("Isi angka, misalnya 36.", "Enter a number, e.g. 36."),
    "choice": ("Pilih salah satu pilihan yang tersedia.", "Pick one of the options."),
    "text_long": ("Maksimal 500 karakter.", "At most 500 characters."),
    "unknown": (
        "Kolom ini tidak dikenal untuk tahap ini.",
        "This field is not used by this stage.",
    ),
}


def _message(key: str) -> dict[str, str]:
    id_text, en_text = _MESSAGES[key]
    return {"id": id_text, "en": en_text}


def parse_money(value: Any) -> Decimal:
    """IDR amount; accepts ints, Decimals and typed text in Indonesian or English format."""
    if isinstance(value, bool):
        raise ValueError("money")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("money")
        value = int(value)
    if isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    else:
        text = re.sub(r"^(rp\.?|idr)\s*", "", str(value).strip().lower()).replace(" ", "")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", text):
            text = text.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", text):
            text = text.replace(",", "")
        elif re.fullmatch(r"\d+(,\d{1,2})", text):
            text = text.replace(",", ".")
        elif not re.fullmatch(r"-?\d+(\.\d{1,2})?", text):
            raise ValueError("money")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError("money") from None
    if amount < 0:
        raise ValueError("money_negative")
    try:
        return to_money(amount)
    except (TypeError, ValueError):
        raise ValueError("money") from None


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", text)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("date") from None


def parse_number(value: Any) -> int | str:
    if isinstance(value, bool):
        raise ValueError("number")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError("number") from None
    if not number.is_finite():
        raise ValueError("number")
    return int(number) if number == number.to_integral_value() else str(number)


def _parse_one(definition: FieldDef, value: Any) -> Any:
    """The JSON-storable value: money as a decimal string, dates ISO, numbers int."""
    if definition.type == "money":
        return str(parse_money(value))
    if definition.type == "date":
        return parse_date(value).isoformat()
    if definition.type == "number":
        return parse_number(value)
    if definition.type == "choice":
        wanted = str(value).strip()
        if wanted not in {c.id for c in definition.choices}:
            raise ValueError("choice")
        return wanted
    text = str(value).strip()
    if len(text) > 500:
        raise ValueError("text_long")
    return text


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_fields(
    stage: StageDef, raw: Mapping[str, Any] | None, items: Sequence[ItemLine] = ()
) -> dict[str, Any]:
    """Validate ``raw`` for moving into ``stage``; raises FieldErrors listing every problem.

    Per-item fields come as ``{"certificate_number": {"<item id>": "..."}}``, as a list in
    line order, or flat as ``"certificate_number.<item id>"``; they are stored as a mapping.
    """
    raw = dict(raw or {})
    errors: dict[str, dict[str, str]] = {}
    parsed: dict[str, Any] = {}
    known = {d.name for d in stage.fields}
    for key in raw:
        base = key.split(".", 1)[0]
        if base not in known:
            errors[key] = _message("unknown")
    for definition in stage.fields:
        if definition.per_item:
            values = _per_item_values(definition.name, raw, items)
            parsed_lines: dict[str, Any] = {}
            for item in items:
                name = f"{definition.name}.{item.id}"
                value = values.get(str(item.id))
                if _blank(value):
                    if definition.required:
                        errors[name] = _message("required")
                    continue
                try:
                    parsed_lines[str(item.id)] = _parse_one(definition, value)
                except ValueError as exc:
                    errors[name] = _message(str(exc))
            if parsed_lines:
                parsed[definition.name] = parsed_lines
            continue
        value = raw.get(definition.name)
        if _blank(value):
            if definition.required:
                errors[definition.name] = _message("required")
            continue
        try:
            parsed[definition.name] = _parse_one(definition, value)
        except ValueError as exc:
            errors[definition.name] = _message(str(exc))
    if errors:
        raise FieldErrors(errors)
    return parsed


def _per_item_values(
    name: str, raw: Mapping[str, Any], items: Sequence[ItemLine]
) -> dict[str, Any]:
    given = raw.get(name)
    values: dict[str, Any] = {}
    if isinstance(given, Mapping):
        values = {str(k): v for k, v in given.items()}
    elif isinstance(given, (list, tuple)):
        values = {str(item.id): v for item, v in zip(items, given, strict=False)}
    elif given is not None and len(items) == 1:
        values = {str(items[0].id): given}
    for key, value in raw.items():
        if key.startswith(name + "."):
            values[key.split(".", 1)[1]] = value
    return values
