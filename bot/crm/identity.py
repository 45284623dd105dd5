"""One-time codes that turn a claimed phone/e-mail into a proven one.

Typing someone's phone number proves nothing, so before a conversation may see a record
(or be linked to a customer) through a contact it typed, we send a 6-digit code to that
contact and ask for it back. Why each rule:

- the code is stored only as a salted SHA-256 hash: the table is not a list of valid codes;
  the plain code exists only in the outbox row that the worker sends (bot/notify);
- 10 minutes and 5 tries per code, and rate limits per conversation and per contact (per
  15 minutes and per day, in the shared ``rate_limits`` table, so every replica counts the
  same hits): a guesser gets a few dozen tries a day out of a million codes, and nobody can
  flood a customer's phone with codes;
- a new code supersedes the conversation's older pending ones; a retried action (same
  idempotency key) gets the same challenge and the same single outbox row;
- nothing is sent here: the code is written to the outbox in the same transaction.

Personal columns of ``identity_challenges`` (for export/erase): ``contact_value``,
``sender_id``. Rate-limit keys hold a digest of the contact, never the contact itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm import ratelimit
from bot.crm.customers import normalized_contact, resolve_in, verify_contact
from bot.crm.db import run_in_transaction
from bot.crm.models import IdentityChallenge
from bot.crm.sqltypes import utcnow
from bot.notify.outbox import enqueue

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
# (limit, window seconds): codes sent per conversation and per claimed contact.
CODES_PER_CONVERSATION = ((3, 15 * 60), (10, 24 * 3600))
CODES_PER_CONTACT = ((3, 15 * 60), (10, 24 * 3600))
OTP_KIND = "otp_code"


@dataclass(frozen=True)
class ChallengeStart:
    status: str  # sent | rate_limited
    masked: str  # where the code went, masked ("08**-****-7890")
    challenge_id: int | None = None
    # The outbox row holding the code (for the worker; tests read it from there).
    notification_id: int | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CodeCheck:
    status: str  # verified | wrong | expired | locked | none
    remaining: int = 0
    reference: str | None = None
    customer_id: int | None = None  # the customer the conversation belongs to after proof


def mask_phone(e164: str) -> str:
    """'+6281234567890' -> '08**-****-7890': enough to recognise one's number, not to use it."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    national = "0" + digits[2:] if e164.startswith("+62") else digits
    if len(national) <= 6:
        return "*" * len(national)
    masked = national[:2] + "*" * (len(national) - 6) + national[-4:]
    head, tail = masked[:-4], masked[-4:]
    groups = [head[:4], head[4:]] if len(head) > 4 else [head]
    return "-".join([g for g in groups if g] + [tail])


