"""Migration 0008 gives every request captured before the back office its case."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from bot.crm.db import get_engine, session_scope
from bot.crm.migrate import upgrade
from bot.crm.models import (
    CalibrationRequest,
    Case,
    CaseEvent,
    Complaint,
    Customer,
    CustomerIdentity,
    FinancingRequest,
    Handoff,
)

WHEN = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def test_backfill_creates_a_case_per_existing_request(fresh_url: str) -> None:
    upgrade(fresh_url, "0003")
    with get_engine(fresh_url).begin() as connection:

        def insert(model: type, **values: object) -> None:
            connection.execute(model.__table__.insert().values(**values))  # type: ignore[attr-defined]

        insert(
            Customer,
            id=1,
            name="Rudi",
            company="CV Sinar",
            created_at=WHEN,
            updated_at=WHEN,
            first_seen=WHEN,
            last_seen=WHEN,
        )
        insert(
            CustomerIdentity, customer_id=1, kind="email", value="rudi@sinar.id", created_at=WHEN
        )
        insert(
            CalibrationRequest,
            reference="KAL-2026-000001",
            customer_id=1,
            company_name="PT Lama",
            contact_name="Ani",
            phone="+6281200001111",
            email="ani@lama.id",
            service_type="kalibrasi",
            service_location="lab",
            status="new",
            idempotency_key="a",
            created_at=WHEN,
            updated_at=WHEN,
        )
        insert(
            FinancingRequest,
            reference="FIN-2026-000001",
            customer_id=1,
            product_type="car",
            amount=Decimal("150000000.00"),
            name="Rudi",
            phone="+6281200002222",
            consent=True,
            consent_at=WHEN,
            status="new",
            idempotency_key="b",
            created_at=WHEN,
            updated_at=WHEN,
        )
        insert(
            Complaint,
            reference="CMP-2026-000001",
            customer_id=1,
            category="other",
            description="x",
            severity="high",
            stage="analysed",
            idempotency_key="c",
            created_at=WHEN,
            updated_at=WHEN,
        )
        insert(
            Handoff,
            reference="HOF-2026-000001",
            sender_id="w1",
            channel="socketio",
            customer_id=1,
            reason="no_agent",
            status="callback",
            captured_fields={},
            transcript=[],
            queued_at=WHEN,
            callback_channel="phone",
            idempotency_key="d",
            updated_at=WHEN,
        )
        insert(
            Handoff,
            reference="HOF-2026-000002",
            sender_id="w2",
            channel="socketio",
            customer_id=1,
            reason="chat",
            status="closed",
            captured_fields={},
            transcript=[],
            queued_at=WHEN,
            idempotency_key="e",
            updated_at=WHEN,
        )
    upgrade(fresh_url)
    with session_scope(fresh_url, readonly=True) as session:
        cases = {c.reference: c for c in session.execute(sa.select(Case)).scalars()}
        events = session.execute(sa.select(sa.func.count()).select_from(CaseEvent)).scalar_one()
    assert set(cases) == {
        "KAL-2026-000001",
        "FIN-2026-000001",
        "CMP-2026-000001",
        "HOF-2026-000001",
    }
    kal, fin, cmp_, hof = (
        cases[r] for r in sorted(cases, key=lambda r: ["KAL", "FIN", "CMP", "HOF"].index(r[:3]))
    )
    assert (kal.type, kal.stage, kal.company, kal.email, kal.fields["service_location"]) == (
        "calibration",
        "received",
        "PT Lama",
        "ani@lama.id",
        "lab",
    )
    assert kal.created_at == WHEN and kal.due_at is not None
    assert "0812" in kal.search_text
    assert (fin.stage, fin.amount) == ("received", Decimal("150000000.00"))
    assert (cmp_.stage, cmp_.severity, cmp_.company, cmp_.email) == (
        "analysed",
        "high",
        "CV Sinar",
        "rudi@sinar.id",
    )
    assert (hof.type, hof.stage, hof.is_open, hof.handoff_id is not None) == (
        "callback",
        "open",
        True,
        True,
    )
    assert events == 4
