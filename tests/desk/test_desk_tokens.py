"""Session-bound CSRF tokens (bot.desk.tokens)."""

from __future__ import annotations

from bot.crm import desk_sessions
from bot.desk import tokens

SECRET = "test-secret-one"


def test_csrf_token_belongs_to_one_session() -> None:
    first = desk_sessions.session_id("cookie-one")
    second = desk_sessions.session_id("cookie-two")
    token = tokens.csrf_token(SECRET, first)
    assert tokens.csrf_valid(SECRET, first, token)
    assert not tokens.csrf_valid(SECRET, second, token)
    assert not tokens.csrf_valid("another-secret", first, token)
    assert not tokens.csrf_valid(SECRET, first, None)
    assert not tokens.csrf_valid(SECRET, first, token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_the_session_id_is_a_digest_not_the_cookie() -> None:
    cookie = "a-random-cookie-value"
    stored = desk_sessions.session_id(cookie)
    assert cookie not in stored and len(stored) == 64
    assert stored == desk_sessions.session_id(cookie)


def test_login_double_submit_needs_both_values_equal() -> None:
    assert tokens.login_csrf_valid("abc", "abc")
    assert not tokens.login_csrf_valid("abc", "abd")
    assert not tokens.login_csrf_valid(None, "abc")
    assert not tokens.login_csrf_valid("", "")
