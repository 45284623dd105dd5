"""Slot first, intent second: what the form asks for is read before what NLU guessed.

Each case is a message a customer really sent (issue 13) that NLU classified as something
else: the form must take it as the answer, and only explicit escapes interrupt.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.flows import calibration as cal
from bot.flows import financing as fin
from bot.flows.base import Context
from tests.flows.helpers import Conversation, ent, start
from tests.flows.test_calibration_flow import (
    FIRST,
    FIRST_ENTITIES,
    _complete,
    _through_instruments,
)
from tests.flows.test_financing_flow import _first


def _financing_at_city(ctx: Context) -> Conversation:
    conversation = _first(ctx)
    conversation.say("36")
    assert conversation.asked == fin.CITY
    return conversation


def _calibration_at_company(ctx: Context) -> Conversation:
    conversation = _through_instruments(ctx)
    conversation.say("Jl. Industri Raya 5, Cikarang")
    conversation.say("besok")
    assert conversation.asked == cal.COMPANY
    return conversation


def test_a_city_read_as_another_request_is_the_city(ctx: Context) -> None:
    conversation = _financing_at_city(ctx)
    result = conversation.say("Balikpapan", "request_calibration", confidence=0.82)
    assert not result.rejected
    assert conversation.state[fin.CITY] == "Balikpapan"
    assert conversation.asked == fin.CONSENT


def test_a_time_of_day_read_as_a_greeting_is_the_contact_time(ctx: Context) -> None:
    conversation = _financing_at_city(ctx)
    conversation.say("Balikpapan")
    conversation.say("ya", "affirm")
    conversation.say("Budi Santoso")
    conversation.say("081234567890")
    assert conversation.asked == fin.CONTACT_TIME
    result = conversation.say("sore hari", "greet", confidence=0.96)
    assert not result.rejected
    assert conversation.state[fin.CONTACT_TIME] is not None
    assert conversation.asked == fin.CONFIRM


def test_a_sql_looking_company_name_is_the_company_not_a_status_check(ctx: Context) -> None:
    conversation = _calibration_at_company(ctx)
    name = "Robert'); DELETE FROM customers;--"
    result = conversation.say(name, "check_status", confidence=0.93)
    assert not result.rejected
    assert conversation.state[cal.COMPANY] == name
    assert conversation.asked == cal.NAME


def test_a_name_with_punctuation_read_as_cancel_is_the_name(ctx: Context) -> None:
    conversation = _calibration_at_company(ctx)
    conversation.say("PT Maju Jaya")
    result = conversation.say("O'Neil-Smith, Jr.", "cancel", confidence=0.91)
    assert not result.rejected
    assert conversation.state[cal.NAME] == "O'Neil-Smith, Jr."


def test_explicit_escapes_still_interrupt_a_name(ctx: Context) -> None:
    conversation = _calibration_at_company(ctx)
    assert conversation.say("gak jadi deh", "cancel", confidence=0.9).rejected
    assert conversation.say("bisa bicara dengan agen?", "request_human").rejected
    assert conversation.say("kantornya buka jam berapa?", "faq", confidence=0.95).rejected
    assert conversation.say("halo kak", "greet", confidence=0.97).rejected
    assert conversation.asked == cal.COMPANY


def test_that_is_all_answers_any_other_instrument(ctx: Context) -> None:
    conversation, _ = start(cal.FLOW, ctx, FIRST, "request_calibration", FIRST_ENTITIES)
    conversation.click("analog")
    assert conversation.asked == cal.MORE
    result = conversation.say("udah itu aja", "goodbye", confidence=0.97)
    assert not result.rejected
    assert conversation.state[cal.MORE] is False
    assert conversation.asked != cal.MORE


def test_price_and_down_payment_in_one_english_sentence(ctx_en: Context) -> None:
    first = "I'd like car financing"
    conversation, _ = start(
        fin.FLOW, ctx_en, first, "request_financing", [ent("product_type", "car", "car", first)]
    )
    conversation.click("new")
    assert conversation.asked == fin.AMOUNT
    text = "the car costs 350 juta, I can put 70 juta down"
    conversation.say(
        text,
        entities=[
            ent("amount", "350000000", "350 juta", text),
            ent("amount", "70000000", "70 juta", text),
        ],
    )
    assert Decimal(conversation.state[fin.AMOUNT]) == Decimal("350000000")
    assert Decimal(conversation.state[fin.DOWN_PAYMENT]) == Decimal("70000000")
    assert conversation.asked == fin.TENOR  # the down payment is not asked again
    assert conversation.reply_values("utter_noted") == {
        "noted": "price IDR 350,000,000, DP IDR 70,000,000"
    }


def test_financing_summary_shows_price_down_payment_and_amount_financed(ctx: Context) -> None:
    state = {
        fin.PRODUCT: "car",
        fin.CONDITION: "new",
        fin.AMOUNT: "350000000",
        fin.DOWN_PAYMENT: "70000000",
    }
    summary = fin.summary(state, ctx)
    assert "Harga: Rp350.000.000" in summary
    assert "Uang muka (DP): Rp70.000.000" in summary
    assert "Pokok pembiayaan (harga − DP): Rp280.000.000" in summary


def _after_quote_button(ctx: Context) -> Conversation:
    conversation, _ = start(cal.FLOW, ctx, "/request_calibration", "request_calibration")
    assert conversation.asked == cal.SERVICE_TYPE
    return conversation


def test_instruments_typed_when_the_service_type_is_asked_are_kept(ctx: Context) -> None:
    conversation = _after_quote_button(ctx)
    text = "termometer digital 5 buah"
    result = conversation.say(
        text,
        "request_calibration",
        [
            ent("instrument_type", "thermometer", "termometer", text),
            ent("instrument_spec", "digital", "digital", text),
            ent("quantity", "5", "5", text),
        ],
    )
    assert not result.rejected
    assert conversation.state[cal.INSTRUMENTS] == [
        {"type": "thermometer", "spec": "digital", "quantity": 5}
    ]
    assert conversation.reply_values("utter_noted") == {"noted": "5 termometer digital"}
    assert conversation.asked == cal.SERVICE_TYPE  # still to answer; nothing refused
    conversation.click("kalibrasi")
    assert conversation.asked == cal.MORE


def test_range_and_make_are_kept_with_the_instrument(ctx: Context) -> None:
    conversation = _after_quote_button(ctx)
    conversation.click("kalibrasi")
    text = "12 pressure gauge analog range 0-10 bar merk Wika"
    conversation.say(
        text,
        entities=[
            ent("quantity", "12", "12", text),
            ent("instrument_type", "pressure_gauge", "pressure gauge", text),
            ent("instrument_spec", "analog", "analog", text),
        ],
    )
    assert conversation.state[cal.INSTRUMENTS] == [
        {
            "type": "pressure_gauge",
            "spec": "analog",
            "quantity": 12,
            "details": "range 0-10 bar, merk Wika",
        }
    ]
    assert conversation.asked == cal.MORE
    assert "range 0-10 bar, merk Wika" in conversation.reply_values("utter_noted")["noted"]
    summary = cal.summary(conversation.state, ctx)
    assert "12 × pressure gauge / manometer (analog; range 0-10 bar, merk Wika)" in summary
    stored = cal.build_input(
        {
            **conversation.state,
            cal.LOCATION: "lab",
            "contact_company": "PT Maju",
            "contact_name": "Budi",
            "contact_phone": "+6281234567890",
        }
    )
    assert stored.items[0].spec == "analog, range 0-10 bar, merk Wika"


def test_another_instrument_with_yes_is_said_back(ctx: Context) -> None:
    conversation, _ = start(cal.FLOW, ctx, FIRST, "request_calibration", FIRST_ENTITIES)
    conversation.click("analog")
    assert conversation.asked == cal.MORE
    text = "iya, sama 3 timbangan digital"
    conversation.say(
        text,
        "affirm",
        [
            ent("quantity", "3", "3", text),
            ent("instrument_type", "scale", "timbangan", text),
            ent("instrument_spec", "digital", "digital", text),
        ],
    )
    assert len(conversation.state[cal.INSTRUMENTS]) == 2
    assert conversation.responses == ["utter_noted"]
    assert conversation.reply_values("utter_noted")["noted"].startswith("3 timbangan")
    assert conversation.asked == cal.MORE


def _at_summary(ctx: Context) -> Conversation:
    conversation = _complete(ctx)
    assert conversation.asked == cal.CONFIRM
    assert conversation.state[cal.PREFERRED_DATE] == "2026-12-05"
    return conversation


@pytest.mark.parametrize(
    "text",
    [
        "ganti tanggalnya jadi 8 Desember",
        "tanggalnya tanggal 8 ya",
        "change the date to 8 December",
    ],
)
def test_a_typed_date_correction_on_the_summary(ctx: Context, text: str) -> None:
    conversation = _at_summary(ctx)
    result = conversation.say(text, "inform")
    assert not result.rejected
    assert conversation.state[cal.PREFERRED_DATE] == "2026-12-08"
    assert conversation.asked == cal.CONFIRM  # the summary is shown again
    assert conversation.state[cal.CONFIRM] is None


@pytest.mark.parametrize(
    "text",
    ["emailnya salah, yang benar budi@x.co.id", "ganti emailnya jadi budi@x.co.id"],
)
def test_a_typed_email_correction_on_the_summary(ctx: Context, text: str) -> None:
    conversation = _at_summary(ctx)
    conversation.say(text, "deny")
    assert conversation.state[cal.EMAIL] == "budi@x.co.id"
    assert conversation.asked == cal.CONFIRM


def test_a_correction_is_validated_like_an_answer(ctx: Context) -> None:
    conversation = _at_summary(ctx)
    conversation.say("ganti tanggalnya jadi kemarin")  # in the past
    assert conversation.state[cal.PREFERRED_DATE] == "2026-12-05"
    assert conversation.responses and conversation.responses[0].startswith("utter_invalid")
    assert conversation.asked == cal.CONFIRM


def test_a_correction_in_the_middle_of_the_form(ctx: Context) -> None:
    conversation = _calibration_at_company(ctx)
    conversation.say("ganti tanggalnya jadi 8 Desember")
    assert conversation.state[cal.PREFERRED_DATE] == "2026-12-08"
    assert conversation.asked == cal.COMPANY
    assert conversation.state.get(cal.COMPANY) is None
