"""Helpers for the back-office web tests (imported as ``backoffice_helpers``)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import httpx

from bot.crm.customers import resolve_customer
from bot.crm.requests import create_calibration_request, create_financing_request
from bot.crm.types import CalibrationItemInput, CalibrationRequestInput, FinancingRequestInput

_counter = itertools.count(1)

# Valid values for every calibration stage a lab job passes through (desk form names).
LAB_PATH: list[tuple[str, dict[str, str]]] = [
    (
        "quotation_sent",
        {"quotation_number": "Q-2026-0101", "amount": "Rp150.000.000", "valid_until": "2026-12-31"},
    ),
    ("po_received", {"po_number": "PO-778", "po_date": "2026-12-02"}),
    (
        "scheduled",
        {"scheduled_date": "2026-12-09", "technician": "Agus", "service_location": "lab"},
    ),
    ("in_progress", {}),
    ("report_signed", {"ba_number": "BA-55", "ba_date": "2026-12-10"}),
    ("returned", {"returned_date": "2026-12-11"}),
    ("invoiced", {"invoice_number": "INV-9", "tax_invoice_number": "010.000-26.00000001"}),
    ("certificate_issued", {"certificate_number": "CERT-1", "issue_date": "2026-12-14"}),
    ("completed", {}),
]


def calibration(
    *, company: str = "PT Maju Jaya", contact: str = "Ibu Sari", phone: str = "0812-3456-7890"
) -> str:
    """A website customer's lab calibration request (one instrument line); its reference."""
    n = next(_counter)
    customer = resolve_customer("socketio", f"web-bo-{n}")
    data = CalibrationRequestInput(
        company_name=company,
        contact_name=contact,
        phone=phone,
        email=f"kontak{n}@contoh.co.id",
        service_type="kalibrasi",
        service_location="lab",
        site_address=None,
        items=(CalibrationItemInput(instrument_type="pressure_gauge", quantity=2, spec="digital"),),
    )
    created = create_calibration_request(
        customer.id, data, f"bo-test:{n}", channel="socketio", language="id"
    )
    assert created.reference
    return created.reference


def financing(*, name: str = "Andrew Wilson", language: str = "en") -> str:
    """A website customer's car financing application; its reference."""
    n = next(_counter)
    customer = resolve_customer("socketio", f"web-fin-{n}")
    data = FinancingRequestInput(
        product_type="car",
        amount=Decimal("300000000"),
        name=name,
        phone=f"+62813900{n:05d}",
        consent=True,
        tenor_months=36,
    )
    created = create_financing_request(
        customer.id, data, f"bo-fin:{n}", channel="socketio", language=language
    )
    assert created.reference
    return created.reference


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def new_token(client: httpx.AsyncClient, csrf: str, scope: str) -> str:
    """An API token created by the (admin) client over the admin API."""
    answer = await client.post(
        "/desk/api/admin/tokens",
        json={"name": f"ERP {scope}", "scope": scope},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 201, answer.text
    token: Any = answer.json()["token"]
    return str(token)
