"""FAQ answers and the two-step fallback through the trained model and the real action server."""

from __future__ import annotations

import asyncio

import pytest

from bot.nlp.language import detect_language
from bot.profile import get_profile

pytestmark = pytest.mark.model


def say(agent, sender: str, text: str) -> list[str]:
    replies = asyncio.run(agent.handle_text(text, sender_id=sender))
    return [r.get("text") or "" for r in replies or []]


@pytest.mark.parametrize(
    ("question", "language", "fact"),
    [
        (
            "jam buka kantornya kapan ya kak?",
            "id",
            lambda p: p.template_values("id")["office_hours"],
        ),
        (
            "what time does your office open?",
            "en",
            lambda p: p.template_values("en")["office_hours"],
        ),
        ("alamat kantor pusat kalian dimana?", "id", lambda p: p.branches[0].address),
        ("where are your branches?", "en", lambda p: p.branches[0].address),
        (
            "berkas apa aja yg harus disiapin buat kredit mobil?",
            "id",
            lambda p: p.financing_documents("individual", "id")[0],
        ),
        (
            "what documents are required for a car loan?",
            "en",
            lambda p: p.financing_documents("individual", "en")[0],
        ),
        (
            "berapa hari penawaran kalibrasi dikirim?",
            "id",
            lambda p: f"{p.quotation_working_days} hari kerja",
        ),
        (
            "how many days until I receive a quotation?",
            "en",
            lambda p: f"{p.quotation_working_days} working days",
        ),
    ],
)
def test_faq_answer_in_the_customers_language_with_profile_facts(
    core_agent, sender, question, language, fact
) -> None:
    replies = say(core_agent, sender, question)
    text = "\n".join(replies)
    assert fact(get_profile()) in text, replies
    assert detect_language(text) == language, replies
    assert "{" not in text, replies


def test_language_sticks_for_undecided_messages(core_agent, sender) -> None:
    say(core_agent, sender, "what are your opening hours?")
    tracker = asyncio.run(core_agent.tracker_store.retrieve(sender))
    assert tracker.get_slot("language") == "en"
    say(core_agent, sender, "ok")
    tracker = asyncio.run(core_agent.tracker_store.retrieve(sender))
    assert tracker.get_slot("language") == "en"


def test_two_step_fallback_then_human_offer(core_agent, sender) -> None:
    # Typed intents make the classifier's verdict deterministic; the dialogue is what is tested.
    first = say(core_agent, sender, "/nlu_fallback")
    second = say(core_agent, sender, "/nlu_fallback")
    assert any("belum paham" in r for r in first), first
    assert any("petugas" in r for r in second), second
    tracker = asyncio.run(core_agent.tracker_store.retrieve(sender))
    buttons = tracker.latest_bot_utterance.data.get("buttons") or []
    assert {"/request_human", "/deny"} <= {b["payload"] for b in buttons}


def test_a_turn_no_rule_covers_gets_a_polite_answer_with_the_menu(core_agent, sender) -> None:
    say(core_agent, sender, "/greet")
    replies = say(core_agent, sender, "/affirm")  # a "yes" when nothing was asked
    assert any("belum bisa menanggapi" in r for r in replies), replies
    tracker = asyncio.run(core_agent.tracker_store.retrieve(sender))
    buttons = tracker.latest_bot_utterance.data.get("buttons") or []
    assert "/request_calibration" in {b["payload"] for b in buttons}


def test_an_faq_answer_offers_a_human_when_it_did_not_help(core_agent, sender) -> None:
    replies = say(core_agent, sender, "jam buka kantornya kapan ya kak?")
    assert any("membantu" in r for r in replies), replies
    tracker = asyncio.run(core_agent.tracker_store.retrieve(sender))
    payloads = {b["payload"] for b in tracker.latest_bot_utterance.data.get("buttons") or []}
    assert {"/thank", "/not_helpful"} <= payloads
    say(core_agent, sender, "/not_helpful")
    tracker = asyncio.run(core_agent.tracker_store.retrieve(sender))
    actions = [e.action_name for e in tracker.events if e.type_name == "action"]
    assert "action_handoff" in actions[-3:], actions[-5:]
