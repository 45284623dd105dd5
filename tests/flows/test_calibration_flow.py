"""Calibration request form, turn by turn, as the customer experiences it."""

from __future__ import annotations

from datetime import date

from bot.flows import calibration as cal
from bot.flows.base import Context
from tests.flows.helpers import Conversation, ent, start

FIRST = "mau kalibrasi 12 pressure gauge di pabrik Cikarang"
FIRST_ENTITIES = [
    ent("service_type", "kalibrasi", "kalibrasi", FIRST),
    ent("quantity", "12", "12", FIRST),
    ent("instrument_type", "pressure_gauge", "pressure gauge", FIRST),
    ent("service_location", "onsite", "di pabrik", FIRST),
    ent("city", "Cikarang", "Cikarang", FIRST),
]


def _through_instruments(ctx: Context) -> Conversation:
    conversation, _ = start(cal.FLOW, ctx, FIRST, "request_calibration", FIRST_ENTITIES)
    conversation.click("analog")
    conversation.say("tidak", "deny")
    return conversation


def test_first_message_prefills_type_quantity_and_location(ctx: Context) -> None:
    conversation, result = start(cal.FLOW, ctx, FIRST, "request_calibration", FIRST_ENTITIES)
    assert not result.rejected
    state = conversation.state
    assert state[cal.SERVICE_TYPE] == "kalibrasi"
    assert state[cal.INSTRUMENT_TYPE] == "pressure_gauge"
    assert state[cal.QUANTITY] == 12
    assert state[cal.LOCATION] == "onsite"
    assert state[cal.SITE_CITY] == "Cikarang"
    # Only the missing specification is asked next, not type, quantity or location again.
    assert conversation.asked == cal.INSTRUMENT_SPEC


def test_a_second_instrument_line_after_yes(ctx: Context) -> None:
    conversation, _ = start(cal.FLOW, ctx, FIRST, "request_calibration", FIRST_ENTITIES)
    conversation.say("analog", entities=[ent("instrument_spec", "analog")])
    assert conversation.asked == cal.MORE
    conversation.say("ya", "affirm")
    assert conversation.asked == cal.INSTRUMENT_TYPE
    conversation.say("timbangan analitik")  # no entity: the customer's words are kept
    assert conversation.asked == cal.INSTRUMENT_SPEC
    conversation.click("digital")
    assert conversation.asked == cal.QUANTITY
    conversation.say("dua")
    assert conversation.asked == cal.MORE
    conversation.say("tidak", "deny")
    assert conversation.state[cal.INSTRUMENTS] == [
        {"type": "pressure_gauge", "spec": "analog", "quantity": 12},
        {"type": "timbangan analitik", "spec": "digital", "quantity": 2},
    ]
    assert conversation.asked == cal.SITE_ADDRESS  # on-site: the address comes next


def test_naming_the_next_instrument_counts_as_yes(ctx: Context) -> None:
    conversation, _ = start(cal.FLOW, ctx, FIRST, "request_calibration", FIRST_ENTITIES)
    conversation.click("analog")
    text = "5 termometer digital"
    conversation.say(
        text,
        entities=[
            ent("quantity", "5", "5", text),
            ent("instrument_type", "thermometer", "termometer", text),
            ent("instrument_spec", "digital", "digital", text),
        ],
    )
    assert [line["type"] for line in conversation.state[cal.INSTRUMENTS]] == [
        "pressure_gauge",
        "thermometer",
    ]
    assert conversation.asked == cal.MORE


def test_two_instruments_in_the_first_message_are_two_lines(ctx: Context) -> None:
    text = "kalibrasi 12 pressure gauge analog dan 5 termometer"
    conversation, _ = start(
        cal.FLOW,
        ctx,
        text,
        "request_calibration",
        [
            ent("service_type", "kalibrasi", "kalibrasi", text),
            ent("quantity", "12", "12", text),
            ent("instrument_type", "pressure_gauge", "pressure gauge", text),
            ent("instrument_spec", "analog", "analog", text),
            ent("quantity", "5", "5", text),
            ent("instrument_type", "thermometer", "termometer", text),
        ],
    )
    assert conversation.state[cal.INSTRUMENTS] == [
        {"type": "pressure_gauge", "spec": "analog", "quantity": 12}
    ]
    assert conversation.state[cal.INSTRUMENT_TYPE] == "thermometer"
    assert conversation.asked == cal.INSTRUMENT_SPEC  # only the thermometer's spec is missing
    conversation.click("unknown")
    assert conversation.state[cal.INSTRUMENTS][-1] == {
        "type": "thermometer",
        "spec": "unknown",
        "quantity": 5,
    }


