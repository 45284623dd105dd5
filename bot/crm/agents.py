"""Agent-desk accounts with argon2 password hashes, roles, and what ends their sessions.

Hash verification (tens of milliseconds by design) runs outside any database transaction,
so a login never holds SQLite's write lock while hashing.

Roles: ``agent`` (chats), ``supervisor`` (also reports and any conversation or complaint),
``admin`` (everything a supervisor may, plus managing accounts). A password change, a
disabled account or a new role ends every desk session of that agent in the same
transaction (``desk_sessions``), so the change holds at once on every replica.
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
from bot.crm.models import AGENT_ROLES, SUPERVISOR_ROLES, Agent, DeskSession
from bot.crm.sqltypes import utcnow
from bot.crm.types import AgentRecord, from_row

MIN_PASSWORD_LENGTH = 8
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()
_dummy_hash: str | None = None
_dummy_lock = threading.Lock()


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def can_supervise(agent: AgentRecord) -> bool:
    """Supervisors and admins: reports, and any conversation or complaint."""
    return agent.role in SUPERVISOR_ROLES


def is_admin(agent: AgentRecord) -> bool:
    return agent.role == "admin"


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def _check_role(role: str) -> None:
    if role not in AGENT_ROLES:
        raise ValueError(f"role must be one of {AGENT_ROLES}")


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
    _check_role(role)
    _check_password(password)
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


def find_agent(username: str, *, url: str | None = None) -> AgentRecord | None:
    """The account with this username (active or not), or None."""
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(Agent).where(Agent.username == normalize_username(username))
        ).scalar_one_or_none()
        return _record(row) if row else None


def list_agents(*, url: str | None = None) -> list[AgentRecord]:
    with session_scope(url, readonly=True) as session:
        return [
            _record(row)
            for row in session.execute(sa.select(Agent).order_by(Agent.username)).scalars()
        ]


def end_all_sessions(session: Session, agent_id: int) -> int:
    """Revoke every live desk session of the agent and mark them offline (in ``session``'s
    transaction, so the account change and the logout commit together)."""
    now = utcnow()
    ended = affected_rows(
        session,
        sa.update(DeskSession)
        .where(DeskSession.agent_id == agent_id, DeskSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False),
    )
    session.execute(
        sa.update(Agent)
        .where(Agent.id == agent_id)
        .values(last_seen_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(ended or 0)


def _update_and_end_sessions(agent_id: int, values: dict[str, object], url: str | None) -> bool:
    def work(session: Session) -> bool:
        changed = affected_rows(
            session,
            sa.update(Agent)
            .where(Agent.id == agent_id)
            .values(**values)
            .execution_options(synchronize_session=False),
        )
        if changed != 1:
            return False
        end_all_sessions(session, agent_id)
        return True

    return run_in_transaction(work, url)


def set_active(agent_id: int, active: bool, *, url: str | None = None) -> bool:
    """Disable (or re-enable) an account without deleting its history.

    Disabling ends every desk session of the agent at once; False for an unknown agent.
    """
    if active:
        return run_in_transaction(
            lambda s: (
                affected_rows(s, sa.update(Agent).where(Agent.id == agent_id).values(active=True))
                == 1
            ),
            url,
        )
    return _update_and_end_sessions(agent_id, {"active": False}, url)


def disable_agent(agent_id: int, *, url: str | None = None) -> bool:
    return set_active(agent_id, False, url=url)


def change_password(agent_id: int, new_password: str, *, url: str | None = None) -> bool:
    """Set a new password (ValueError if too weak) and end all of the agent's sessions."""
    _check_password(new_password)
    return _update_and_end_sessions(agent_id, {"password_hash": _hasher.hash(new_password)}, url)


def set_role(agent_id: int, role: str, *, url: str | None = None) -> bool:
    """Change the role (ValueError if unknown) and end all of the agent's sessions, so no
    open page keeps rights the agent no longer has."""
    _check_role(role)
    return _update_and_end_sessions(agent_id, {"role": role}, url)


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


def record_of(row: Agent) -> AgentRecord:
    return from_row(AgentRecord, row)


_record = record_of
