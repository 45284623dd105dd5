"""Calibration request: what the lab needs to send a quotation (research notes §1.4, §8.2).

Instrument lines. The customer describes one line at a time (type, digital/analog or other
specification, quantity). When a line is complete it moves into ``cal_instruments`` and the
bot asks "any other instrument?"; "yes" (or simply naming the next instrument) starts a new
line, "no" moves on. A first message naming several instruments ("12 pressure gauge dan 5
termometer digital") fills several lines at once. The specification is always asked because
a digital/analog mix-up is the lab's typical price dispute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.crm.types import CalibrationItemInput, CalibrationRequestInput
from bot.flows import texts
from bot.flows.base import (
    CONTACT_CORRECTIONS,
    Attempt,
    Context,
    FormFlow,
    Reply,
    Turn,
    chosen,
    match_label,
    picked_option,
    read_yes_no,
    says_that_is_all,
)
from bot.flows.contact import (
    COMPANY,
    EMAIL,
    NAME,
    PHONE,
    contact_rows,
    extra_contact,
    prefill_contact,
    read_contact,
)
from bot.flows.validators import check_date, check_quantity, check_text

SERVICE_TYPE = "cal_service_type"
INSTRUMENT_TYPE = "cal_instrument_type"
INSTRUMENT_SPEC = "cal_instrument_spec"
QUANTITY = "cal_quantity"
DETAILS = "cal_instrument_details"  # range, make... said with the line ("range 0-10 bar merk Wika")
INSTRUMENTS = "cal_instruments"
PENDING = "cal_pending_lines"
MORE = "cal_more_instruments"
LOCATION = "cal_location"
SITE_ADDRESS = "cal_site_address"
SITE_CITY = "cal_site_city"
PREFERRED_DATE = "cal_preferred_date"
CONFIRM = "cal_confirm"

CONTACT = (COMPANY, NAME, PHONE, EMAIL)
LINE_SLOTS = (INSTRUMENT_TYPE, INSTRUMENT_SPEC, QUANTITY)

SERVICE_SYNONYMS: Mapping[str, Sequence[str]] = {
    "kalibrasi": ("kalibrasi", "calibration", "calibrate", "kalibrasi alat", "kalib"),
    "tera": ("tera", "legal verification", "tera baru", "verification"),
    "tera_ulang": (
        "tera ulang",
        "re-verification",
        "reverification",
        "tera ulang berkala",
        "teraulang",
    ),
}
LOCATION_SYNONYMS: Mapping[str, Sequence[str]] = {
    "onsite": (
        "onsite",
        "on-site",
        "on site",
        "di lokasi",
        "di tempat",
        "datang",
        "ke lokasi",
        "di pabrik",
        "di kantor kami",
        "teknisi datang",
        "at our site",
        "come to us",
        "di site",
    ),
    "lab": (
        "lab",
        "laboratorium",
        "laboratory",
        "dikirim",
        "kirim",
        "diantar",
        "antar",
        "sent in",
        "send in",
        "bring",
        "ke lab",
        "kirim ke lab",
        "in the lab",
    ),
}
SPEC_SYNONYMS: Mapping[str, Sequence[str]] = {
    "digital": ("digital", "dijital", "elektronik", "electronic"),
    "analog": ("analog", "analogue", "jarum", "manual", "mekanik", "mechanical"),
    "unknown": (
        "tidak tahu",
        "gak tahu",
        "ga tau",
        "nggak tahu",
        "belum tahu",
        "tdk tahu",
        "don't know",
        "not sure",
        "unknown",
        "entah",
        "kurang tahu",
    ),
}


_RANGE = re.compile(
    r"\b(?:range|rentang|kapasitas|capacity|skala)\s*:?\s*"
    r"(-?[\d.,]+\s*(?:-|–|s/?d|sampai|to|hingga)\s*-?[\d.,]+\s*(?:°\s*)?[a-zA-Z%/²³]*)",
    re.IGNORECASE,
)
_MAKE = re.compile(
    r"\b(?:merk|merek|brand|make|buatan|pabrikan)\s*:?\s*([A-Za-z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*)*)",
    re.IGNORECASE,
)


def line_details(text: str) -> str | None:
    """Range and make named with an instrument ("range 0-10 bar merk Wika"), as the lab reads
    them; None when the message names neither."""
    parts: list[str] = []
    found_range = _RANGE.search(text or "")
    if found_range:
        parts.append(f"range {' '.join(found_range.group(1).split())}")
    found_make = _MAKE.search(text or "")
    if found_make:
        parts.append(f"merk {found_make.group(1).strip()}")
    return ", ".join(parts) or None


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters between two spans (0 when they touch or overlap)."""
    return max(0, b[0] - a[1], a[0] - b[1])


