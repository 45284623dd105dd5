"""Helpers and the `staff` fixture for the back-office tests (re-exported by conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from bot.cases.pipelines import FieldDef, StageDef
from bot.cases.types import Actor
from bot.crm.agents import create_agent
from bot.crm.customers import remember_details, resolve_customer
from bot.crm.db import session_scope
from bot.crm.models import Case
from bot.crm.requests import create_calibration_request, create_financing_request
from bot.crm.types import (
    CalibrationItemInput,
    CalibrationRequestInput,
    ComplaintInput,
    FinancingRequestInput,
)

_counter = iter(range(1, 1_000_000))


def calibration(
    url: str,
    *,
    location: str = "lab",
    company: str = "PT Maju Jaya",
    contact: str = "Ibu Sari",
    phone: str = "0812-3456-7890",
    email: str | None = "sari@majujaya.co.id",
    sender: str | None = None,
    channel: str = "socketio",
    language: str = "id",
    lines: int = 1,
) -> str:
    n = next(_counter)
    sender = sender or f"web-{n}"
    customer = resolve_customer(channel, sender, url=url)
    items = tuple(
        CalibrationItemInput(instrument_type=kind, quantity=2 + i, spec="digital")
        for i, kind in enumerate(["pressure_gauge", "thermometer", "scale"][:lines])
    )
    data = CalibrationRequestInput(
        company_name=company,
        contact_name=contact,
        phone=phone,
        email=email,
        service_type="kalibrasi",
        service_location=location,
        site_address="Jl. Industri 1, Cikarang" if location == "onsite" else None,
        items=items,
    )
    created = create_calibration_request(
        customer.id, data, f"test:{n}", channel=channel, language=language, url=url
    )
    assert created.reference
    return created.reference


def financing(url: str, *, name: str = "Budi Santoso", language: str = "id") -> str:
    n = next(_counter)
    customer = resolve_customer("whatsapp", f"62813000{n:05d}", url=url)
    data = FinancingRequestInput(
        product_type="car",
        amount=Decimal("150000000"),
        name=name,
        phone=f"+62813000{n:05d}",
        consent=True,
        tenor_months=36,
    )
    created = create_financing_request(
        customer.id, data, f"fin:{n}", channel="whatsapp", language=language, url=url
    )
    assert created.reference
    return created.reference


def complaint(url: str, *, severity: str = "high", sender: str | None = None) -> tuple[str, int]:
    from bot.crm.complaints import create_complaint

    n = next(_counter)
    customer = resolve_customer("socketio", sender or f"cmp-{n}", url=url)
    customer = remember_details(customer.id, name="Rudi", company="CV Sinar", url=url)
    created = create_complaint(
        customer.id,
        ComplaintInput(category="wrong_invoice", description="Invoice salah", severity=severity),
        f"cmp:{n}",
        channel="socketio",
        url=url,
    )
    assert created.reference
    return created.reference, customer.id


@dataclass(frozen=True)
class Staff:
    agent: Actor
    other_agent: Actor
    supervisor: Actor
    admin: Actor


@pytest.fixture
def staff(crm_url: str) -> Staff:
    a = create_agent("rina", "correct horse battery", url=crm_url)
    b = create_agent("tono", "correct horse battery", url=crm_url)
    s = create_agent("sari", "correct horse battery", role="supervisor", url=crm_url)
    # The "admin" role arrives with the desk-trust change; the service takes the role it is given.
    return Staff(
        agent=Actor(a.id, "agent"),
        other_agent=Actor(b.id, "agent"),
        supervisor=Actor(s.id, "supervisor"),
        admin=Actor(s.id, "admin"),
    )


def sample_value(definition: FieldDef) -> Any:
    return {
        "text": f"{definition.name.upper()}-001",
        "money": "Rp1.500.000",
        "date": "2026-12-07",
        "number": "36",
        "choice": definition.choices[0].id if definition.choices else "",
    }[definition.type]


def sample_fields(stage: StageDef) -> dict[str, Any]:
    """Valid values for every field of ``stage`` (per-item fields: one list value)."""
    values: dict[str, Any] = {}
    for definition in stage.fields:
        if definition.per_item:
            values[definition.name] = [f"CERT-{i}" for i in range(1, 4)]
        else:
            values[definition.name] = sample_value(definition)
    return values


def force_stage(url: str, reference: str, stage: str, final: bool = False, **fields: Any) -> None:
    """Test set-up shortcut: put a case straight into ``stage``."""
    with session_scope(url) as session:
        case = session.execute(sa.select(Case).where(Case.reference == reference)).scalar_one()
        case.stage = stage
        case.is_open = not final
        case.fields = {**case.fields, **fields}


def case_row(url: str, reference: str) -> Case:
    with session_scope(url, readonly=True) as session:
        row = session.execute(sa.select(Case).where(Case.reference == reference)).scalar_one()
        session.expunge(row)
        return row


TODAY = date(2026, 12, 1)
