"""FAQ answers: topic from the ResponseSelector, facts from the profile, language from the slot.

Renders every FAQ response through Rasa's own NLG (the code path the Rasa server uses for
a custom action's ``utter_message(response=..., **values)``), in both languages.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot import PROJECT_ROOT
from bot.faq import FAQ_MENU_RESPONSE, build_faq_reply, placeholders, selected_faq_key
from bot.nlp.language import detect_language
from bot.profile import load_profile

PROFILE = load_profile(PROJECT_ROOT / "data" / "business_profile.yml")
SLOTS = {"language": "id", "address_form": "Bapak/Ibu", "company_name": PROFILE.name}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        {},
        None,
        str(PROJECT_ROOT / "domain"),
        [str(PROJECT_ROOT / "data" / "faq_responses.yml")],
    )
    return importer.get_domain().as_dict()


def _message(key: str, confidence: float = 0.9) -> dict[str, Any]:
    return {
        "intent": {"name": "faq"},
        "response_selector": {
            "faq": {"response": {"intent_response_key": key, "confidence": confidence}}
        },
    }


def _render(domain: dict[str, Any], response: str, language: str, values: dict[str, str]) -> str:
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    nlg = TemplatedNaturalLanguageGenerator(domain["responses"])
    message = nlg.generate_from_slots(response, {**SLOTS, "language": language}, "rest", **values)
    assert message is not None
    return message["text"]


def test_at_least_25_topics(domain: dict[str, Any]) -> None:
    topics = [name for name in domain["responses"] if name.startswith("utter_faq/")]
    assert len(topics) >= 25


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_faq_answer_renders_fully_in_the_right_language(
    domain: dict[str, Any], language: str
) -> None:
    for name in (n for n in domain["responses"] if n.startswith("utter_faq/")):
        reply = build_faq_reply(_message(name[len("utter_") :]), domain, language, PROFILE)
        assert reply.response == name
        text = _render(domain, reply.response, language, reply.values)
        assert not re.search(r"{[a-z_]+}", text), f"{name} [{language}] left a placeholder: {text}"
        # The project's own detector must recognise the answer's language.
        assert detect_language(text) == language, f"{name} [{language}] reads wrong: {text}"


def test_answers_carry_profile_facts(domain: dict[str, Any]) -> None:
    hours = _render(domain, *_reply_args(domain, "faq/office_hours", "id"))
    assert PROFILE.template_values("id")["office_hours"] in hours
    hours_en = _render(domain, *_reply_args(domain, "faq/office_hours", "en"))
    assert "Monday–Friday 08:00–17:00 WIB" in hours_en
    quotation = _render(domain, *_reply_args(domain, "faq/quotation_time", "id"))
    assert f"{PROFILE.quotation_working_days} hari kerja" in quotation


def _reply_args(domain: dict[str, Any], key: str, language: str):
    reply = build_faq_reply(_message(key), domain, language, PROFILE)
    return reply.response, language, reply.values


def test_only_used_placeholders_are_passed(domain: dict[str, Any]) -> None:
    reply = build_faq_reply(_message("faq/late_fee"), domain, "id", PROFILE)
    assert set(reply.values) == {"late_fee_policy"}


def test_missing_or_unknown_topic_gets_the_menu(domain: dict[str, Any]) -> None:
    assert (
        build_faq_reply({"intent": {"name": "faq"}}, domain, "id", PROFILE).response
        == FAQ_MENU_RESPONSE
    )
    assert (
        build_faq_reply(_message("faq/no_such_topic"), domain, "id", PROFILE).response
        == FAQ_MENU_RESPONSE
    )
    low = build_faq_reply(
        _message("faq/late_fee", confidence=0.05), domain, "id", PROFILE, min_confidence=0.2
    )
    assert low.response == FAQ_MENU_RESPONSE


def test_selected_key_reads_rasa_parse_data() -> None:
    assert selected_faq_key(_message("faq/addresses")) == "faq/addresses"
    assert selected_faq_key({}) is None
    assert placeholders([{"text": "{a} and {b}", "buttons": [{"title": "{c}"}]}]) == {"a", "b", "c"}


@pytest.mark.parametrize("language", ["id", "en"])
def test_core_responses_render_with_slots_only(domain: dict[str, Any], language: str) -> None:
    core = [
        "utter_greet",
        "utter_goodbye",
        "utter_you_are_welcome",
        "utter_iamabot",
        "utter_out_of_scope",
        "utter_ask_rephrase",
        "utter_offer_human",
        "utter_human_declined",
        "utter_faq_menu",
    ]
    for name in core:
        text = _render(domain, name, language, {})
        assert not re.search(r"{[a-z_]+}", text), f"{name} [{language}]: {text}"
