"""Two-step fallback counting from tracker events."""

from __future__ import annotations

from typing import Any

from bot.fallback import ASK_REPHRASE, OFFER_HUMAN, consecutive_fallbacks, fallback_response


def user(intent: str) -> dict[str, Any]:
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent}}}


def bot() -> list[dict[str, Any]]:
    return [
        {"event": "action", "name": "action_two_step_fallback"},
        {"event": "bot", "text": "?"},
        {"event": "action", "name": "action_listen"},
    ]


def test_first_fallback_asks_to_rephrase() -> None:
    events = [user("greet"), *bot(), user("nlu_fallback")]
    assert consecutive_fallbacks(events) == 1
    assert fallback_response(events) == ASK_REPHRASE


def test_second_in_a_row_offers_a_human() -> None:
    events = [user("nlu_fallback"), *bot(), user("nlu_fallback")]
    assert consecutive_fallbacks(events) == 2
    assert fallback_response(events) == OFFER_HUMAN


def test_an_understood_message_resets_the_count() -> None:
    events = [user("nlu_fallback"), *bot(), user("faq"), *bot(), user("nlu_fallback")]
    assert fallback_response(events) == ASK_REPHRASE


def test_a_new_session_resets_the_count() -> None:
    events = [user("nlu_fallback"), *bot(), {"event": "session_started"}, user("nlu_fallback")]
    assert fallback_response(events) == ASK_REPHRASE
