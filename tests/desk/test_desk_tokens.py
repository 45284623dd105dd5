"""Signed session tokens and session-bound CSRF tokens (bot.desk.tokens)."""

from __future__ import annotations

from bot.desk import tokens

SECRET = "test-secret-one"


def test_a_session_round_trips_and_expires() -> None:
    token = tokens.issue_session(SECRET, 7, now=1000.0, lifetime=60)
    session = tokens.read_session(SECRET, token, now=1030.0)
    assert session is not None and session.agent_id == 7
    assert tokens.read_session(SECRET, token, now=1061.0) is None


def test_a_tampered_or_foreign_token_is_refused() -> None:
    token = tokens.issue_session(SECRET, 7)
    _body, signature = token.split(".")
    forged_body = tokens._b64(b'{"a":1,"n":"x","e":9999999999}')
    assert tokens.read_session(SECRET, f"{forged_body}.{signature}") is None
    assert tokens.read_session("another-secret", token) is None
    assert tokens.read_session(SECRET, "") is None
    assert tokens.read_session(SECRET, "garbage") is None
    assert tokens.read_session(SECRET, "a.b.c") is None


def test_csrf_token_belongs_to_one_session() -> None:
    first = tokens.read_session(SECRET, tokens.issue_session(SECRET, 7))
    second = tokens.read_session(SECRET, tokens.issue_session(SECRET, 7))
    token = tokens.csrf_token(SECRET, first)
    assert tokens.csrf_valid(SECRET, first, token)
    assert not tokens.csrf_valid(SECRET, second, token)
    assert not tokens.csrf_valid(SECRET, first, None)
    assert not tokens.csrf_valid(SECRET, first, token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_login_double_submit_needs_both_values_equal() -> None:
    assert tokens.login_csrf_valid("abc", "abc")
    assert not tokens.login_csrf_valid("abc", "abd")
    assert not tokens.login_csrf_valid(None, "abc")
    assert not tokens.login_csrf_valid("", "")
