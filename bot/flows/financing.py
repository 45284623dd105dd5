"""Financing application (lead): product, amount, down payment, tenor, city, contact, consent.

Consent is asked *before* the name and phone number, so a customer who does not agree to be
contacted has given no personal data at all; without consent the form ends, nothing is
stored, and the customer is told why. Down payment and tenor are checked against the
product's ranges in the business profile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.crm.types import FinancingRequestInput
from bot.flows import texts
from bot.flows.base import (
    CONTACT_CORRECTIONS,
    Attempt,
    Button,
    Context,
    FormFlow,
    Reply,
    Turn,
    choice_payload,
    chosen,
    match_label,
    picked_option,
    read_yes_no,
)
from bot.flows.contact import (
    NAME,
    PHONE,
    contact_rows,
    extra_contact,
    prefill_contact,
    read_contact,
)
from bot.flows.validators import check_amount, check_city, check_contact_time
from bot.nlp import parsers
from bot.profile import FinancingProduct, format_money, pick

PRODUCT = "fin_product"
CONDITION = "fin_condition"
AMOUNT = "fin_amount"
DOWN_PAYMENT = "fin_down_payment"
TENOR = "fin_tenor"
CITY = "fin_city"
CONSENT = "fin_consent"
CONTACT_TIME = "fin_contact_time"
CONFIRM = "fin_confirm"

CONTACT = (NAME, PHONE)

PRODUCT_SYNONYMS: Mapping[str, Sequence[str]] = {
    "motorcycle": ("motor", "sepeda motor", "motorcycle", "motorbike", "motor baru", "motor bekas"),
    "car": ("mobil", "car", "kendaraan roda empat", "roda 4", "mobil baru", "mobil bekas"),
    "multipurpose": (
        "multiguna",
        "multipurpose",
        "dana tunai",
        "jaminan bpkb",
        "gadai bpkb",
        "pinjaman",
        "bpkb",
        "cash loan",
    ),
    "heavy_equipment": (
        "alat berat",
        "heavy equipment",
        "excavator",
        "ekskavator",
        "bulldozer",
        "forklift",
        "crane",
    ),
}
CONDITION_SYNONYMS: Mapping[str, Sequence[str]] = {
    "new": ("baru", "new", "gres", "brand new"),
    "used": ("bekas", "used", "second", "seken", "second hand", "secondhand", "pre-owned", "2nd"),
}
CONTACT_TIME_SYNONYMS: Mapping[str, Sequence[str]] = {
    "morning": ("pagi", "morning"),
    "afternoon": ("siang", "early afternoon", "noon", "lunch"),
    "late_afternoon": ("sore", "late afternoon", "evening", "petang"),
    "anytime": ("kapan saja", "kapan aja", "bebas", "terserah", "any time", "anytime", "whenever"),
}
_DP_WORDS = re.compile(r"\b(dp|uang muka|down ?payment|deposit)\b", re.IGNORECASE)
# "I can put 70 juta down", "70 juta buat dp": the words come after the amount.
_DP_AFTER = re.compile(
    r"^\s*(?:rupiah\s*)?(?:as (?:a |the )?|sebagai |buat |untuk |for (?:the )?)?"
    r"(?:dp|uang muka|down ?payment|down|deposit)\b"
    r"(?!\s*(?:nya\s*)?(?:[:=]\s*)?(?:rp\.?\s*)?\d)",  # "150 juta dp 30 juta": 30 is the DP
    re.IGNORECASE,
)
_NO_DP = re.compile(
    r"^(tanpa dp|tidak ada|ga ada|gak ada|nggak ada|tidak pakai dp|no dp|none|nol|0)$", re.I
)
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d+)?)\s*(?:%|persen|percent)", re.IGNORECASE)
_YEARS = re.compile(r"(\d{1,2}(?:[.,]5)?)\s*(?:tahun|thn|th|years?|yrs?)\b", re.IGNORECASE)
_MONTHS = re.compile(r"(\d{1,3})\s*(?:bulan|bln|bl|months?|mos?|x)\b", re.IGNORECASE)


def product_of(state: Mapping[str, Any], ctx: Context) -> FinancingProduct | None:
    product = state.get(PRODUCT)
    return ctx.profile.financing_product(str(product)) if product else None


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def read_tenor(text: str) -> int | None:
    """'3 tahun' -> 36, '24 bulan' / '24x' / '24' -> 24 (months)."""
    cleaned = (text or "").strip().lower()
    years = _YEARS.search(cleaned)
    if years:
        return int(Decimal(years.group(1).replace(",", ".")) * 12)
    months = _MONTHS.search(cleaned)
    if months:
        return int(months.group(1))
    if re.fullmatch(r"\d{1,3}", cleaned):
        return int(cleaned)
    return None


def _amounts_in(turn: Turn) -> tuple[Decimal | None, Decimal | None]:
    """(amount, down payment) from a message's amount entities: "DP 30jt" is a down payment."""
    amount: Decimal | None = None
    down: Decimal | None = None
    for entity in turn.entities:
        if entity.name != "amount" or entity.value in (None, ""):
            continue
        try:
            value = Decimal(str(entity.value))
        except ArithmeticError:
            continue
        before = (
            turn.text[max(0, (entity.start or 0) - 14) : entity.start or 0] if entity.start else ""
        )
        after = turn.text[entity.end : entity.end + 24] if entity.end is not None else ""
        if _DP_WORDS.search(before) or _DP_AFTER.match(after):
            down = down if down is not None else value
        elif amount is None:
            amount = value
    return amount, down