def test_lab_service_does_not_ask_for_a_site_address(ctx: Context) -> None:
    conversation, _ = start(
        cal.FLOW,
        ctx,
        "mau tera ulang timbangan",
        "request_calibration",
        [ent("service_type", "tera_ulang"), ent("instrument_type", "scale")],
    )
    conversation.click("digital")
    conversation.say("3")
    conversation.say("tidak", "deny")
    assert conversation.asked == cal.LOCATION
    conversation.click("lab")
    assert conversation.asked == cal.PREFERRED_DATE


def test_invalid_answers_are_asked_again_with_the_reason_and_three_offer_a_human(
    ctx: Context,
) -> None:
    conversation, _ = start(
        cal.FLOW,
        ctx,
        "mau kalibrasi pressure gauge",
        "request_calibration",
        [ent("instrument_type", "pressure_gauge"), ent("service_type", "kalibrasi")],
    )
    conversation.click("analog")
    assert conversation.asked == cal.QUANTITY
    conversation.say("banyak sekali")
    assert conversation.responses == ["utter_invalid_quantity"]
    assert conversation.asked == cal.QUANTITY
    conversation.say("-4")
    assert conversation.responses == ["utter_invalid_quantity"]
    conversation.say("0")
    assert conversation.responses == ["utter_invalid_quantity", "utter_offer_human_after_failures"]
    assert conversation.state["handoff_reason"] == "failed_validation"
    conversation.say("12")
    assert conversation.responses == []
    assert conversation.state["handoff_reason"] is None
    assert conversation.asked == cal.MORE


def test_failures_on_different_questions_are_not_in_a_row(ctx: Context) -> None:
    conversation = _through_instruments(ctx)
    conversation.say("x")  # address too short
    conversation.say("x")
    conversation.say("Jl. Industri Raya 5, Cikarang")
    conversation.say("kemarin dulu")
    assert "utter_offer_human_after_failures" not in conversation.responses


def test_faq_question_mid_form_is_rejected_so_the_rules_answer_it(ctx: Context) -> None:
    conversation = _through_instruments(ctx)
    conversation.say("Jl. Industri Raya 5, Cikarang")
    asked = conversation.asked
    assert asked == cal.PREFERRED_DATE
    result = conversation.say("berapa lama proses kalibrasinya?", "faq")
    assert result.rejected and result.slots == {}
    # Rasa runs the form again after the answer: nothing is read from the FAQ message.
    result = conversation.say("berapa lama proses kalibrasinya?", "faq", interrupted=True)
    assert not result.rejected and conversation.asked == asked and conversation.responses == []


def test_a_date_that_reads_as_small_talk_is_still_an_answer(ctx: Context) -> None:
    conversation = _through_instruments(ctx)
    conversation.say("Jl. Industri Raya 5, Cikarang")
    result = conversation.say("besok ya", "thank")  # NLU guessed wrong, the text is a date
    assert not result.rejected
    assert conversation.state[cal.PREFERRED_DATE] == "2026-11-26"


def test_cancel_human_and_other_requests_are_not_answers(ctx: Context) -> None:
    conversation = _through_instruments(ctx)
    assert conversation.say("batal saja", "cancel").rejected
    assert conversation.say("sambungkan ke agen saja", "request_human").rejected
    assert conversation.say("saya mau ajukan kredit mobil", "request_financing").rejected
    assert conversation.say("mau cek status pengajuan saya", "check_status").rejected
    # An address is free text: a less certain guess of another request does not interrupt it.
    assert not conversation.say(
        "Kawasan komplain industri blok C", "file_complaint", confidence=0.6
    ).rejected


def test_free_text_is_kept_verbatim(ctx: Context) -> None:
    conversation = _through_instruments(ctx)
    conversation.say("Jl. <b>Industri</b> 5'; DROP TABLE x;--")
    assert conversation.state[cal.SITE_ADDRESS] == "Jl. <b>Industri</b> 5'; DROP TABLE x;--"


def _complete(ctx: Context) -> Conversation:
    conversation = _through_instruments(ctx)
    conversation.say("Jl. Industri Raya No. 5, Cikarang Utara")
    conversation.say("05/12")
    conversation.say("PT Maju Jaya")
    text = "nama saya Budi Santoso, 0812-3456-7890"
    conversation.say(text, entities=[ent("phone", "+6281234567890", "0812-3456-7890", text)])
    assert conversation.asked == cal.EMAIL  # the phone typed with the name was taken too
    conversation.say("budi@majujaya.co.id")
    return conversation


