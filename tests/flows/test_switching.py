"""Another request in the middle of a form: the form is kept while the bot asks, and resumed."""

from __future__ import annotations

from bot.flows import financing as fin
from bot.flows import switching
from bot.flows.base import Context
from tests.flows.helpers import Conversation
from tests.flows.test_financing_flow import _first


def _at_city(ctx: Context) -> Conversation:
    conversation = _first(ctx)
    conversation.say("36")
    assert conversation.asked == fin.CITY
    return conversation


def test_continue_asks_the_same_question_again_with_nothing_lost(ctx: Context) -> None:
    conversation = _at_city(ctx)
    conversation.state[switching.SWITCH_SLOT] = "complaint_form"  # "Lanjutkan …, atau mulai …?"
    result = conversation.click(switching.RESUME_CHOICE)
    assert not result.rejected
    assert conversation.state[switching.SWITCH_SLOT] is None
    assert conversation.asked == fin.CITY
    assert conversation.state[fin.TENOR] == 36


def test_an_answer_to_the_form_question_instead_is_taken(ctx: Context) -> None:
    conversation = _at_city(ctx)
    conversation.state[switching.SWITCH_SLOT] = "complaint_form"
    conversation.say("Balikpapan")
    assert conversation.state[fin.CITY] == "Balikpapan"
    assert conversation.state[switching.SWITCH_SLOT] is None


def test_asking_for_the_other_request_again_is_left_to_the_switch_action(ctx: Context) -> None:
    conversation = _at_city(ctx)
    conversation.state[switching.SWITCH_SLOT] = "complaint_form"
    assert conversation.say("/file_complaint", "file_complaint", confidence=1.0).rejected


def test_a_paused_form_resumes_where_it_stopped(ctx: Context) -> None:
    conversation = _at_city(ctx)
    state = {
        **conversation.state,
        **switching.pause(conversation.state, fin.FLOW.name),
    }
    # The customer filed a complaint meanwhile, then asks for financing again.
    back = Conversation(fin.FLOW, ctx, state)
    result = back.say("lanjut pengajuan kredit mobil tadi", "request_financing")
    assert not result.rejected
    assert back.responses == ["utter_flow_resumed"]
    assert back.reply_values("utter_flow_resumed") == {"flow": "pengajuan pembiayaan"}
    assert back.asked == fin.CITY
    assert back.state[fin.TENOR] == 36
    assert back.state[switching.PAUSED_SLOT] is None


def test_the_question_names_both_requests_with_a_button_each(ctx_en: Context) -> None:
    reply = switching.switch_question("financing_request_form", "complaint_form", "en")
    assert reply.values == {"current": "the financing application", "target": "the complaint"}
    assert [b.payload for b in reply.buttons] == [
        '/inform{"choice": "resume_flow"}',
        "/file_complaint",
    ]


def test_the_request_that_resumes_a_form_does_not_overwrite_its_answers(ctx: Context) -> None:
    from bot.flows import calibration as cal
    from tests.flows.helpers import ent, start

    first = "mau kalibrasi timbangan"
    entities = [
        ent("service_type", "kalibrasi", "kalibrasi", first),
        ent("instrument_type", "scale", "timbangan", first),
    ]
    conversation, _ = start(cal.FLOW, ctx, first, "request_calibration", entities)
    conversation.click("digital")
    assert conversation.asked == cal.QUANTITY
    state = {**conversation.state, **switching.pause(conversation.state, cal.FLOW.name)}
    back, _ = start(cal.FLOW, ctx, first, "request_calibration", entities, state=state)
    assert back.state[cal.INSTRUMENT_SPEC] == "digital"
    assert back.asked == cal.QUANTITY
