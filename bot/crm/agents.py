"""Agent-desk accounts with argon2 password hashes.

Hash verification (tens of milliseconds by design) runs outside any database transaction,
so a login never holds SQLite's write lock while hashing.
"""

from __future__ import annotations

import re
import secrets
import threading
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.crm.db import affected_rows, run_in_transaction, session_scope
from bot.crm.models import AGENT_ROLES, Agent
from bot.crm.sqltypes import utcnow
from bot.crm.types import AgentRecord, from_row

MIN_PASSWORD_LENGTH = 8
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()
_dummy_hash: str | None = None
_dummy_lock = threading.Lock()


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def create_agent(
    username: str,
    password: str,
    role: str = "agent",
    display_name: str | None = None,
    *,
    url: str | None = None,
) -> AgentRecord:
    """Create an account; ValueError for a bad/duplicate username, weak password or role."""
    username = normalize_username(username)
    if not USERNAME_RE.match(username):
        raise ValueError("username: 2-64 characters, letters, digits, '.', '_' or '-'")
    if role not in AGENT_ROLES:
        raise ValueError(f"role must be one of {AGENT_ROLES}")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = _hasher.hash(password)

    def work(session: Session) -> AgentRecord:
        row = Agent(
            username=username,
            display_name=(display_name or "").strip() or username,
            role=role,
            password_hash=password_hash,
            active=True,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return _record(row)

    try:
        return run_in_transaction(work, url)
    except IntegrityError:
        raise ValueError(f"an agent named {username!r} already exists") from None


def authenticate(username: str, password: str, *, url: str | None = None) -> AgentRecord | None:
    """The agent if the password is right and the account active, else None.

    Unknown usernames are verified against a dummy hash so the answer takes about as long
    either way and does not reveal which usernames exist.
    """
    username = normalize_username(username)
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(Agent).where(Agent.username == username)
        ).scalar_one_or_none()
        found = (_record(row), row.password_hash) if row is not None and row.active else None
    if found is None:
        _verify(_get_dummy_hash(), password or "")
        return None
    record, password_hash = found
    if not _verify(password_hash, password or ""):
        return None
    if _hasher.check_needs_rehash(password_hash):
        new_hash = _hasher.hash(password)
        run_in_transaction(
            lambda s: s.execute(
                sa.update(Agent).where(Agent.id == record.id).values(password_hash=new_hash)
            ),
            url,
        )
    return record


def get_agent(agent_id: int, *, url: str | None = None) -> AgentRecord | None:
    with session_scope(url, readonly=True) as session:
        row = session.get(Agent, agent_id)
        return _record(row) if row else None


def list_agents(*, url: str | None = None) -> list[AgentRecord]:
    with session_scope(url, readonly=True) as session:
        return [
            _record(row)
            for row in session.execute(sa.select(Agent).order_by(Agent.username)).scalars()
        ]


def set_active(agent_id: int, active: bool, *, url: str | None = None) -> bool:
    """Disable (or re-enable) an account without deleting its history."""
    return run_in_transaction(
        lambda s: (
            affected_rows(s, sa.update(Agent).where(Agent.id == agent_id).values(active=active))
            == 1
        ),
        url,
    )


def touch_agent(agent_id: int, offline: bool = False, *, url: str | None = None) -> None:
    """Desk presence: the agent's desk was seen now (``offline``: the agent logged out)."""
    value = None if offline else utcnow()
    run_in_transaction(
        lambda s: s.execute(
            sa.update(Agent).where(Agent.id == agent_id).values(last_seen_at=value)
        ),
        url,
    )


def online_agents(within_seconds: int, *, url: str | None = None) -> list[AgentRecord]:
    """Active agents whose desk was seen in the last ``within_seconds`` seconds."""
    since = utcnow() - timedelta(seconds=within_seconds)
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(Agent)
            .where(
                Agent.active.is_(True), Agent.last_seen_at.is_not(None), Agent.last_seen_at >= since
            )
            .order_by(Agent.username)
        ).scalars()
        return [_record(row) for row in rows]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _get_dummy_hash() -> str:
    global _dummy_hash
    with _dummy_lock:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
        return _dummy_hash


def _record(row: Agent) -> AgentRecord:
    return from_row(AgentRecord, row)
