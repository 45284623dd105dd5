"""Signed desk session tokens and session-bound CSRF tokens.

A session is a signed, expiring token in an HttpOnly cookie rather than a row in memory,
so any Rasa replica sharing ``DESK_SECRET_KEY`` accepts it (two replicas behind a load
balancer). The agent row is still checked on every request, so a disabled agent is out at
once. The CSRF token is an HMAC of the session's random nonce: it cannot be derived without
the secret, and a token from one session is useless in another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

SESSION_LIFETIME_S = 12 * 3600  # one long shift


@dataclass(frozen=True)
class DeskSession:
    agent_id: int
    nonce: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, purpose: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{purpose}|{body}".encode(), hashlib.sha256).digest())


def issue_session(
    secret: str, agent_id: int, now: float | None = None, lifetime: int = SESSION_LIFETIME_S
) -> str:
    payload = {
        "a": agent_id,
        "n": secrets.token_urlsafe(16),
        "e": int((now or time.time()) + lifetime),
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_sign(secret, 'session', body)}"


def read_session(secret: str, token: str | None, now: float | None = None) -> DeskSession | None:
    """The session in ``token`` if the signature is valid and it has not expired."""
    if not token or token.count(".") != 1:
        return None
    body, signature = token.split(".")
    if not hmac.compare_digest(signature, _sign(secret, "session", body)):
        return None
    try:
        payload = json.loads(_unb64(body))
        session = DeskSession(int(payload["a"]), str(payload["n"]), int(payload["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires_at <= (now or time.time()):
        return None
    return session


def csrf_token(secret: str, session: DeskSession) -> str:
    return _sign(secret, "csrf", session.nonce)


def csrf_valid(secret: str, session: DeskSession, supplied: str | None) -> bool:
    return bool(supplied) and hmac.compare_digest(str(supplied), csrf_token(secret, session))


def login_csrf_valid(cookie_value: str | None, supplied: str | None) -> bool:
    """Double-submit check for the login form, which has no session yet."""
    return (
        bool(cookie_value)
        and bool(supplied)
        and hmac.compare_digest(str(cookie_value), str(supplied))
    )