def _line_from_entities(turn: Turn) -> list[dict[str, Any]]:
    """Instrument lines named in one message: each quantity/spec goes to the nearest type."""
    types = [e for e in turn.entities if e.name == "instrument_type" and e.value]
    if not types:
        return []
    lines: list[dict[str, Any]] = [
        {"type": str(e.value), "spec": None, "quantity": None, "_span": (e.start, e.end)}
        for e in types
    ]
    for entity in turn.entities:
        if entity.name not in ("quantity", "instrument_spec") or entity.value in (None, ""):
            continue
        key = "quantity" if entity.name == "quantity" else "spec"
        if key == "quantity":
            checked = check_quantity(str(entity.value))
            if not checked.ok:
                continue
            value: Any = checked.value
        else:
            value = str(entity.value)
        candidates = [line for line in lines if line[key] is None]
        if not candidates:
            continue
        if (
            entity.start is not None
            and entity.end is not None
            and all(None not in line["_span"] for line in candidates)
        ):
            span = (entity.start, entity.end)
            target = min(candidates, key=lambda line: _gap(line["_span"], span))
        else:
            target = candidates[0]
        target[key] = value
    for line in lines:
        line.pop("_span", None)
    if len(lines) == 1:  # with several instruments it is not clear whose range/make it is
        lines[0]["details"] = line_details(turn.plain_text)
    return lines


def _line_updates(lines: list[dict[str, Any]], state: Mapping[str, Any]) -> dict[str, Any]:
    """Lines named in one message: complete ones go to the list, the first incomplete one
    becomes the current line (asked next), further incomplete ones wait their turn."""
    updates: dict[str, Any] = {}
    if len(lines) == 1:
        current: dict[str, Any] | None = lines[0]
    else:
        complete = [
            line for line in lines if line["spec"] is not None and line["quantity"] is not None
        ]
        incomplete = [line for line in lines if line not in complete]
        if complete:
            updates[INSTRUMENTS] = list(state.get(INSTRUMENTS) or []) + [
                _stored_line(line["type"], line["spec"], line["quantity"], line.get("details"))
                for line in complete
            ]
        current = incomplete[0] if incomplete else None
        if len(incomplete) > 1:
            updates[PENDING] = list(state.get(PENDING) or []) + incomplete[1:]
    if current is not None:
        updates[INSTRUMENT_TYPE] = current["type"]
        updates[INSTRUMENT_SPEC] = current["spec"]
        updates[QUANTITY] = current["quantity"]
        updates[DETAILS] = current.get("details")
        updates[MORE] = None
    return updates


def _stored_line(kind: Any, spec: Any, quantity: Any, details: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"type": kind, "spec": spec, "quantity": int(quantity)}
    if details:
        line["details"] = str(details)
    return line


