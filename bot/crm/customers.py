"""Customers and their channel identities: one person recognised across channels.

A conversation is known by its channel identity (WhatsApp number, web session id). When
the customer gives a phone or e-mail that already belongs to another customer record, the
two records are the same person and are merged: the older record survives and receives the
other's identities, conversations, requests, complaints, feedback and handoffs.

Callers should resolve the customer again on every turn rather than keep an id in a slot:
a merge may retire the id they hold.
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
# Tables whose rows follow a customer when two customer records are merged.
_OWNED = (
    CustomerIdentity,
    Conversation,
    CalibrationRequest,
    FinancingRequest,
    Complaint,
    Feedback,
    Handoff,
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
    """``resolve_customer`` inside an existing unit of work (used by conversations)."""
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
    customer = Customer(created_at=now, updated_at=now, first_seen=now, last_seen=now)
    session.add(customer)
    session.flush()
    session.add(CustomerIdentity(customer_id=customer.id, kind=kind, value=value, created_at=now))
    session.flush()
    return customer


def attach_contact(
    customer_id: int,
    phone: str | None = None,
    email: str | None = None,
    name: str | None = None,
    company: str | None = None,
    *,
    url: str | None = None,
) -> CustomerRecord:
    """Record contact details; merge with any customer who already owns that phone or e-mail.

    Returns the surviving customer (its id may differ from ``customer_id``). Raises
    ValueError for an invalid phone or e-mail and LookupError for an unknown customer.
    """
    claims: list[tuple[tuple[str, ...], str, str]] = []
    if phone:
        claims.append((("phone", "whatsapp"), normalize_phone(phone), "phone"))
    if email:
        claims.append((("email",), normalize_email(email), "email"))

    def work(session: Session) -> CustomerRecord:
        survivor = session.get(Customer, customer_id)
        if survivor is None:
            raise LookupError(f"no customer {customer_id}")
        for kinds, value, own_kind in claims:
            owners = set(
                session.execute(
                    sa.select(CustomerIdentity.customer_id).where(
                        CustomerIdentity.kind.in_(kinds), CustomerIdentity.value == value
                    )
                ).scalars()
            )
            for other_id in sorted(owners - {survivor.id}):
                other = session.get(Customer, other_id)
                if other is not None:  # None: merged away by a concurrent unit a moment ago
                    survivor = _merge(session, survivor, other)
            if not owners:
                session.add(CustomerIdentity(customer_id=survivor.id, kind=own_kind, value=value))
        if name and name.strip():
            survivor.name = name.strip()
        if company and company.strip():
            survivor.company = company.strip()
        survivor.updated_at = utcnow()
        session.flush()
        return customer_record(survivor)

    return run_in_transaction(work, url, retry_conflicts=True)


def _merge(session: Session, first: Customer, second: Customer) -> Customer:
    """Fold the younger customer record into the older one and delete the younger."""
    keeper, gone = sorted((first, second), key=lambda c: (c.first_seen, c.id))
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
    logger.info("merged customer %s into customer %s (same contact details)", gone.id, keeper.id)
    return keeper


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
            identities=tuple(IdentityRecord(kind=i.kind, value=i.value) for i in identities),
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
