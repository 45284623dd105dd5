"""The contact details a case shows and is searched by, read in ONE place.

Why one function: the request tables hold the contact data the customer gave for that
request (company, contact person, phone, e-mail); another change may move these into a
per-request contact snapshot. Everything in the back office (the case row's search fields,
the notification recipient, the CSV) reads them through :func:`request_contact`, so pointing
the back office at a new source is a one-function edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.models import (
    CalibrationRequest,
    Complaint,
    Customer,
    CustomerIdentity,
    FinancingRequest,
    Handoff,
)


@dataclass(frozen=True)
class CaseContact:
    company: str | None
    name: str | None
    phone: str | None = field(repr=False)
    email: str | None = field(repr=False)


def request_contact(
    session: Session, row: CalibrationRequest | FinancingRequest | Complaint | Handoff
) -> CaseContact:
    """The contact data of one request, complaint or callback ticket."""
    if isinstance(row, CalibrationRequest):
        return CaseContact(row.company_name, row.contact_name, row.phone, row.email)
    if isinstance(row, FinancingRequest):
        return CaseContact(None, row.name, row.phone, None)
    customer = session.get(Customer, row.customer_id) if row.customer_id else None
    phone, email = _identities(session, row.customer_id)
    if isinstance(row, Complaint):  # the contact typed in this complaint's own form
        return CaseContact(
            customer.company if customer else None,
            row.contact_name or (customer.name if customer else None),
            row.contact_phone or phone,
            row.contact_email or email,
        )
    if isinstance(row, Handoff):
        given = str((row.captured_fields or {}).get("callback_contact") or "")
        if "@" in given:
            email = given
        elif given:
            phone = given
    return CaseContact(
        customer.company if customer else None, customer.name if customer else None, phone, email
    )


def _identities(session: Session, customer_id: int | None) -> tuple[str | None, str | None]:
    if customer_id is None:
        return None, None
    rows = session.execute(
        sa.select(CustomerIdentity.kind, CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id == customer_id,
            # Only proven contacts: a number typed in some chat is a claim (bot/crm/identity).
            CustomerIdentity.verified_at.is_not(None),
        )
        .order_by(CustomerIdentity.id)
    ).all()
    phone = next((v for k, v in rows if k in ("phone", "whatsapp") and v.startswith("+")), None)
    email = next((v for k, v in rows if k == "email"), None)
    return phone, email


def search_haystack(
    reference: str,
    company: str | None,
    name: str | None,
    phone: str | None,
    email: str | None,
) -> str:
    """Lower-cased text the list search matches; phones also in the local 0… form that
    customers and staff type (+6281234… is found by "0812 34")."""
    parts = [reference, company or "", name or "", email or ""]
    if phone:
        digits = re.sub(r"\D", "", phone)
        parts += [phone, digits]
        if digits.startswith("62"):
            parts.append("0" + digits[2:])
    return " ".join(p.strip().lower() for p in parts if p and p.strip())


def search_terms(query: str) -> list[str]:
    """What to look for in the haystack: a typed phone number is matched by its digits."""
    text = (query or "").strip().lower()
    if not text:
        return []
    squashed = re.sub(r"[\s\-().]", "", text)
    if re.fullmatch(r"\+?\d{4,}", squashed):
        digits = squashed.lstrip("+")
        return [digits]
    return [text]
