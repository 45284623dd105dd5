"""Customers and their channel identities: one person recognised across channels, on proof.

A conversation is known by its channel identity (WhatsApp number, web session id). A phone
number or e-mail typed in a chat is only a *claim*: anyone can type someone else's number.
So typed contact details are stored on the request they were typed for (a per-request
snapshot, see bot/crm/requests.py and complaints.py) and never link, merge, overwrite or
pre-fill another customer's record. Two records become one only on proof:

- a channel identity the channel itself verifies: a WhatsApp ``wa_id`` / Twilio ``From`` is
  the sender's number, so it matches a phone someone proved earlier (``resolve_in``);
- a one-time code sent to the claimed phone/e-mail and typed back (bot/crm/identity.py,
  which calls ``verify_contact``).

``customer_identities.verified_at`` tells proven identities from old claims (rows stored
before this rule existed): only proven ones count.

Callers should resolve the customer again on every turn rather than keep an id in a slot:
a verification may link the conversation to another (proven) customer.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from bot.crm.contact import normalize_email, normalize_phone, whatsapp_identity
from bot.crm.db import run_in_transaction, session_scope
from bot.crm.models import (
    CalibrationRequest,
    Case,
    Complaint,
    Conversation,
    Customer,
    CustomerIdentity,
    Feedback,
    FinancingRequest,
    Handoff,
    IdentityChallenge,
    Notification,
)
from bot.crm.sqltypes import utcnow
from bot.crm.types import (
    CustomerOverview,
    CustomerRecord,
    FeedbackSummary,
    IdentityRecord,
    RecordSummary,
    from_row,
)

logger = logging.getLogger(__name__)

WHATSAPP_CHANNELS = ("whatsapp", "twilio")
CLOSED_REQUEST_STATUSES = ("completed", "cancelled", "rejected", "closed", "paid_off")
# Identity kinds that hold a phone number (a WhatsApp identity is a proven phone).
PHONE_KINDS = ("phone", "whatsapp")
# Tables whose rows follow a customer when a conversation is linked to a proven customer.
_OWNED = (
    CustomerIdentity,
    Conversation,
    CalibrationRequest,
    FinancingRequest,
    Complaint,
    Feedback,
    Handoff,
    IdentityChallenge,
    Notification,
    Case,  # back-office cases follow their customer too
)


def identity_for_channel(channel: str, sender_id: str) -> tuple[str, str]:
    """(kind, value) of a conversation's channel identity."""
    if (channel or "").lower() in WHATSAPP_CHANNELS:
        return "whatsapp", whatsapp_identity(sender_id.removeprefix("whatsapp:"))
    return "web", sender_id


def resolve_customer(channel: str, sender_id: str, *, url: str | None = None) -> CustomerRecord:
    """The customer behind this channel identity, created on first contact."""
    return run_in_transaction(
        lambda session: customer_record(resolve_in(session, channel, sender_id)),
        url,
        retry_conflicts=True,  # two replicas meeting a new sender at once
    )


def resolve_in(session: Session, channel: str, sender_id: str) -> Customer:
    """``resolve_customer`` inside an existing unit of work (used by conversations).

    A new WhatsApp sender whose number someone already proved with a one-time code is that
    customer: WhatsApp itself vouches that the sender owns the number.
    """
    kind, value = identity_for_channel(channel, sender_id)
    now = utcnow()
    customer: Customer | None = session.execute(
        sa.select(Customer)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
        .where(CustomerIdentity.kind == kind, CustomerIdentity.value == value)
    ).scalar_one_or_none()
    if customer is not None:
        customer.last_seen = now
        return customer
    if kind == "whatsapp" and value.startswith("+"):
        customer = session.execute(
            sa.select(Customer)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(
                CustomerIdentity.kind == "phone",
                CustomerIdentity.value == value,
                CustomerIdentity.verified_at.is_not(None),
            )
        ).scalar_one_or_none()
    if customer is None:
        customer = Customer(created_at=now, updated_at=now, first_seen=now, last_seen=now)
        session.add(customer)
        session.flush()
    else:
        customer.last_seen = now
    session.add(
        CustomerIdentity(
            customer_id=customer.id, kind=kind, value=value, created_at=now, verified_at=now
        )
    )
    session.flush()
    return customer


def remember_details(
    customer_id: int,
    name: str | None = None,
    company: str | None = None,
    *,
    url: str | None = None,
) -> CustomerRecord:
    """Fill this conversation's own customer's empty name/company; never overwrite them.

    Phones and e-mails are not stored here: typed, they are claims, kept on the request.
    Raises LookupError for an unknown customer.
    """

    def work(session: Session) -> CustomerRecord:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise LookupError(f"no customer {customer_id}")
        changed = False
        if name and name.strip() and not customer.name:
            customer.name = name.strip()[:200]
            changed = True
        if company and company.strip() and not customer.company:
            customer.company = company.strip()[:200]
            changed = True
        if changed:
            customer.updated_at = utcnow()
            session.flush()
        return customer_record(customer)

    return run_in_transaction(work, url, retry_conflicts=True)


def normalized_contact(kind: str, value: str) -> str:
    """E.164 phone or lower-cased e-mail; ValueError when invalid."""
    if kind == "phone":
        return normalize_phone(value)
    if kind == "email":
        return normalize_email(value)
    raise ValueError(f"unknown contact kind {kind!r}")


