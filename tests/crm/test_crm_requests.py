"""Calibration and financing requests: stored field by field, exactly once per key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.models import CalibrationRequest, CalibrationRequestItem, FinancingRequest
from bot.crm.requests import (
    create_calibration_request,
    create_financing_request,
    get_calibration_request,
    get_financing_request,
)
from bot.crm.types import CalibrationItemInput, CalibrationRequestInput, FinancingRequestInput

SQL_PAYLOAD = "Robert'); DROP TABLE calibration_requests;-- <script>alert(1)</script>"

CALIBRATION = CalibrationRequestInput(
    company_name="PT Maju Jaya",
    contact_name="Ibu Sari",
    phone="0812-3456-7890",
    email="Sari@Example.co.id",
    service_type="kalibrasi",
    service_location="onsite",
    site_address=SQL_PAYLOAD,
    preferred_date=date(2026, 12, 5),
    items=(
        CalibrationItemInput(instrument_type="pressure gauge", quantity=12, spec="digital"),
        CalibrationItemInput(instrument_type="thermometer", quantity=3, spec="analog"),
    ),
)

FINANCING = FinancingRequestInput(
    product_type="car",
    vehicle_condition="used",
    amount=Decimal("150000000.00"),
    down_payment=Decimal("30000000.00"),
    tenor_months=36,
    city="Bekasi",
    name="Budi Santoso",
    phone="+62 812 3456 7890",
    preferred_contact_time="sore",
    consent=True,
)


def _count(url: str, model) -> int:
    with session_scope(url) as session:
        return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_calibration_request_is_stored_field_by_field(crm_url: str) -> None:
    customer = resolve_customer("socketio", "web-1", url=crm_url)
    created = create_calibration_request(customer.id, CALIBRATION, "conv-1:evt-9", url=crm_url)
    assert created.created and created.reference.startswith("KAL-")
    stored = get_calibration_request(created.reference, url=crm_url)
    assert stored.customer_id == customer.id
    assert (stored.company_name, stored.contact_name) == ("PT Maju Jaya", "Ibu Sari")
    assert stored.phone == "+6281234567890"
    assert stored.email == "sari@example.co.id"
    assert (stored.service_type, stored.service_location) == ("kalibrasi", "onsite")
    assert stored.site_address == SQL_PAYLOAD  # verbatim, harmless
    assert stored.preferred_date == date(2026, 12, 5)
    assert stored.status == "new"
    assert stored.items == CALIBRATION.items


def test_same_key_returns_same_reference_and_stores_one_row(crm_url: str) -> None:
    customer = resolve_customer("socketio", "web-1", url=crm_url)
    first = create_calibration_request(customer.id, CALIBRATION, "conv-1:evt-9", url=crm_url)
    again = create_calibration_request(customer.id, CALIBRATION, "conv-1:evt-9", url=crm_url)
    assert again.reference == first.reference
    assert (first.created, again.created) == (True, False)
    assert _count(crm_url, CalibrationRequest) == 1
    assert _count(crm_url, CalibrationRequestItem) == 2


def test_racing_retries_with_one_key_store_one_row(crm_url: str, race) -> None:
    customer = resolve_customer("socketio", "web-1", url=crm_url)
    results = race(
        lambda _: create_financing_request(customer.id, FINANCING, "conv-2:evt-4", url=crm_url), 10
    )
    assert len({r.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert _count(crm_url, FinancingRequest) == 1


def test_financing_request_is_stored_exactly(crm_url: str) -> None:
    customer = resolve_customer("whatsapp", "6281234567890", url=crm_url)
    created = create_financing_request(customer.id, FINANCING, "conv-3:evt-1", url=crm_url)
    stored = get_financing_request(created.reference, url=crm_url)
    assert created.reference.startswith("FIN-")
    assert stored.amount == Decimal("150000000.00")
    assert stored.down_payment == Decimal("30000000.00")
    assert (stored.product_type, stored.vehicle_condition, stored.tenor_months) == (
        "car",
        "used",
        36,
    )
    assert (stored.city, stored.name, stored.phone) == ("Bekasi", "Budi Santoso", "+6281234567890")
    assert stored.consent is True and stored.consent_at.utcoffset().total_seconds() == 0


def test_financing_without_consent_stores_nothing(crm_url: str) -> None:
    customer = resolve_customer("socketio", "web-1", url=crm_url)
    data = FinancingRequestInput(**{**FINANCING.__dict__, "consent": False})
    with pytest.raises(ValueError, match="consent"):
        create_financing_request(customer.id, data, "conv-4:evt-1", url=crm_url)
    assert _count(crm_url, FinancingRequest) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"phone": "12345"},
        {"email": "not-an-email"},
        {"service_location": "moon"},
        {"service_location": "onsite", "site_address": None},
        {"items": ()},
        {"items": (CalibrationItemInput(instrument_type="gauge", quantity=0),)},
        {"service_type": "repair"},
    ],
)
def test_invalid_calibration_data_is_refused(crm_url: str, change: dict) -> None:
    customer = resolve_customer("socketio", "web-1", url=crm_url)
    data = CalibrationRequestInput(**{**CALIBRATION.__dict__, **change})
    with pytest.raises(ValueError):
        create_calibration_request(customer.id, data, "bad", url=crm_url)
    assert _count(crm_url, CalibrationRequest) == 0