def mask_email(address: str) -> str:
    """'budi@example.com' -> 'b***@example.com'."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_contact(kind: str, value: str) -> str:
    return mask_phone(value) if kind == "phone" else mask_email(value)


def hash_code(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _within_limits(channel: str, sender_id: str, kind: str, value: str, url: str | None) -> bool:
    conversation = f"otp:conv:{_digest(channel + ':' + sender_id)}"
    contact = f"otp:contact:{_digest(kind + ':' + value)}"
    allowed = True
    for key, limits in ((conversation, CODES_PER_CONVERSATION), (contact, CODES_PER_CONTACT)):
        for limit, window in limits:
            # Every limit counts the attempt, so a refused one still costs a try.
            allowed = ratelimit.hit(f"{key}:{window}", limit, window, url=url) and allowed
    return allowed


def start_challenge(
    *,
    channel: str,
    sender_id: str,
    contact_kind: str,
    contact_value: str,
    idempotency_key: str,
    language: str = "id",
    reference: str | None = None,
    url: str | None = None,
) -> ChallengeStart:
    """Create a code for ``contact_value`` and put it in the outbox, within the rate limits.

    ``idempotency_key`` identifies the customer's message that asked for the code: a retry
    returns the first challenge. ValueError for an invalid contact.
    """
    value = normalized_contact(contact_kind, contact_value)
    masked = mask_contact(contact_kind, value)
    key = idempotency_key[:200]
    existing = _existing(key, url)
    if existing is not None:
        return ChallengeStart("sent", masked, existing[0], existing[1])
    if not _within_limits(channel, sender_id, contact_kind, value, url):
        return ChallengeStart("rate_limited", masked)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)

    def work(session: Session) -> tuple[int, int]:
        found = session.execute(
            sa.select(IdentityChallenge.id).where(IdentityChallenge.idempotency_key == key)
        ).scalar_one_or_none()
        if found is not None:
            return int(found), 0
        customer = resolve_in(session, channel, sender_id)
        now = utcnow()
        session.execute(
            sa.update(IdentityChallenge)
            .where(
                IdentityChallenge.channel == channel,
                IdentityChallenge.sender_id == sender_id,
                IdentityChallenge.status == "pending",
            )
            .values(status="superseded")
            .execution_options(synchronize_session=False)
        )
        row = IdentityChallenge(
            channel=channel,
            sender_id=sender_id,
            customer_id=customer.id,
            reference=reference,
            contact_kind=contact_kind,
            contact_value=value,
            code_salt=salt,
            code_hash=hash_code(salt, code),
            attempts=0,
            status="pending",
            idempotency_key=key,
            expires_at=now + CODE_TTL,
            created_at=now,
        )
        session.add(row)
        session.flush()
        # No customer_id on the notification: the recipient may be another customer's
        # contact, and the code must not tie that contact to this conversation's record.
        notification = enqueue(
            session,
            kind=OTP_KIND,
            channel="whatsapp" if contact_kind == "phone" else "email",
            recipient=value.removeprefix("+") if contact_kind == "phone" else value,
            idempotency_key=f"otp:{row.id}",
            language=language if language in ("id", "en") else "id",
            payload={"code": code},
            reference=reference,
        )
        return int(row.id), notification.id

    challenge_id, notification_id = run_in_transaction(work, url, retry_conflicts=True)
    return ChallengeStart("sent", masked, challenge_id, notification_id or None)


def _existing(key: str, url: str | None) -> tuple[int, int | None] | None:
    from bot.crm.db import session_scope
    from bot.crm.models import Notification

    with session_scope(url, readonly=True) as session:
        found = session.execute(
            sa.select(IdentityChallenge.id).where(IdentityChallenge.idempotency_key == key)
        ).scalar_one_or_none()
        if found is None:
            return None
        notification = session.execute(
            sa.select(Notification.id).where(Notification.idempotency_key == f"otp:{found}")
        ).scalar_one_or_none()
        return int(found), int(notification) if notification is not None else None


def check_code(code: str, *, channel: str, sender_id: str, url: str | None = None) -> CodeCheck:
    """Compare ``code`` with the conversation's pending challenge; on success the contact is
    proven (``customers.verify_contact``) and the conversation may be linked to its owner."""
    typed = "".join(ch for ch in code if ch.isdigit())

    def work(session: Session) -> CodeCheck:
        row = session.execute(
            sa.select(IdentityChallenge)
            .where(
                IdentityChallenge.channel == channel,
                IdentityChallenge.sender_id == sender_id,
                IdentityChallenge.status == "pending",
            )
            .order_by(IdentityChallenge.created_at.desc(), IdentityChallenge.id.desc())
            .limit(1)
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            return CodeCheck("none")
        now = utcnow()
        if now >= row.expires_at:
            return CodeCheck("expired", reference=row.reference)
        row.attempts += 1
        if len(typed) == CODE_DIGITS and hmac.compare_digest(
            row.code_hash, hash_code(row.code_salt, typed)
        ):
            row.status = "verified"
            row.verified_at = now
            owner = resolve_in(session, channel, sender_id)
            linked = verify_contact(
                session, int(owner.id), str(row.contact_kind), str(row.contact_value)
            )
            return CodeCheck("verified", reference=row.reference, customer_id=int(linked.id))
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "locked"
            return CodeCheck("locked", reference=row.reference)
        return CodeCheck("wrong", MAX_ATTEMPTS - row.attempts, reference=row.reference)

    return run_in_transaction(work, url)