class CalibrationFlow(FormFlow):
    name = "calibration_request_form"
    own_intents = frozenset({"request_calibration"})
    slots = (
        SERVICE_TYPE,
        INSTRUMENT_TYPE,
        INSTRUMENT_SPEC,
        QUANTITY,
        DETAILS,
        INSTRUMENTS,
        PENDING,
        MORE,
        LOCATION,
        SITE_ADDRESS,
        SITE_CITY,
        PREFERRED_DATE,
        CONFIRM,
    )
    shared_slots = CONTACT
    textual_slots = frozenset({INSTRUMENT_TYPE, INSTRUMENT_SPEC, NAME, COMPANY})
    free_text_slots = frozenset({SITE_ADDRESS})
    confirm_slot = CONFIRM
    edit_targets: Mapping[str, tuple[str, ...]] = {
        "company": (COMPANY,),
        "contact_name": (NAME,),
        "phone": (PHONE,),
        "email": (EMAIL,),
        "service_type": (SERVICE_TYPE,),
        "instruments": (
            INSTRUMENTS,
            PENDING,
            INSTRUMENT_TYPE,
            INSTRUMENT_SPEC,
            QUANTITY,
            DETAILS,
            MORE,
        ),
        "location": (LOCATION, SITE_ADDRESS),
        "preferred_date": (PREFERRED_DATE,),
    }

    corrections: Mapping[str, str] = {
        **CONTACT_CORRECTIONS,
        "tanggal": PREFERRED_DATE,
        "tgl": PREFERRED_DATE,
        "jadwal": PREFERRED_DATE,
        "date": PREFERRED_DATE,
        "preferred date": PREFERRED_DATE,
        "alamat": SITE_ADDRESS,
        "address": SITE_ADDRESS,
        "layanan": SERVICE_TYPE,
        "service": SERVICE_TYPE,
        "lokasi": LOCATION,
        "location": LOCATION,
    }

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        required = [SERVICE_TYPE]
        line_started = any(state.get(slot) is not None for slot in LINE_SLOTS)
        if not state.get(INSTRUMENTS) or state.get(MORE) is True or line_started:
            required += list(LINE_SLOTS)
        else:
            required.append(MORE)
        required.append(LOCATION)
        if state.get(LOCATION) == "onsite":
            required.append(SITE_ADDRESS)
        required += [PREFERRED_DATE, *CONTACT]
        return self.with_confirmation(required, state)

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        service = turn.first("service_type")
        if service in SERVICE_SYNONYMS:
            updates[SERVICE_TYPE] = service
        lines = _line_from_entities(turn)
        if lines:
            updates.update(_line_updates(lines, {**state, INSTRUMENTS: []}))
        else:
            quantity = turn.first("quantity")
            if quantity is not None and check_quantity(str(quantity)).ok:
                updates[QUANTITY] = check_quantity(str(quantity)).value
        location = turn.first("service_location")
        if location in LOCATION_SYNONYMS:
            updates[LOCATION] = location
        city = turn.first("city")
        if city:
            updates[SITE_CITY] = str(city)
        updates.update(prefill_contact(turn, state, ctx, CONTACT))
        return updates

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot in CONTACT:
            return read_contact(slot, turn)
        if slot == SERVICE_TYPE:
            value = picked_option(turn, SERVICE_SYNONYMS, "service_type")
            if value is None and turn.first("service_type") in SERVICE_SYNONYMS:
                value = str(turn.first("service_type"))
            if value is None:
                return Attempt.fail("utter_invalid_choice")
            return Attempt.ok(**{SERVICE_TYPE: value})
        if slot == INSTRUMENT_TYPE:
            return self._read_instrument(turn, state)
        if slot == INSTRUMENT_SPEC:
            value = (
                chosen(turn)
                or turn.first("instrument_spec")
                or match_label(turn.plain_text, SPEC_SYNONYMS)
            )
            if value is None:
                checked = check_text(turn.plain_text, "spec", min_length=2)
                if not checked.ok:
                    return Attempt.from_checked(checked)
                value = checked.value
            updates: dict[str, Any] = {INSTRUMENT_SPEC: value}
            if state.get(QUANTITY) is None and turn.first("quantity") is not None:
                quantity = check_quantity(str(turn.first("quantity")))
                if quantity.ok:
                    updates[QUANTITY] = quantity.value
            return Attempt(updates=updates)
        if slot == QUANTITY:
            raw = turn.first("quantity")
            count = check_quantity(str(raw) if raw is not None else turn.plain_text)
            if not count.ok:
                return Attempt.from_checked(count)
            return Attempt.ok(**{QUANTITY: count.value})
        if slot == MORE:
            lines = _line_from_entities(turn)
            if lines:  # "5 termometer digital": naming the next instrument means yes
                updates = _line_updates(lines, state)
                updates[MORE] = True
                return Attempt(updates=updates)
            answer = read_yes_no(turn)
            if answer is None and says_that_is_all(turn.plain_text):
                answer = False  # "udah itu aja" is not a goodbye here
            if answer is None:
                return Attempt.fail("utter_invalid_yes_no")
            return Attempt.ok(**{MORE: answer})
        if slot == LOCATION:
            value = picked_option(turn, LOCATION_SYNONYMS, "service_location")
            if value is None:
                return Attempt.fail("utter_invalid_choice")
            updates = {LOCATION: value}
            if turn.first("city"):
                updates[SITE_CITY] = str(turn.first("city"))
            return Attempt(updates=updates)
        if slot == SITE_ADDRESS:
            checked = check_text(turn.plain_text, "address", min_length=5)
            if not checked.ok:
                return Attempt.from_checked(checked)
            return Attempt.ok(**{SITE_ADDRESS: checked.value})
        if slot == PREFERRED_DATE:
            checked_date = check_date(turn.plain_text, ctx.language, ctx.today)
            if not checked_date.ok:
                return Attempt.from_checked(checked_date)
            return Attempt.ok(**{PREFERRED_DATE: checked_date.value.isoformat()})  # type: ignore[union-attr]
        raise KeyError(slot)

    def _read_instrument(self, turn: Turn, state: Mapping[str, Any]) -> Attempt:
        if state.get(INSTRUMENTS) and (
            read_yes_no(turn) is False or says_that_is_all(turn.plain_text)
        ):
            # "tidak jadi" after saying there was another instrument: no further line.
            return Attempt.ok(**{MORE: False, INSTRUMENT_TYPE: None})
        lines = _line_from_entities(turn)
        if lines:
            updates = _line_updates(lines, state)
            # Keep what the customer already said about this line unless the message repeats it.
            for slot in (INSTRUMENT_SPEC, QUANTITY, DETAILS):
                if updates.get(slot) is None and state.get(slot) is not None:
                    updates[slot] = state[slot]
            updates.pop(MORE, None)
            return Attempt(updates=updates)
        checked = check_text(turn.plain_text, "instrument", min_length=2)
        if not checked.ok:
            return Attempt.from_checked(checked)
        updates = {INSTRUMENT_TYPE: checked.value}
        if turn.first("quantity") is not None and state.get(QUANTITY) is None:
            quantity = check_quantity(str(turn.first("quantity")))
            if quantity.ok:
                updates[QUANTITY] = quantity.value
        return Attempt(updates=updates)

    def extra(
        self, requested: str, turn: Turn, state: Mapping[str, Any], ctx: Context
    ) -> dict[str, Any]:
        if requested in (NAME, COMPANY):
            return extra_contact(turn, state, CONTACT)
        return {}

    def other_answers(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Instruments named while another question is asked ("termometer digital 5 buah"
        after the "Minta penawaran kalibrasi" button asks the service type)."""
        updates: dict[str, Any] = {}
        line_open = any(state.get(slot) is not None for slot in LINE_SLOTS) or state.get(PENDING)
        lines = _line_from_entities(turn)
        if lines and not line_open:
            updates.update(_line_updates(lines, state))
            updates.pop(MORE, None)
        service = turn.first("service_type")
        if service in SERVICE_SYNONYMS and state.get(SERVICE_TYPE) is None:
            updates[SERVICE_TYPE] = service
        location = turn.first("service_location")
        if location in LOCATION_SYNONYMS and state.get(LOCATION) is None:
            updates[LOCATION] = location
        return updates

    def noted(
        self, before: Mapping[str, Any], after: Mapping[str, Any], requested: str, ctx: Context
    ) -> str | None:
        """Instruments recorded from a message that said more than the question asked."""
        if requested not in (SERVICE_TYPE, INSTRUMENT_TYPE, MORE):
            return None
        old = list(before.get(INSTRUMENTS) or [])
        new = list(after.get(INSTRUMENTS) or [])
        if len(new) <= len(old):
            return None
        return "; ".join(
            texts.instrument_line_short(ctx.profile, line, ctx.language) for line in new[len(old) :]
        )

    def settle(self, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        if all(state.get(slot) is not None for slot in LINE_SLOTS):
            line = _stored_line(
                state[INSTRUMENT_TYPE], state[INSTRUMENT_SPEC], state[QUANTITY], state.get(DETAILS)
            )
            updates = {
                INSTRUMENTS: [*list(state.get(INSTRUMENTS) or []), line],
                INSTRUMENT_TYPE: None,
                INSTRUMENT_SPEC: None,
                QUANTITY: None,
                DETAILS: None,
                MORE: None,
            }
            pending = list(state.get(PENDING) or [])
            if pending:
                # The next instrument from the same message: ask its missing details.
                following = pending.pop(0)
                updates.update(
                    {
                        INSTRUMENT_TYPE: following["type"],
                        INSTRUMENT_SPEC: following["spec"],
                        QUANTITY: following["quantity"],
                        DETAILS: following.get("details"),
                        PENDING: pending,
                    }
                )
        return updates


FLOW = CalibrationFlow()


# -- questions whose wording depends on the state -------------------------------------------


def ask_site_address(state: Mapping[str, Any]) -> Reply:
    city = state.get(SITE_CITY)
    if city:
        return Reply("utter_ask_cal_site_address_city", {"city": city})
    return Reply("utter_ask_cal_site_address")


def ask_instrument_spec(state: Mapping[str, Any], ctx: Context) -> Reply:
    name = texts.instrument_name(ctx.profile, str(state.get(INSTRUMENT_TYPE) or ""), ctx.language)
    return Reply("utter_ask_cal_instrument_spec", {"instrument": name})


def ask_quantity(state: Mapping[str, Any], ctx: Context) -> Reply:
    name = texts.instrument_name(ctx.profile, str(state.get(INSTRUMENT_TYPE) or ""), ctx.language)
    return Reply("utter_ask_cal_quantity", {"instrument": name})


def summary(state: Mapping[str, Any], ctx: Context) -> str:
    lang = ctx.language
    preferred = state.get(PREFERRED_DATE)
    rows: list[tuple[str, str | None]] = [
        ("service_type", texts.label(texts.SERVICE_TYPES, state.get(SERVICE_TYPE), lang)),
        (
            "instruments",
            texts.instrument_lines_text(ctx.profile, state.get(INSTRUMENTS) or [], lang),
        ),
        ("location", texts.label(texts.LOCATIONS, state.get(LOCATION), lang)),
        ("site_address", state.get(SITE_ADDRESS) if state.get(LOCATION) == "onsite" else None),
        (
            "preferred_date",
            texts.format_date(date.fromisoformat(preferred), lang) if preferred else None,
        ),
        *contact_rows(state, CONTACT),
    ]
    return texts.summary_text(rows, lang)


def ask_confirmation(state: Mapping[str, Any], ctx: Context) -> Reply:
    return Reply("utter_ask_cal_confirm", {"summary": summary(state, ctx)})


def build_input(state: Mapping[str, Any]) -> CalibrationRequestInput:
    """The CRM record for a confirmed form (the form guarantees every required value)."""
    items = tuple(
        CalibrationItemInput(
            instrument_type=str(line["type"]),
            quantity=int(line["quantity"]),
            spec=_stored_spec(line),
        )
        for line in state.get(INSTRUMENTS) or []
    )
    preferred = state.get(PREFERRED_DATE)
    onsite = state.get(LOCATION) == "onsite"
    return CalibrationRequestInput(
        company_name=str(state[COMPANY]),
        contact_name=str(state[NAME]),
        phone=str(state[PHONE]),
        email=str(state[EMAIL]) if state.get(EMAIL) else None,
        service_type=str(state[SERVICE_TYPE]),
        service_location=str(state[LOCATION]),
        site_address=str(state[SITE_ADDRESS]) if onsite and state.get(SITE_ADDRESS) else None,
        preferred_date=date.fromisoformat(preferred) if preferred else None,
        items=items,
    )


def _stored_spec(line: Mapping[str, Any]) -> str | None:
    """The specification as stored: "analog, range 0-10 bar, merk Wika" (the CRM column holds
    120 characters). "unknown" is stored as no specification: the lab clarifies it before
    quoting."""
    parts = [
        str(part)
        for part in (line.get("spec"), line.get("details"))
        if part not in (None, "", "unknown")
    ]
    return ", ".join(parts)[:120] or None


def saved_reply(reference: str, state: Mapping[str, Any], ctx: Context) -> Reply:
    """The reference and the next step: a quotation by e-mail within N working days."""
    days = ctx.profile.quotation_working_days
    due = ctx.profile.add_working_days(ctx.today, days)
    return Reply(
        "utter_calibration_saved",
        {
            "reference": reference,
            "quotation_working_days": days,
            "quotation_date": texts.format_date(due, ctx.language),
            "email": state.get(EMAIL) or "-",
        },
    )
