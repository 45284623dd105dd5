"""Saving confirmed flows: every field stored, once, under the conversation's own customer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.models import (
    CalibrationRequest,
    Complaint,
    Customer,
    CustomerIdentity,
    Feedback,
    FinancingRequest,
)
from bot.flows import calibration as cal
from bot.flows import complaints as cmp
from bot.flows import feedback as fb
from bot.flows import financing as fin
from bot.flows.base import Context
from bot.flows.records import (
    NoConsent,
    known_contact,
    save_calibration,
    save_complaint,
    save_feedback,
    save_financing,
)

CALIBRATION_STATE: dict[str, Any] = {
    cal.SERVICE_TYPE: "tera_ulang",
    cal.INSTRUMENTS: [
        {"type": "pressure_gauge", "spec": "analog", "quantity": 12},
        {"type": "timbangan analitik", "spec": "unknown", "quantity": 1},
    ],
    cal.LOCATION: "onsite",
    cal.SITE_ADDRESS: "Pabrik 2, Jl. Industri <b>5</b>; DROP TABLE x;--",
    cal.PREFERRED_DATE: "2026-12-05",
    cal.COMPANY: "PT Maju Jaya",
    cal.NAME: "Budi Santoso",
    cal.PHONE: "+6281234567890",
    cal.EMAIL: "budi@majujaya.co.id",
    cal.CONFIRM: True,
}


def _rows(model: Any) -> list:
    with session_scope(readonly=True) as session:
        return session.execute(sa.select(model).order_by(model.id)).scalars().all()


def test_calibration_is_stored_field_by_field_and_once(
    crm_url: str, ctx: Context, time_machine
) -> None:
    time_machine.move_to(
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Asia/Jakarta")), tick=False
    )
    ctx.customer_id = resolve_customer("socketio", "web-session-1").id
    first = save_calibration(ctx, CALIBRATION_STATE, "calibration:abc")
    again = save_calibration(ctx, CALIBRATION_STATE, "calibration:abc")  # a retried action call
    assert first.created and not again.created and again.reference == first.reference
    assert first.reference == "KAL-2026-000001"
    with session_scope(readonly=True) as session:
        rows = session.execute(sa.select(CalibrationRequest)).scalars().all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.reference, row.customer_id, row.status) == (
            first.reference,
            first.customer_id,
            "new",
        )
        assert (row.company_name, row.contact_name) == ("PT Maju Jaya", "Budi Santoso")
        assert (row.phone, row.email) == ("+6281234567890", "budi@majujaya.co.id")
        assert (row.service_type, row.service_location) == ("tera_ulang", "onsite")
        assert row.site_address == "Pabrik 2, Jl. Industri <b>5</b>; DROP TABLE x;--"
        assert row.preferred_date == date(2026, 12, 5)
        assert [(i.instrument_type, i.spec, i.quantity) for i in row.items] == [
            ("pressure_gauge", "analog", 12),
            ("timbangan analitik", None, 1),
        ]


def test_a_typed_contact_stays_on_the_request_and_touches_no_other_record(
    crm_url: str, ctx: Context
) -> None:
    whatsapp = resolve_customer("whatsapp", "6281234567890")  # the number's real owner
    with session_scope() as session:
        session.execute(
            sa.update(Customer)
            .where(Customer.id == whatsapp.id)
            .values(name="Siti", company="CV Lama")
        )
    web = resolve_customer("socketio", "web-session-2")  # someone typing that number
    ctx.customer_id = web.id
    saved = save_calibration(ctx, CALIBRATION_STATE, "calibration:def")
    assert saved.customer_id == web.id  # no merge without proof
    with session_scope(readonly=True) as session:
        customers = session.execute(sa.select(Customer).order_by(Customer.id)).scalars().all()
        assert [(c.id, c.name, c.company) for c in customers] == [
            (whatsapp.id, "Siti", "CV Lama"),
            (web.id, "Budi Santoso", "PT Maju Jaya"),
        ]
        identities = {
            (i.kind, i.value) for i in session.execute(sa.select(CustomerIdentity)).scalars()
        }
        assert identities == {("whatsapp", "+6281234567890"), ("web", "web-session-2")}
        request = session.execute(sa.select(CalibrationRequest)).scalar_one()
        assert (request.phone, request.email) == ("+6281234567890", "budi@majujaya.co.id")
    # Prefill: the owner's record shows only the owner's details; the typist's record only
    # its own name/company, never the unproven phone/e-mail.
    assert known_contact(whatsapp.id) == {
        "name": "Siti",
        "company": "CV Lama",
        "phone": "+6281234567890",
    }
    assert known_contact(web.id) == {"name": "Budi Santoso", "company": "PT Maju Jaya"}


def test_a_complaint_keeps_its_own_contact_snapshot(crm_url: str, ctx: Context) -> None:
    owner = resolve_customer("whatsapp", "6281234567890")
    ctx.customer_id = resolve_customer("socketio", "web-session-9").id
    state = {
        cmp.CATEGORY: "late_certificate",
        cmp.RELATED: cmp.NO_REFERENCE,
        cmp.DESCRIPTION: "Sertifikat belum dikirim",
        cmp.RESOLUTION: "Segera dikirim",
        cmp.SEVERITY: "medium",
        cmp.NAME: "Orang Lain",
        cmp.PHONE: "+6281234567890",
        cmp.CONFIRM: True,
    }
    saved = save_complaint(ctx, state, "complaint:snap")
    assert saved.customer_id == ctx.customer_id != owner.id
    row = _rows(Complaint)[0]
    assert (row.contact_name, row.contact_phone) == ("Orang Lain", "+6281234567890")
    assert _rows(Customer)[0].name is None  # the number's owner is untouched


FINANCING_STATE: dict[str, Any] = {
    fin.PRODUCT: "heavy_equipment",
    fin.CONDITION: "new",
    fin.AMOUNT: "1500000000",
    fin.DOWN_PAYMENT: "300000000",
    fin.TENOR: 36,
    fin.CITY: "Banjarmasin",
    fin.CONSENT: True,
    fin.NAME: "Andi Wijaya",
    fin.PHONE: "+6281322223333",
    fin.CONTACT_TIME: "morning",
    fin.CONFIRM: True,
}


def test_financing_is_stored_field_by_field(crm_url: str, ctx: Context) -> None:
    ctx.customer_id = resolve_customer("socketio", "web-session-3").id
    saved = save_financing(ctx, FINANCING_STATE, "financing:1")
    assert saved.reference.startswith("FIN-")
    (row,) = _rows(FinancingRequest)
    assert (row.reference, row.product_type, row.vehicle_condition) == (
        saved.reference,
        "heavy_equipment",
        "new",
    )
    assert (row.amount, row.down_payment, row.tenor_months) == (
        Decimal("1500000000"),
        Decimal("300000000"),
        36,
    )
    assert (row.city, row.name, row.phone) == ("Banjarmasin", "Andi Wijaya", "+6281322223333")
    assert (row.preferred_contact_time, row.consent) == ("Pagi (08.00–12.00)", True)
    assert row.consent_at is not None


def test_financing_without_consent_stores_nothing(crm_url: str, ctx: Context) -> None:
    ctx.customer_id = resolve_customer("socketio", "web-session-4").id
    with pytest.raises(NoConsent):
        save_financing(ctx, {**FINANCING_STATE, fin.CONSENT: False}, "financing:2")
    assert _rows(FinancingRequest) == []
    assert [i.kind for i in _rows(CustomerIdentity)] == ["web"]  # no phone attached either


def test_complaint_starts_at_the_first_goodman_stage(crm_url: str, ctx: Context) -> None:
    ctx.customer_id = resolve_customer("socketio", "web-session-5").id
    state = {
        cmp.CATEGORY: "wrong_invoice",
        cmp.RELATED: cmp.NO_REFERENCE,
        cmp.NAME: "Siti",
        cmp.PHONE: "+6281255556666",
        cmp.DESCRIPTION: "Nilai PPN di faktur salah",
        cmp.RESOLUTION: "Faktur direvisi",
        cmp.SEVERITY: "low",
        cmp.CONFIRM: True,
    }
    saved = save_complaint(ctx, state, "complaint:1")
    (row,) = _rows(Complaint)
    assert (row.reference, row.category, row.related_reference) == (
        saved.reference,
        "wrong_invoice",
        None,
    )
    assert (row.description, row.desired_resolution, row.severity, row.stage) == (
        "Nilai PPN di faktur salah",
        "Faktur direvisi",
        "low",
        "received",
    )


def test_feedback_is_stored_once_and_a_skip_stores_nothing(crm_url: str, ctx: Context) -> None:
    ctx.customer_id = resolve_customer("socketio", "web-session-6").id
    state = {
        fb.RATING: 5,
        fb.KIND: "pujian",
        fb.RECOMMEND: True,
        fb.COMMENT: "Cepat!",
        fb.REFERENCE: "KAL-2026-000001",
    }
    assert save_feedback(ctx, state, "feedback:1").created
    assert not save_feedback(ctx, state, "feedback:1").created
    assert save_feedback(ctx, {fb.SKIPPED: True}, "feedback:2") is None
    rows = _rows(Feedback)
    assert [
        (r.rating, r.kind, r.would_recommend, r.comment, r.related_reference) for r in rows
    ] == [(5, "pujian", True, "Cepat!", "KAL-2026-000001")]
