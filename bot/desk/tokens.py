"""Session-bound CSRF tokens for the desk.

The session itself is a random cookie value looked up in the database
(``bot.crm.desk_sessions``), so it can be ended server-side. The CSRF token is an HMAC of
the session's id with ``DESK_SECRET_KEY``: every replica sharing the key computes the same
token, it cannot be derived without the key, and a token from one session is useless in
another (or after that session was ended and a new one started).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SESSION_LIFETIME_S = 12 * 3600  # one long shift; logout or an account change ends it sooner


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(secret: str, purpose: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{purpose}|{body}".encode(), hashlib.sha256).digest())


def csrf_token(secret: str, session_id: str) -> str:
    return _sign(secret, "csrf", session_id)


def csrf_valid(secret: str, session_id: str, supplied: str | None) -> bool:
    return bool(supplied) and hmac.compare_digest(str(supplied), csrf_token(secret, session_id))


def login_csrf_valid(cookie_value: str | None, supplied: str | None) -> bool:
    """Double-submit check for the login form, which has no session yet."""
    return (
        bool(cookie_value)
        and bool(supplied)
        and hmac.compare_digest(str(cookie_value), str(supplied))
    )
