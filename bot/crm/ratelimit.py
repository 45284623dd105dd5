"""Fixed-window rate limits kept in the database, so every replica counts the same hits.

Used for desk logins (per username and per client address). A fixed window lets through
at most 2 x limit around a window edge, which is fine for slowing down password guessing.
"""

from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.counters import upsert_increment
from bot.crm.db import run_in_transaction
from bot.crm.models import RateLimitHit

MAX_KEY_LENGTH = 200


def storage_key(key: str) -> str:
    """Keys may embed user input (a typed username); long ones are stored as a digest."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def hit(
    key: str,
    limit: int,
    window_seconds: int,
    *,
    now: float | None = None,
    url: str | None = None,
) -> bool:
    """Count one attempt for ``key``; True while the window's count is within ``limit``."""
    if limit < 1 or window_seconds < 1:
        raise ValueError("limit and window_seconds must be positive")
    key = storage_key(key)
    current = time.time() if now is None else now
    window_start = int(current // window_seconds) * window_seconds

    def work(session: Session) -> int:
        count = upsert_increment(
            session, "rate_limits", {"key": key, "window_start": window_start}, "count"
        )
        # Old windows of this key are never read again: keep the table small.
        session.execute(
            sa.delete(RateLimitHit).where(
                RateLimitHit.key == key, RateLimitHit.window_start < window_start
            )
        )
        return count

    return run_in_transaction(work, url) <= limit


def reset(key: str, *, url: str | None = None) -> None:
    """Forget a key's hits (e.g. after a successful login)."""
    key = storage_key(key)
    run_in_transaction(
        lambda s: s.execute(sa.delete(RateLimitHit).where(RateLimitHit.key == key)), url
    )
