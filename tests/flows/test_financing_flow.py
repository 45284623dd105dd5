"""Financing application form: ranges from the profile, consent before personal data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.flows import financing as fin
from bot.flows.base import Attempt, Context, Turn
from tests.flows.helpers import Conversation, ent, start

FIRST = "mau kredit mobil bekas 150 juta dp 30 juta"


def _first(ctx: Context) -> Conversation:
    conversation, _ = start(
        fin.FLOW,
        ctx,
        FIRST,
        "request_financing",
        [
            ent("product_type", "car", "mobil", FIRST),
            ent("vehicle_condition", "used", "bekas", FIRST),
            ent("amount", "150000000", "150 juta", FIRST),
            ent("amount", "30000000", "30 juta", FIRST),
        ],
    )
    return conversation


def test_first_message_prefills_product_condition_amount_and_down_payment(ctx: Context) -> None:
    conversation = _first(ctx)
    state = conversation.state
    assert (state[fin.PRODUCT], state[fin.CONDITION]) == ("car", "used")
    assert Decimal(state[fin.AMOUNT]) == Decimal("150000000")
    assert Decimal(state[fin.DOWN_PAYMENT]) == Decimal("30000000")  # "dp 30 juta" is not the amount
    assert conversation.asked == fin.TENOR


def test_tenor_in_years_or_months_must_be_offered_by_the_product(ctx: Context) -> None:
    conversation = _first(ctx)
    conversation.say("5 tahun")
    assert conversation.state[fin.TENOR] == 60
    conversation.state[fin.TENOR] = None
    conversation.state["requested_slot"] = fin.TENOR
    conversation.say("7 bulan")
    assert conversation.responses == ["utter_invalid_tenor"]
    assert "12 bulan" in conversation.reply_values("utter_invalid_tenor")["tenors"]
    conversation.click("36")
    assert conversation.state[fin.TENOR] == 36


def test_tenor_buttons_come_from_the_product(ctx: Context) -> None:
    conversation = _first(ctx)
    reply = fin.ask_tenor(conversation.state, ctx)
    assert [b.payload for b in reply.buttons] == [
        f'/inform{{"choice": "{m}"}}' for m in (12, 24, 36, 48, 60)
    ]


def test_down_payment_outside_the_products_range_is_refused_with_the_range(ctx: Context) -> None:
    conversation, _ = start(
        fin.FLOW,
        ctx,
        "kredit mobil baru",
        "request_financing",
        [ent("product_type", "car"), ent("vehicle_condition", "new")],
    )
    conversation.say("200 juta", entities=[ent("amount", "200000000")])
    assert conversation.asked == fin.DOWN_PAYMENT
    conversation.say("10 juta", entities=[ent("amount", "10000000")])
    values = conversation.reply_values("utter_invalid_down_payment_range")
    assert values["min"] == "Rp40.000.000" and values["max"] == "Rp100.000.000"
    conversation.say("25%")
    assert Decimal(conversation.state[fin.DOWN_PAYMENT]) == Decimal("50000000")


def test_down_payment_must_be_less_than_the_amount(ctx: Context) -> None:
    conversation, _ = start(
        fin.FLOW, ctx, "kredit motor", "request_financing", [ent("product_type", "motorcycle")]
    )
    conversation.click("new")
    conversation.say("20jt")
    conversation.say("25jt")
    assert conversation.responses == ["utter_invalid_down_payment_too_large"]


def test_multipurpose_needs_neither_condition_nor_down_payment(ctx: Context) -> None:
    conversation, _ = start(
        fin.FLOW,
        ctx,
        "pinjaman jaminan bpkb",
        "request_financing",
        [ent("product_type", "multipurpose")],
    )
    assert conversation.state[fin.CONDITION] == "used"
    conversation.say("Rp50.000.000")
    assert conversation.state[fin.DOWN_PAYMENT] == "0"
    assert conversation.asked == fin.TENOR


def test_same_amount_whatever_the_notation(ctx: Context) -> None:
    for text in ("150 juta", "Rp150.000.000", "150jt"):
        conversation, _ = start(
            fin.FLOW,
            ctx,
            "kredit mobil baru",
            "request_financing",
            [ent("product_type", "car"), ent("vehicle_condition", "new")],
        )
        conversation.say(text)
        assert Decimal(conversation.state[fin.AMOUNT]) == Decimal("150000000")


def _to_consent(ctx: Context) -> Conversation:
    conversation = _first(ctx)
    conversation.say("3 tahun")
    conversation.say("Surabaya", entities=[ent("city", "Surabaya")])
    assert conversation.asked == fin.CONSENT
    return conversation


def test_no_consent_ends_the_form_before_any_personal_data(ctx: Context) -> None:
    conversation = _to_consent(ctx)
    conversation.say("tidak setuju", "deny")
    assert conversation.state[fin.CONSENT] is False
    assert conversation.asked is None  # the form ends: name and phone are never asked
    assert conversation.state.get(fin.NAME) is None and conversation.state.get(fin.PHONE) is None


def test_consent_then_contact_summary_and_record(ctx: Context) -> None:
    conversation = _to_consent(ctx)
    conversation.say("setuju", "affirm")
    assert conversation.asked == fin.NAME
    conversation.say("Andi Wijaya")
    conversation.say("0813 2222 3333")
    assert conversation.asked == fin.CONTACT_TIME
    conversation.click("late_afternoon")
    assert conversation.asked == fin.CONFIRM
    summary = fin.summary(conversation.state, ctx)
    for expected in (
        "Pembiayaan mobil",
        "Bekas",
        "Rp150.000.000",
        "Rp30.000.000",
        "36 bulan (3 tahun)",
        "Surabaya",
        "Andi Wijaya",
        "+6281322223333",
        "Sore (15.00–18.00)",
    ):
        assert expected in summary
    conversation.say("ya", "affirm")
    data = fin.build_input(conversation.state)
    assert (data.product_type, data.vehicle_condition, data.tenor_months) == ("car", "used", 36)
    assert (data.amount, data.down_payment) == (Decimal("150000000"), Decimal("30000000"))
    assert (data.name, data.phone, data.city, data.consent) == (
        "Andi Wijaya",
        "+6281322223333",
        "Surabaya",
        True,
    )
    assert data.preferred_contact_time == "Sore (15.00–18.00)"


def test_a_typed_contact_time_is_kept_verbatim(ctx: Context) -> None:
    conversation = _to_consent(ctx)
    conversation.say("ya", "affirm")
    conversation.say("Andi")
    conversation.say("081322223333")
    conversation.say("besok jam 10 pagi")
    assert (
        fin.build_input({**conversation.state, fin.CONFIRM: True}).preferred_contact_time
        == "besok jam 10 pagi"
    )


def test_english_summary(ctx_en: Context) -> None:
    conversation = _to_consent(ctx_en)
    summary = fin.summary(conversation.state, ctx_en)
    assert (
        "Car financing" in summary
        and "IDR 150,000,000" in summary
        and "36 months (3 years)" in summary
    )


# -- everyday answers (issue 13): the gazetteer and time-of-day parser recognise them ------


def _read(ctx: Context, slot: str, text: str, intent: str, confidence: float) -> Attempt:
    turn = Turn(text=text, intent=intent, confidence=confidence)
    return fin.FLOW.read(slot, turn, _first(ctx).state, ctx)


@pytest.mark.parametrize(
    ("text", "intent", "value"),
    [
        ("Jakarta", "out_of_scope", "Jakarta"),
        ("I live in Jakarta", "out_of_scope", "Jakarta"),
        ("Jakarta Selatan", "out_of_scope", "Jakarta Selatan"),
        ("DKI Jakarta", "out_of_scope", "Jakarta"),
        ("Bandung", "out_of_scope", "Bandung"),
        ("Balikpapan", "request_calibration", "Balikpapan"),
    ],
)
def test_a_city_answer_is_recognised_whatever_the_intent(
    ctx: Context, text: str, intent: str, value: str
) -> None:
    attempt = _read(ctx, fin.CITY, text, intent, 0.99)
    assert (attempt.updates, attempt.recognised) == ({fin.CITY: value}, True)


@pytest.mark.parametrize(("text", "value"), [("sore hari", "late_afternoon"), ("pagi", "morning")])
def test_a_time_of_day_is_recognised_even_when_read_as_a_greeting(
    ctx: Context, text: str, value: str
) -> None:
    attempt = _read(ctx, fin.CONTACT_TIME, text, "greet", 0.96)
    assert (attempt.updates, attempt.recognised) == ({fin.CONTACT_TIME: value}, True)