class FinancingFlow(FormFlow):
    name = "financing_request_form"
    own_intents = frozenset({"request_financing"})
    slots = (PRODUCT, CONDITION, AMOUNT, DOWN_PAYMENT, TENOR, CITY, CONSENT, CONTACT_TIME, CONFIRM)
    shared_slots = CONTACT
    textual_slots = frozenset({CITY, CONTACT_TIME, NAME})
    free_text_slots = frozenset()
    confirm_slot = CONFIRM
    edit_targets: Mapping[str, tuple[str, ...]] = {
        "product": (PRODUCT, CONDITION, DOWN_PAYMENT, TENOR),
        "amount": (AMOUNT, DOWN_PAYMENT),
        "tenor": (TENOR,),
        "city": (CITY,),
        "contact_name": (NAME,),
        "phone": (PHONE,),
        "contact_time": (CONTACT_TIME,),
    }

    corrections: Mapping[str, str] = {
        **CONTACT_CORRECTIONS,
        "harga": AMOUNT,
        "nilai": AMOUNT,
        "price": AMOUNT,
        "amount": AMOUNT,
        "dp": DOWN_PAYMENT,
        "uang muka": DOWN_PAYMENT,
        "down payment": DOWN_PAYMENT,
        "tenor": TENOR,
        "jangka waktu": TENOR,
        "term": TENOR,
        "kota": CITY,
        "city": CITY,
        "cabang": CITY,
        "waktu": CONTACT_TIME,
        "jam": CONTACT_TIME,
        "waktu dihubungi": CONTACT_TIME,
        "call time": CONTACT_TIME,
    }

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        required = [PRODUCT, CONDITION, AMOUNT, DOWN_PAYMENT, TENOR, CITY, CONSENT]
        if state.get(CONSENT) is False:
            return required  # no consent: stop here, before any personal data
        required += [*CONTACT, CONTACT_TIME]
        return self.with_confirmation(required, state)

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        product = turn.first("product_type")
        if product in PRODUCT_SYNONYMS:
            updates[PRODUCT] = product
        condition = turn.first("vehicle_condition")
        if condition in CONDITION_SYNONYMS:
            updates[CONDITION] = condition
        amount, down = _amounts_in(turn)
        if amount is not None and check_amount(str(amount), ctx.language).ok:
            updates[AMOUNT] = str(amount)
            if down is not None and down < amount:
                updates[DOWN_PAYMENT] = str(down)
        city = turn.first("city")
        if city:
            updates[CITY] = str(city)
        # Name and phone are prefilled only from what the CRM already holds, or typed now.
        updates.update(prefill_contact(turn, state, ctx, CONTACT))
        return updates

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot in CONTACT:
            return read_contact(slot, turn)
        if slot == PRODUCT:
            value = picked_option(turn, PRODUCT_SYNONYMS, "product_type")
            if value is None or ctx.profile.financing_product(value) is None:
                return Attempt.fail("utter_invalid_choice")
            updates: dict[str, Any] = {PRODUCT: value}
            condition = turn.first("vehicle_condition")
            if condition in CONDITION_SYNONYMS and state.get(CONDITION) is None:
                updates[CONDITION] = condition
            return Attempt(updates=updates)
        if slot == CONDITION:
            value = picked_option(turn, CONDITION_SYNONYMS, "vehicle_condition")
            product = product_of(state, ctx)
            if value is None:
                return Attempt.fail("utter_invalid_choice")
            if product is not None and value not in product.conditions:
                return Attempt.refuse("utter_invalid_fin_condition")
            return Attempt.ok(**{CONDITION: value})
        if slot == AMOUNT:
            amount, down = _amounts_in(turn)
            checked = check_amount(
                str(amount) if amount is not None else turn.plain_text, ctx.language
            )
            if not checked.ok:
                return Attempt.from_checked(checked)
            updates = {AMOUNT: str(checked.value)}
            if down is not None and state.get(DOWN_PAYMENT) is None:
                updates[DOWN_PAYMENT] = str(down)
            return Attempt(updates=updates)
        if slot == DOWN_PAYMENT:
            return self._read_down_payment(turn, state, ctx)
        if slot == TENOR:
            product = product_of(state, ctx)
            value = chosen(turn)
            tenor = int(value) if value and value.isdigit() else read_tenor(turn.plain_text)
            if tenor is None:
                return Attempt.fail(
                    "utter_invalid_tenor", tenors=self._tenor_list(product, ctx.language)
                )
            if product is not None and tenor not in product.tenors_months:
                return Attempt.refuse(
                    "utter_invalid_tenor", tenors=self._tenor_list(product, ctx.language)
                )
            return Attempt.ok(**{TENOR: tenor})
        if slot == CITY:
            city = turn.first("city")
            checked_city = check_city(turn.plain_text, str(city) if city else None)
            if not checked_city.ok:
                return Attempt.from_checked(checked_city)
            return Attempt(updates={CITY: checked_city.value}, recognised=checked_city.recognised)
        if slot == CONSENT:
            answer = read_yes_no(turn)
            if answer is None:
                return Attempt.fail("utter_invalid_yes_no")
            return Attempt.ok(**{CONSENT: answer})
        if slot == CONTACT_TIME:
            key = chosen(turn)
            if key is None and len(turn.plain_text.split()) <= 2:
                key = match_label(turn.plain_text, CONTACT_TIME_SYNONYMS)
            if key in CONTACT_TIME_SYNONYMS:
                return Attempt(updates={CONTACT_TIME: key}, recognised=True)
            # A bare "pagi"/"sore hari" picks a choice; "besok jam 10 pagi" is kept as typed.
            checked_time = check_contact_time(turn.plain_text, tuple(CONTACT_TIME_SYNONYMS))
            if not checked_time.ok:
                return Attempt.from_checked(checked_time)
            return Attempt(
                updates={CONTACT_TIME: checked_time.value}, recognised=checked_time.recognised
            )
        raise KeyError(slot)

    def _read_down_payment(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        amount = _decimal(state.get(AMOUNT))
        product = product_of(state, ctx)
        text = turn.plain_text
        percent = _PERCENT.search(text)
        value: Decimal | None
        if percent and amount is not None:
            value = (amount * Decimal(percent.group(1).replace(",", ".")) / 100).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
        elif _NO_DP.match(text.strip(" .!").lower()) or (
            turn.intent == "deny" and not turn.entities
        ):
            value = Decimal(0)
        else:
            entity = turn.first("amount")
            value = parsers.parse_amount(str(entity) if entity is not None else text)
        if value is None:
            return Attempt.fail("utter_invalid_amount")
        if amount is not None and value >= amount:
            return Attempt.refuse(
                "utter_invalid_down_payment_too_large", amount=format_money(amount, ctx.language)
            )
        if amount is not None and product is not None:
            low = (amount * product.dp_min_percent / 100).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
            high = (amount * product.dp_max_percent / 100).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
            if not low <= value <= high:
                return Attempt.refuse(
                    "utter_invalid_down_payment_range",
                    product=pick(product.name, ctx.language),
                    min_percent=product.dp_min_percent,
                    max_percent=product.dp_max_percent,
                    min=format_money(low, ctx.language),
                    max=format_money(high, ctx.language),
                )
        return Attempt.ok(**{DOWN_PAYMENT: str(value)})

    @staticmethod
    def _tenor_list(product: FinancingProduct | None, language: str) -> str:
        if product is None:
            return "-"
        return ", ".join(texts.months(m, language) for m in product.tenors_months)

    def extra(
        self, requested: str, turn: Turn, state: Mapping[str, Any], ctx: Context
    ) -> dict[str, Any]:
        if requested == NAME:
            return extra_contact(turn, state, CONTACT)
        return {}

    def noted(
        self, before: Mapping[str, Any], after: Mapping[str, Any], requested: str, ctx: Context
    ) -> str | None:
        """Price and DP from one message: say both back before the next question."""
        if requested not in (AMOUNT, DOWN_PAYMENT, PRODUCT, CONDITION):
            return None
        new_amount = before.get(AMOUNT) is None and after.get(AMOUNT) is not None
        new_down = before.get(DOWN_PAYMENT) is None and after.get(DOWN_PAYMENT) is not None
        if not (new_amount and new_down) or _decimal(after.get(DOWN_PAYMENT)) == 0:
            return None
        lang = ctx.language
        price = texts.money(_decimal(after.get(AMOUNT)), lang)
        down = texts.money(_decimal(after.get(DOWN_PAYMENT)), lang)
        return f"harga {price}, DP {down}" if lang == "id" else f"price {price}, DP {down}"

    def settle(self, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Answers the product makes obvious: its only condition, no DP where it takes none."""
        product = product_of(state, ctx)
        updates: dict[str, Any] = {}
        if product is None:
            return updates
        if state.get(CONDITION) is None and len(product.conditions) == 1:
            updates[CONDITION] = product.conditions[0]
        if state.get(CONDITION) is not None and state.get(CONDITION) not in product.conditions:
            updates[CONDITION] = (
                None  # e.g. a "new" heard before the product turned out multipurpose
            )
        if state.get(DOWN_PAYMENT) is None and product.dp_max_percent == 0:
            updates[DOWN_PAYMENT] = "0"
        if state.get(TENOR) is not None and int(state[TENOR]) not in product.tenors_months:
            updates[TENOR] = None
        return updates


FLOW = FinancingFlow()


def contact_time_text(value: str | None, language: str) -> str | None:
    if value is None:
        return None
    return (
        texts.label(texts.CONTACT_TIMES, value, language) if value in texts.CONTACT_TIMES else value
    )


def product_buttons(ctx: Context) -> tuple[Button, ...]:
    return tuple(
        Button(pick(p.name, ctx.language), choice_payload(p.id))
        for p in ctx.profile.financing_products
    )


def ask_tenor(state: Mapping[str, Any], ctx: Context) -> Reply:
    product = product_of(state, ctx)
    tenors = product.tenors_months if product else (12, 24, 36)
    return Reply(
        "utter_ask_fin_tenor",
        buttons=tuple(
            Button(texts.months(m, ctx.language), choice_payload(str(m))) for m in tenors
        ),
    )


def ask_down_payment(state: Mapping[str, Any], ctx: Context) -> Reply:
    product = product_of(state, ctx)
    amount = _decimal(state.get(AMOUNT))
    if product is None or amount is None:
        return Reply("utter_ask_fin_down_payment_plain")
    low = (amount * product.dp_min_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    high = (amount * product.dp_max_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Reply(
        "utter_ask_fin_down_payment",
        {
            "min_percent": product.dp_min_percent,
            "max_percent": product.dp_max_percent,
            "min": format_money(low, ctx.language),
            "max": format_money(high, ctx.language),
        },
    )


def _money_rows(
    state: Mapping[str, Any], product: FinancingProduct | None, lang: str
) -> list[tuple[str, str | None]]:
    """Price, DP and what is actually financed (price − DP); just the amount without a DP."""
    amount = _decimal(state.get(AMOUNT))
    down = _decimal(state.get(DOWN_PAYMENT)) or Decimal(0)
    takes_dp = product is None or product.dp_max_percent > 0
    if amount is None or not takes_dp:
        return [("amount", texts.money(amount, lang))]
    return [
        ("price", texts.money(amount, lang)),
        ("down_payment", texts.money(down, lang)),
        ("financed", texts.money(amount - down, lang)),
    ]


def summary(state: Mapping[str, Any], ctx: Context) -> str:
    lang = ctx.language
    product = product_of(state, ctx)
    tenor = state.get(TENOR)
    rows: list[tuple[str, str | None]] = [
        ("product", pick(product.name, lang) if product else state.get(PRODUCT)),
        ("condition", texts.label(texts.CONDITIONS, state.get(CONDITION), lang)),
        *_money_rows(state, product, lang),
        ("tenor", texts.months(int(tenor), lang) if tenor is not None else None),
        ("city", state.get(CITY)),
        *contact_rows(state, CONTACT),
        ("contact_time", contact_time_text(state.get(CONTACT_TIME), lang)),
    ]
    return texts.summary_text(rows, lang)


def ask_confirmation(state: Mapping[str, Any], ctx: Context) -> Reply:
    return Reply("utter_ask_fin_confirm", {"summary": summary(state, ctx)})


def build_input(state: Mapping[str, Any]) -> FinancingRequestInput:
    tenor = state.get(TENOR)
    return FinancingRequestInput(
        product_type=str(state[PRODUCT]),
        vehicle_condition=state.get(CONDITION),
        amount=Decimal(str(state[AMOUNT])),
        down_payment=_decimal(state.get(DOWN_PAYMENT)),
        tenor_months=int(tenor) if tenor is not None else None,
        city=state.get(CITY),
        name=str(state[NAME]),
        phone=str(state[PHONE]),
        # A chosen slot is stored in Indonesian (the branch staff who call back read it);
        # a time the customer typed is stored verbatim.
        preferred_contact_time=contact_time_text(state.get(CONTACT_TIME), "id"),
        consent=state.get(CONSENT) is True,
    )


def saved_reply(reference: str, state: Mapping[str, Any], ctx: Context) -> Reply:
    return Reply(
        "utter_financing_saved",
        {
            "reference": reference,
            "contact_time": contact_time_text(state.get(CONTACT_TIME), ctx.language) or "-",
            "approval_working_days": ctx.profile.raw["financing"].get("approval_working_days", "-"),
        },
    )
