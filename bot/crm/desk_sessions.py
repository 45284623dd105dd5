"""Agent-desk sessions as database rows, so ending one takes effect on every replica at once.

A stateless signed cookie cannot be taken back: after logout, a password change or a
disabled account it kept working until it expired (and kept marking the agent online).
Here the cookie holds a random token; the table holds only its SHA-256, with the agent,
expiry and revocation time. Every desk request looks the row up (primary key), so logout
(one session) and password change, disable or role change (all of an agent's sessions, in
``bot.crm.agents``) end access immediately on every Rasa replica.

Presence is refreshed only through :func:`touch`, a conditional UPDATE on a live session:
a revoked or expired cookie can never mark an agent online again, even racing a logout.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.agents import record_of
from bot.crm.db import affected_rows, run_in_transaction, session_scope
from bot.crm.models import Agent, DeskSession
from bot.crm.sqltypes import utcnow
from bot.crm.types import AgentRecord

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128
# Expired and revoked rows are deleted this long after they ended (kept a while for audit).
KEEP_ENDED_FOR = timedelta(days=7)


@dataclass(frozen=True)
class SessionRecord:
    id: str  # SHA-256 (hex) of the cookie value
    agent: AgentRecord
    created_at: datetime
    expires_at: datetime


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(
    agent_id: int,
    lifetime_seconds: int,
    *,
    user_agent: str | None = None,
    address: str | None = None,
    url: str | None = None,
) -> str:
    """Store a new session for ``agent_id``; returns the cookie value (never stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()

    def work(session: Session) -> None:
        session.add(
            DeskSession(
                id=session_id(token),
                agent_id=agent_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(seconds=lifetime_seconds),
                user_agent=(user_agent or "")[:255] or None,
                address=(address or "")[:64] or None,
            )
        )
        # Logins are rare: a good moment to drop rows that ended long ago.
        cutoff = now - KEEP_ENDED_FOR
        session.execute(
            sa.delete(DeskSession).where(
                sa.or_(DeskSession.expires_at < cutoff, DeskSession.revoked_at < cutoff)
            )
        )

    run_in_transaction(work, url)
    return token


def _live(now: datetime) -> list[Any]:
    """WHERE clauses of a session that is neither revoked nor expired."""
    return [DeskSession.revoked_at.is_(None), DeskSession.expires_at > now]


def lookup(token: str | None, *, url: str | None = None) -> SessionRecord | None:
    """The live session for a cookie value, with its still-active agent; else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(DeskSession, Agent)
            .join(Agent, Agent.id == DeskSession.agent_id)
            .where(DeskSession.id == session_id(token), Agent.active.is_(True), *_live(utcnow()))
        ).one_or_none()
        if row is None:
            return None
        desk_session, agent = row
        return SessionRecord(
            id=desk_session.id,
            agent=record_of(agent),
            created_at=desk_session.created_at,
            expires_at=desk_session.expires_at,
        )


def touch(session_id_: str, *, presence: bool = True, url: str | None = None) -> bool:
    """Mark the session (and, with ``presence``, its agent) as seen now, only if still live.

    Returns False for a revoked or expired session or a disabled agent; nothing is written.
    """
    now = utcnow()

    def work(session: Session) -> bool:
        agent_id = session.execute(
            sa.select(DeskSession.agent_id)
            .join(Agent, Agent.id == DeskSession.agent_id)
            .where(DeskSession.id == session_id_, Agent.active.is_(True), *_live(now))
        ).scalar_one_or_none()
        if agent_id is None:
            return False
        touched = affected_rows(
            session,
            sa.update(DeskSession)
            .where(DeskSession.id == session_id_, *_live(now))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False),
        )
        if touched != 1:
            return False
        if presence:
            session.execute(
                sa.update(Agent)
                .where(Agent.id == agent_id, Agent.active.is_(True))
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
        return True

    return run_in_transaction(work, url)


def revoke(session_id_: str, *, url: str | None = None) -> bool:
    """End one session (logout). False if it was already ended."""
    return run_in_transaction(
        lambda s: (
            affected_rows(
                s,
                sa.update(DeskSession)
                .where(DeskSession.id == session_id_, DeskSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
                .execution_options(synchronize_session=False),
            )
            == 1
        ),
        url,
    )


def live_sessions(agent_id: int, *, url: str | None = None) -> int:
    """How many sessions of the agent are still usable (for the CLI's report)."""
    with session_scope(url, readonly=True) as session:
        return int(
            session.execute(
                sa.select(sa.func.count())
                .select_from(DeskSession)
                .where(DeskSession.agent_id == agent_id, *_live(utcnow()))
            ).scalar_one()
        )
