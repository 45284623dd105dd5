"""Fixtures for the flow tests. ``crm_url`` (SQLite and PostgreSQL) comes from the CRM tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.flows.base import Context
from bot.profile import get_profile
from tests.crm.conftest import (  # noqa: F401 - fixtures re-exported for this directory
    crm_url,
    postgres_admin_url,
    postgres_crm_url,
    sqlite_template,
)

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.fixture
def ctx() -> Context:
    return Context(language="id", today=TODAY, profile=get_profile())


@pytest.fixture
def ctx_en() -> Context:
    return Context(language="en", today=TODAY, profile=get_profile())


class Records:
    """Two customers with one record each, stored through the real CRM."""

    def __init__(self) -> None:
        from bot.crm.customers import resolve_customer
        from bot.crm.requests import create_calibration_request, create_financing_request
        from bot.crm.types import (
            CalibrationItemInput,
            CalibrationRequestInput,
            FinancingRequestInput,
        )

        # The owner writes on WhatsApp; her calibration request carries her number.
        self.owner = resolve_customer("whatsapp", "6281234567890")
        self.owner_phone = "+6281234567890"
        self.kal = create_calibration_request(
            self.owner.id,
            CalibrationRequestInput(
                company_name="PT Maju Jaya",
                contact_name="Budi",
                phone="0812-3456-7890",
                service_type="kalibrasi",
                service_location="lab",
                items=(
                    CalibrationItemInput(
                        instrument_type="pressure_gauge", quantity=2, spec="analog"
                    ),
                ),
            ),
            "test:owner:1",
        ).reference
        # Someone else, on the website, with a financing application.
        self.other = resolve_customer("rest", "web-visitor-2")
        self.other_phone = "+6281399998888"
        self.fin = create_financing_request(
            self.other.id,
            FinancingRequestInput(
                product_type="car",
                amount=Decimal("150000000"),
                name="Rina",
                phone="0813-9999-8888",
                consent=True,
            ),
            "test:other:1",
        ).reference


@pytest.fixture
def records(crm_url: str) -> Records:  # noqa: F811 - overrides the imported fixture
    return Records()