def verify_contact(session: Session, customer_id: int, kind: str, value: str) -> Customer:
    """Record that this customer PROVED ``value`` (call only after a proof); returns the
    customer the conversation now belongs to.

    When another customer already proved the same phone/e-mail, the two are one person: the
    conversation's record is folded into that proven one (which keeps its own details).
    Otherwise the identity becomes this customer's; an old unproven claim of the same value
    held by someone else is taken over, since a claim never counted.
    """
    value = normalized_contact(kind, value)
    kinds = PHONE_KINDS if kind == "phone" else ("email",)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id}")
    rows = list(
        session.execute(
            sa.select(CustomerIdentity)
            .where(CustomerIdentity.kind.in_(kinds), CustomerIdentity.value == value)
            .order_by(CustomerIdentity.id)
        ).scalars()
    )
    now = utcnow()
    proven = [row for row in rows if row.verified_at is not None]
    if proven:
        holder = session.get(Customer, proven[0].customer_id)
        if holder is not None and holder.id != customer.id:
            return _merge_into(session, keeper=holder, gone=customer)
        return customer
    own = next((row for row in rows if row.kind == kind), None)
    if own is None:
        session.add(
            CustomerIdentity(
                customer_id=customer.id, kind=kind, value=value, created_at=now, verified_at=now
            )
        )
    else:
        own.customer_id = customer.id
        own.verified_at = now
    customer.updated_at = now
    session.flush()
    return customer


def _merge_into(session: Session, *, keeper: Customer, gone: Customer) -> Customer:
    """Fold a conversation's record into the proven customer's; the keeper's details win."""
    for model in _OWNED:
        session.execute(
            sa.update(model)
            .where(model.customer_id == gone.id)
            .values(customer_id=keeper.id)
            .execution_options(synchronize_session=False)
        )
    for column in ("name", "company", "type", "city"):
        if getattr(keeper, column) is None:
            setattr(keeper, column, getattr(gone, column))
    keeper.first_seen = min(keeper.first_seen, gone.first_seen)
    keeper.last_seen = max(keeper.last_seen, gone.last_seen)
    session.delete(gone)
    session.flush()
    logger.info("linked customer %s into customer %s (proven contact)", gone.id, keeper.id)
    return keeper


def proven_contacts(session: Session, customer_id: int) -> set[tuple[str, str]]:
    """("phone", E.164) and ("email", address) pairs this customer has proven."""
    rows = session.execute(
        sa.select(CustomerIdentity.kind, CustomerIdentity.value).where(
            CustomerIdentity.customer_id == customer_id,
            CustomerIdentity.kind.in_(("phone", "whatsapp", "email")),
            CustomerIdentity.verified_at.is_not(None),
        )
    ).all()
    found: set[tuple[str, str]] = set()
    for kind, value in rows:
        if kind in PHONE_KINDS and str(value).startswith("+"):
            found.add(("phone", str(value)))
        elif kind == "email":
            found.add(("email", str(value)))
    return found


def get_customer(customer_id: int, *, url: str | None = None) -> CustomerRecord | None:
    with session_scope(url, readonly=True) as session:
        customer = session.get(Customer, customer_id)
        return customer_record(customer) if customer else None


def customer_overview(
    customer_id: int, *, feedback_limit: int = 5, url: str | None = None
) -> CustomerOverview | None:
    """Name, identities, open requests and complaints, recent feedback: for greetings and the desk."""
    with session_scope(url, readonly=True) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return None
        identities = session.execute(
            sa.select(CustomerIdentity)
            .where(CustomerIdentity.customer_id == customer_id)
            .order_by(CustomerIdentity.id)
        ).scalars()
        calibrations = session.execute(
            sa.select(CalibrationRequest)
            .options(selectinload(CalibrationRequest.items))
            .where(
                CalibrationRequest.customer_id == customer_id,
                CalibrationRequest.status.not_in(CLOSED_REQUEST_STATUSES),
            )
        ).scalars()
        financings = session.execute(
            sa.select(FinancingRequest).where(
                FinancingRequest.customer_id == customer_id,
                FinancingRequest.status.not_in(CLOSED_REQUEST_STATUSES),
            )
        ).scalars()
        complaints = session.execute(
            sa.select(Complaint)
            .where(Complaint.customer_id == customer_id, Complaint.stage != "closed")
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        ).scalars()
        feedback = session.execute(
            sa.select(Feedback)
            .where(Feedback.customer_id == customer_id)
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
            .limit(feedback_limit)
        ).scalars()
        requests = [_calibration_summary(row) for row in calibrations] + [
            _financing_summary(row) for row in financings
        ]
        requests.sort(key=lambda summary: summary.created_at, reverse=True)
        return CustomerOverview(
            customer=customer_record(customer),
            identities=tuple(
                IdentityRecord(kind=i.kind, value=i.value, verified=i.verified_at is not None)
                for i in identities
            ),
            open_requests=tuple(requests),
            open_complaints=tuple(
                RecordSummary(
                    "complaint", c.reference, c.stage, c.category, c.created_at, c.updated_at
                )
                for c in complaints
            ),
            recent_feedback=tuple(
                FeedbackSummary(f.rating, f.kind, f.comment, f.created_at) for f in feedback
            ),
        )


def customer_record(customer: Customer) -> CustomerRecord:
    return from_row(CustomerRecord, customer)


def _calibration_summary(row: CalibrationRequest) -> RecordSummary:
    items = ", ".join(
        f"{item.quantity} {item.instrument_type}" + (f" ({item.spec})" if item.spec else "")
        for item in row.items
    )
    return RecordSummary(
        "calibration",
        row.reference,
        row.status,
        f"{row.service_type}: {items}",
        row.created_at,
        row.updated_at,
    )


def _financing_summary(row: FinancingRequest) -> RecordSummary:
    condition = f" {row.vehicle_condition}" if row.vehicle_condition else ""
    return RecordSummary(
        "financing",
        row.reference,
        row.status,
        f"{row.product_type}{condition}, Rp{row.amount:,.0f}".replace(",", "."),
        row.created_at,
        row.updated_at,
    )