def test_summary_then_confirmation(ctx: Context) -> None:
    conversation = _complete(ctx)
    assert conversation.asked == cal.CONFIRM
    summary = cal.summary(conversation.state, ctx)
    for expected in (
        "Kalibrasi",
        "12 × pressure gauge / manometer (analog)",
        "Jl. Industri Raya No. 5",
        "Sabtu, 5 Desember 2026",
        "PT Maju Jaya",
        "Budi Santoso",
        "+6281234567890",
        "budi@majujaya.co.id",
    ):
        assert expected in summary
    conversation.say("ya", "affirm")
    assert conversation.state[cal.CONFIRM] is True and conversation.asked is None
    data = cal.build_input(conversation.state)
    assert data.company_name == "PT Maju Jaya" and data.contact_name == "Budi Santoso"
    assert data.phone == "+6281234567890" and data.email == "budi@majujaya.co.id"
    assert data.service_type == "kalibrasi" and data.service_location == "onsite"
    assert data.site_address == "Jl. Industri Raya No. 5, Cikarang Utara"
    assert data.preferred_date == date(2026, 12, 5)
    assert [(i.instrument_type, i.spec, i.quantity) for i in data.items] == [
        ("pressure_gauge", "analog", 12)
    ]


def test_no_at_the_summary_lets_the_customer_change_one_field(ctx: Context) -> None:
    conversation = _complete(ctx)
    conversation.say("tidak", "deny")
    assert conversation.asked == "edit_field"
    conversation.say("email")  # typed instead of the button
    assert conversation.asked == cal.EMAIL and conversation.state[cal.EMAIL] is None
    conversation.say("budi.s@majujaya.co.id")
    assert conversation.asked == cal.CONFIRM
    assert conversation.state[cal.NAME] == "Budi Santoso"  # the rest is untouched


def test_changing_the_instruments_starts_the_list_again(ctx: Context) -> None:
    conversation = _complete(ctx)
    conversation.say("tidak", "deny")
    conversation.click("instruments")
    assert conversation.state[cal.INSTRUMENTS] is None
    assert conversation.asked == cal.INSTRUMENT_TYPE


def test_known_customer_details_are_prefilled(ctx: Context) -> None:
    ctx.known_contact = {"name": "Siti", "phone": "+6281111111111", "company": "PT Lama"}
    conversation, _ = start(
        cal.FLOW, ctx, "mau kalibrasi", "request_calibration", [ent("service_type", "kalibrasi")]
    )
    assert (
        conversation.state[cal.NAME] == "Siti" and conversation.state[cal.PHONE] == "+6281111111111"
    )
    assert conversation.state.get(cal.EMAIL) is None


def test_english_messages_use_english_values(ctx_en: Context) -> None:
    conversation = _through_instruments(ctx_en)
    conversation.say("Plant 3, Jl. Industri 5, Cikarang")
    conversation.say("20/11/2026")
    assert conversation.reply_values("utter_invalid_date_past") == {
        "date": "Friday, 20 November 2026"
    }
    conversation.say("next Monday")
    assert conversation.state[cal.PREFERRED_DATE] == "2026-11-30"
    assert "On site, at your premises" in cal.summary(conversation.state, ctx_en)


def test_saved_reply_gives_reference_and_quotation_deadline(ctx: Context) -> None:
    conversation = _complete(ctx)
    reply = cal.saved_reply("KAL-2026-000001", conversation.state, ctx)
    assert reply.response == "utter_calibration_saved"
    # 2 working days after Wednesday 25 November 2026.
    assert reply.values["quotation_date"] == "Jumat, 27 November 2026"
    assert reply.values["quotation_working_days"] == ctx.profile.quotation_working_days
    assert reply.values["reference"] == "KAL-2026-000001"


def test_confident_small_talk_is_not_taken_as_a_name(ctx: Context) -> None:
    conversation = _through_instruments(ctx)
    conversation.say("Jl. Industri Raya 5, Cikarang")
    conversation.say("besok")
    conversation.say("PT Maju Jaya")
    assert conversation.asked == cal.NAME
    assert conversation.say("halo kak", "greet", confidence=0.97).rejected
    assert not conversation.say("Budi Santoso", "greet", confidence=0.5).rejected
    assert conversation.state[cal.NAME] == "Budi Santoso"


def test_a_confident_short_question_interrupts_even_a_free_text_answer(ctx: Context) -> None:
    conversation = _through_instruments(ctx)
    assert conversation.asked == cal.SITE_ADDRESS
    assert conversation.say("jam buka kantornya kapan ya?", "faq", confidence=0.97).rejected
    # An address that NLU happens to read as a question is still an address.
    assert not conversation.say(
        "Jl. Industri Raya 5, Cikarang, dekat pintu tol?", "faq", confidence=0.6
    ).rejected
    assert conversation.state[cal.SITE_ADDRESS] == "Jl. Industri Raya 5, Cikarang, dekat pintu tol?"
    conversation.state[cal.SITE_ADDRESS] = None
    conversation.state["requested_slot"] = cal.SITE_ADDRESS
    # Not just a question: "...? <more>" is an answer even when NLU is sure it is a FAQ.
    assert not conversation.say(
        "Pabrik kami? Jl. Industri 5, Cikarang", "faq", confidence=0.97
    ).rejected
    conversation.say("besok")
    assert conversation.asked == cal.COMPANY
    assert conversation.say("jam buka kantornya kapan ya?", "faq", confidence=0.97).rejected
