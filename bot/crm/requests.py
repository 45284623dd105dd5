"""Calibration and financing requests, each stored exactly once per idempotency key.

The forms validate and re-ask in the customer's language; the checks here are the last
line of defence, so a bug upstream raises ValueError instead of storing a bad record.
The contact details typed in the form are stored on the request itself (its contact
snapshot): a typed phone/e-mail is a claim and never becomes a customer identity (see
bot/crm/customers.py). Pass the id of the conversation's own customer.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from bot.cases.register import open_case
from bot.crm.contact import normalize_email, normalize_phone
from bot.crm.db import session_scope
from bot.crm.idempotency import create_once
from bot.crm.models import (
    SERVICE_LOCATIONS,
    CalibrationRequest,
    CalibrationRequestItem,
    FinancingRequest,
)
from bot.crm.references import CALIBRATION, FINANCING, allocate_reference, normalize_reference
from bot.crm.sqltypes import to_money, utcnow
from bot.crm.types import (
    CalibrationItemInput,
    CalibrationRequestInput,
    CalibrationRequestRecord,
    CreatedRecord,
    FinancingRequestInput,
    FinancingRequestRecord,
    from_row,
)

SERVICE_TYPES = ("kalibrasi", "tera", "tera_ulang")
PRODUCT_TYPES = ("motorcycle", "car", "multipurpose", "heavy_equipment")
VEHICLE_CONDITIONS = ("new", "used")


def create_calibration_request(
    customer_id: int,
    data: CalibrationRequestInput,
    idempotency_key: str,
    *,
    channel: str | None = None,
    language: str | None = None,
    url: str | None = None,
) -> CreatedRecord:
    """Store a calibration request with its instrument lines; a repeated key returns the first."""
    _require(data.company_name, "company_name")
    _require(data.contact_name, "contact_name")
    phone = normalize_phone(data.phone)
    email = normalize_email(data.email) if data.email else None
    if data.service_type not in SERVICE_TYPES:
        raise ValueError(f"service_type must be one of {SERVICE_TYPES}")
    if data.service_location not in SERVICE_LOCATIONS:
        raise ValueError(f"service_location must be one of {SERVICE_LOCATIONS}")
    if data.service_location == "onsite" and not (data.site_address or "").strip():
        raise ValueError("site_address is required for on-site service")
    if not data.items:
        raise ValueError("at least one instrument line is required")
    for item in data.items:
        _require(item.instrument_type, "instrument_type")
        if not _positive_whole(item.quantity):
            raise ValueError("quantity must be a positive whole number")

    def build(session: Session) -> CalibrationRequest:
        now = utcnow()
        row = CalibrationRequest(
            reference=allocate_reference(session, CALIBRATION),
            customer_id=customer_id,
            company_name=data.company_name.strip(),
            contact_name=data.contact_name.strip(),
            phone=phone,
            email=email,
            service_type=data.service_type,
            service_location=data.service_location,
            site_address=data.site_address,
            preferred_date=data.preferred_date,
            status="new",
            created_at=now,
            updated_at=now,
            items=[
                CalibrationRequestItem(
                    instrument_type=item.instrument_type.strip(),
                    spec=item.spec,
                    quantity=item.quantity,
                )
                for item in data.items
            ],
        )
        # The back-office case commits or rolls back together with the request.
        open_case(session, row, channel=channel, language=language)
        return row

    return create_once(CalibrationRequest, idempotency_key, build, url)


def create_financing_request(
    customer_id: int,
    data: FinancingRequestInput,
    idempotency_key: str,
    *,
    channel: str | None = None,
    language: str | None = None,
    url: str | None = None,
) -> CreatedRecord:
    """Store a financing lead. Without explicit consent nothing is stored (ValueError)."""
    if data.consent is not True:
        raise ValueError("the customer has not consented to be contacted; nothing stored")
    if data.product_type not in PRODUCT_TYPES:
        raise ValueError(f"product_type must be one of {PRODUCT_TYPES}")
    if data.vehicle_condition is not None and data.vehicle_condition not in VEHICLE_CONDITIONS:
        raise ValueError(f"vehicle_condition must be one of {VEHICLE_CONDITIONS}")
    _require(data.name, "name")
    phone = normalize_phone(data.phone)
    amount = to_money(data.amount)
    if amount <= 0:
        raise ValueError("amount must be positive")
    down_payment = to_money(data.down_payment) if data.down_payment is not None else None
    if down_payment is not None and not (0 <= down_payment <= amount):
        raise ValueError("down_payment must be between 0 and the amount")
    if data.tenor_months is not None and not _positive_whole(data.tenor_months):
        raise ValueError("tenor_months must be a positive whole number")

    def build(session: Session) -> FinancingRequest:
        now = utcnow()
        row = FinancingRequest(
            reference=allocate_reference(session, FINANCING),
            customer_id=customer_id,
            product_type=data.product_type,
            vehicle_condition=data.vehicle_condition,
            amount=amount,
            down_payment=down_payment,
            tenor_months=data.tenor_months,
            city=data.city,
            name=data.name.strip(),
            phone=phone,
            preferred_contact_time=data.preferred_contact_time,
            consent=True,
            consent_at=now,
            status="new",
            created_at=now,
            updated_at=now,
        )
        open_case(session, row, channel=channel, language=language)
        return row

    return create_once(FinancingRequest, idempotency_key, build, url)


def get_calibration_request(
    reference: str, *, url: str | None = None
) -> CalibrationRequestRecord | None:
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(CalibrationRequest)
            .options(selectinload(CalibrationRequest.items))
            .where(CalibrationRequest.reference == normalize_reference(reference))
        ).scalar_one_or_none()
        if row is None:
            return None
        return from_row(
            CalibrationRequestRecord,
            row,
            items=tuple(from_row(CalibrationItemInput, item) for item in row.items),
        )


def get_financing_request(
    reference: str, *, url: str | None = None
) -> FinancingRequestRecord | None:
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(FinancingRequest).where(
                FinancingRequest.reference == normalize_reference(reference)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return from_row(FinancingRequestRecord, row)


def _positive_whole(value: object) -> bool:
    """A whole number of at least 1 (``True`` is an int to Python, never a count here)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _require(value: str | None, name: str) -> None:
    if not (value or "").strip():
        raise ValueError(f"{name} is required")
