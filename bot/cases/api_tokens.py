"""API tokens for integrations (accounting, ERP): created by an admin, shown once, revocable.

Why only a hash is stored: a token is a password for a machine. It is 32 random bytes
(``secrets.token_urlsafe``), so a plain SHA-256 is enough to make the stored value useless
to a database reader (no salt or slow hash needed for high-entropy secrets), and a lookup
by hash stays one indexed query per API call. The first characters are kept as ``prefix``
so an admin can tell tokens apart in the list.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.auth import require_admin
from bot.cases.errors import CaseNotFound, FieldErrors
from bot.cases.types import Actor
from bot.crm.db import affected_rows, run_in_transaction, session_scope
from bot.crm.models import API_TOKEN_SCOPES, Agent, ApiToken
from bot.crm.sqltypes import utcnow

TOKEN_PREFIX = "lyn_"
# last_used_at is written at most this often per token (an API client may call many times/s).
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiTokenRecord:
    id: int
    name: str
    prefix: str
    scope: str
    created_by: int | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewApiToken:
    record: ApiTokenRecord
    token: str = field(repr=False)  # shown once; never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _record(row: ApiToken) -> ApiTokenRecord:
    return ApiTokenRecord(
        row.id,
        row.name,
        row.prefix,
        row.scope,
        row.created_by,
        row.created_at,
        row.revoked_at,
        row.last_used_at,
    )


def create_token(name: str, scope: str, *, actor: Actor, url: str | None = None) -> NewApiToken:
    require_admin(actor)
    name = (name or "").strip()
    errors = {}
    if not name or len(name) > 100:
        errors["name"] = {
            "id": "Beri nama token (maks. 100 karakter).",
            "en": "Name the token (max 100 characters).",
        }
    if scope not in API_TOKEN_SCOPES:
        errors["scope"] = {"id": "Pilih read atau write.", "en": "Choose read or write."}
    if errors:
        raise FieldErrors(errors)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def work(session: Session) -> ApiTokenRecord:
        row = ApiToken(
            name=name,
            token_hash=hash_token(token),
            prefix=token[: len(TOKEN_PREFIX) + 6],
            scope=scope,
            created_by=actor.id,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return _record(row)

    return NewApiToken(run_in_transaction(work, url), token)


def list_tokens(*, actor: Actor, url: str | None = None) -> list[ApiTokenRecord]:
    require_admin(actor)
    with session_scope(url, readonly=True) as session:
        rows = session.execute(sa.select(ApiToken).order_by(ApiToken.id)).scalars()
        return [_record(row) for row in rows]


def revoke_token(token_id: int, *, actor: Actor, url: str | None = None) -> ApiTokenRecord:
    """Revoke at once (every replica checks the database on each call). Idempotent."""
    require_admin(actor)

    def work(session: Session) -> ApiTokenRecord:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise CaseNotFound("Token tidak ditemukan.", "No such token.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.flush()
        return _record(row)

    return run_in_transaction(work, url)


@dataclass(frozen=True)
class TokenIdentity:
    token: ApiTokenRecord
    actor: Actor


def verify_token(
    token: str, *, url: str | None = None, now: datetime | None = None
) -> TokenIdentity | None:
    """The token's identity (acting as its creator, read-only for scope read), or None for
    an unknown, revoked or malformed token, or one whose creator was disabled."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    moment = now or utcnow()
    with session_scope(url, readonly=True) as session:
        found = session.execute(
            sa.select(ApiToken, Agent.active, Agent.role)
            .outerjoin(Agent, Agent.id == ApiToken.created_by)
            .where(ApiToken.token_hash == digest)
        ).first()
    if found is None:
        return None
    row, active, role = found
    if not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        return None
    if not active:
        return None
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_GRANULARITY:
        _touch(row.id, moment, url)
    record = _record(row)
    # A token may do what its scope allows, with its creator's role (an admin's token can
    # read and change any case; it never gains more than the person who made it).
    actor = Actor(id=row.created_by, role=str(role), read_only=row.scope != "write")
    return TokenIdentity(record, actor)


def _touch(token_id: int, moment: datetime, url: str | None) -> None:
    def work(session: Session) -> None:
        affected_rows(
            session,
            sa.update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(last_used_at=moment)
            .execution_options(synchronize_session=False),
        )

    run_in_transaction(work, url)
