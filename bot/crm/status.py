"""Status look-ups by reference number, and the ownership checks that guard them.

A record is shown only to its owner: the customer it was created for (its conversation,
or a conversation linked to that customer on proof), or a conversation that has PROVEN one
of the contacts stored on the record (a WhatsApp sender whose number it is, or a one-time
code typed back, see bot/crm/identity.py). Typing the phone number on record is not proof:
anyone may know a number. Everyone else is offered a code sent to the record's contacts,
shown masked; ``status_attempt_allowed`` limits look-ups per reference and per conversation
so references cannot be tried in bulk, nor one reference hammered with codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm import ratelimit
from bot.crm.customers import PHONE_KINDS, proven_contacts
from bot.crm.db import session_scope
from bot.crm.identity import mask_contact
from bot.crm.models import CalibrationRequest, Complaint, CustomerIdentity, FinancingRequest
from bot.crm.references import normalize_reference
from bot.crm.types import RecordStatus

Referenced = CalibrationRequest | FinancingRequest | Complaint

# (limit, window seconds)
LOOKUPS_PER_CONVERSATION = (20, 3600)  # every look-up, the owner's included
LOOKUPS_PER_REFERENCE = (5, 3600)  # look-ups by non-owners only: the owner is never locked out

_KINDS: dict[str, tuple[str, Any]] = {
    "KAL": ("calibration", CalibrationRequest),
    "FIN": ("financing", FinancingRequest),
    "CMP": ("complaint", Complaint),
}


@dataclass(frozen=True)
class ContactOption:
    """A contact stored on a record, as it may be shown to someone not yet verified."""

    kind: str  # phone | email
    masked: str


@dataclass(frozen=True)
class StatusAccess:
    exists: bool
    owner: bool
    options: tuple[ContactOption, ...] = ()


def find_by_reference(reference: str, *, url: str | None = None) -> RecordStatus | None:
    """Kind, stage/status and last update of a KAL-/FIN-/CMP- record, or None."""
    with session_scope(url, readonly=True) as session:
        row = _row(session, reference)
        if row is None:
            return None
        phones = [value for kind, value in _contacts_on_record(session, row) if kind == "phone"]
        return RecordStatus(
            kind=_KINDS[str(row.reference)[:3]][0],
            reference=row.reference,
            status=row.stage if isinstance(row, Complaint) else row.status,
            updated_at=row.updated_at,
            customer_id=row.customer_id,
            phone_on_record=phones[0] if phones else None,
        )


def owns(reference: str, customer_id: int | None, *, url: str | None = None) -> bool:
    """True for the record's customer or a customer who proved a contact stored on it."""
    return customer_id is not None and access(reference, customer_id, url=url).owner


def reference_belongs_to(reference: str, customer_id: int, *, url: str | None = None) -> bool:
    return owns(reference, customer_id, url=url)


def access(reference: str, customer_id: int | None, *, url: str | None = None) -> StatusAccess:
    """Whether the record exists, whether ``customer_id`` owns it, and (if not) the masked
    contacts a verification code could be sent to."""
    with session_scope(url, readonly=True) as session:
        row = _row(session, reference)
        if row is None:
            return StatusAccess(exists=False, owner=False)
        contacts = _contacts_on_record(session, row)
        owner = customer_id is not None and (
            row.customer_id == customer_id
            or bool(set(contacts) & proven_contacts(session, customer_id))
        )
        if owner:
            return StatusAccess(exists=True, owner=True)
        options = tuple(ContactOption(kind, mask_contact(kind, value)) for kind, value in contacts)
        return StatusAccess(exists=True, owner=False, options=options)


def contact_on_record(reference: str, kind: str, *, url: str | None = None) -> str | None:
    """The full phone/e-mail of ``kind`` a code may be sent to (never shown to the customer)."""
    with session_scope(url, readonly=True) as session:
        row = _row(session, reference)
        if row is None:
            return None
        return next((v for k, v in _contacts_on_record(session, row) if k == kind), None)


def status_attempt_allowed(
    reference: str, channel: str, sender_id: str, *, owner: bool, url: str | None = None
) -> bool:
    """Count one look-up; False once this conversation (or, for non-owners, this
    reference) has used up its look-ups for the hour."""
    conversation = hashlib.sha256(f"{channel}:{sender_id}".encode()).hexdigest()[:32]
    limit, window = LOOKUPS_PER_CONVERSATION
    allowed = ratelimit.hit(f"status:conv:{conversation}", limit, window, url=url)
    if not owner:
        limit, window = LOOKUPS_PER_REFERENCE
        key = f"status:ref:{normalize_reference(reference)}"
        allowed = ratelimit.hit(key, limit, window, url=url) and allowed
    return allowed


def _row(
    session: Session, reference: str
) -> CalibrationRequest | FinancingRequest | Complaint | None:
    reference = normalize_reference(reference)
    kind_model = _KINDS.get(reference[:3]) if reference[3:4] == "-" else None
    if kind_model is None:
        return None
    model = kind_model[1]
    row = session.execute(sa.select(model).where(model.reference == reference)).scalar_one_or_none()
    found: CalibrationRequest | FinancingRequest | Complaint | None = row
    return found


def _contacts_on_record(
    session: Session, row: CalibrationRequest | FinancingRequest | Complaint
) -> list[tuple[str, str]]:
    """Phones then e-mails: the request's own snapshot, then its customer's proven contacts
    (complaints filed before snapshots existed have only those)."""
    found: list[tuple[str, str]] = []
    if isinstance(row, Complaint):
        snapshot = [("phone", row.contact_phone), ("email", row.contact_email)]
    elif isinstance(row, CalibrationRequest):
        snapshot = [("phone", row.phone), ("email", row.email)]
    else:
        snapshot = [("phone", row.phone)]
    proven = session.execute(
        sa.select(CustomerIdentity.kind, CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id == row.customer_id,
            CustomerIdentity.kind.in_((*PHONE_KINDS, "email")),
            CustomerIdentity.verified_at.is_not(None),
        )
        .order_by(CustomerIdentity.id)
    ).all()
    for kind, value in snapshot + [
        ("email" if kind == "email" else "phone", value) for kind, value in proven
    ]:
        if value and (kind == "email" or str(value).startswith("+")):
            pair = (kind, str(value))
            if pair not in found:
                found.append(pair)
    found.sort(key=lambda pair: pair[0] != "phone")  # stable: phones first
    return found
