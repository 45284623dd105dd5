"""Customers: one person recognised across channels."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bot.crm.complaints import create_complaint
from bot.crm.customers import attach_contact, customer_overview, get_customer, resolve_customer
from bot.crm.db import session_scope
from bot.crm.feedback import record_feedback
from bot.crm.models import Conversation, Customer
from bot.crm.requests import create_calibration_request, create_financing_request
from bot.crm.sqltypes import utcnow
from bot.crm.status import reference_belongs_to
from bot.crm.types import (
    CalibrationItemInput,
    CalibrationRequestInput,
    ComplaintInput,
    FeedbackInput,
    FinancingRequestInput,
)


def _open_conversation(url: str, sender_id: str, channel: str, customer_id: int) -> None:
    now = utcnow()
    with session_scope(url) as session:
        session.add(
            Conversation(
                sender_id=sender_id,
                channel=channel,
                customer_id=customer_id,
                created_at=now,
                last_activity_at=now,
            )
        )


def _calibration() -> CalibrationRequestInput:
    return CalibrationRequestInput(
        company_name="PT Maju",
        contact_name="Sari",
        phone="081234567890",
        service_type="tera",
        service_location="lab",
        items=(CalibrationItemInput(instrument_type="timbangan", quantity=2),),
    )


def test_resolve_is_stable_per_channel_identity(crm_url: str) -> None:
    first = resolve_customer("socketio", "session-a", url=crm_url)
    assert resolve_customer("socketio", "session-a", url=crm_url).id == first.id
    assert resolve_customer("socketio", "session-b", url=crm_url).id != first.id
    # WhatsApp ids with or without '+' or Twilio's prefix are one number.
    wa = resolve_customer("whatsapp", "6281234567890", url=crm_url)
    assert resolve_customer("twilio", "whatsapp:+6281234567890", url=crm_url).id == wa.id


def test_racing_first_messages_create_one_customer(crm_url: str, race) -> None:
    ids = race(lambda _: resolve_customer("whatsapp", "6281299990000", url=crm_url).id, 8)
    assert len(set(ids)) == 1
    with session_scope(crm_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one() == 1


def test_phone_given_on_web_merges_with_the_whatsapp_customer(crm_url: str) -> None:
    wa = resolve_customer("whatsapp", "6281234567890", url=crm_url)
    complaint = create_complaint(
        wa.id,
        ComplaintInput(
            category="late_certificate", description="Sertifikat telat", severity="medium"
        ),
        "wa:1",
        url=crm_url,
    )
    _open_conversation(crm_url, "6281234567890", "whatsapp", wa.id)

    web = resolve_customer("socketio", "browser-77", url=crm_url)
    request = create_calibration_request(web.id, _calibration(), "web:1", url=crm_url)
    record_feedback(web.id, FeedbackInput(rating=5, kind="pujian"), "web:fb", url=crm_url)
    _open_conversation(crm_url, "browser-77", "socketio", web.id)

    merged = attach_contact(
        web.id, phone="0812-3456-7890", name="Sari", company="PT Maju", url=crm_url
    )

    assert merged.id == wa.id  # the older record survives
    assert (merged.name, merged.company) == ("Sari", "PT Maju")
    assert get_customer(web.id, url=crm_url) is None
    assert resolve_customer("socketio", "browser-77", url=crm_url).id == wa.id
    assert reference_belongs_to(request.reference, wa.id, url=crm_url)
    assert reference_belongs_to(complaint.reference, wa.id, url=crm_url)
    overview = customer_overview(wa.id, url=crm_url)
    assert {(i.kind, i.value) for i in overview.identities} == {
        ("whatsapp", "+6281234567890"),
        ("web", "browser-77"),
    }
    assert [r.reference for r in overview.open_requests] == [request.reference]
    assert [c.reference for c in overview.open_complaints] == [complaint.reference]
    assert [f.rating for f in overview.recent_feedback] == [5]
    with session_scope(crm_url) as session:
        owners = set(session.execute(sa.select(Conversation.customer_id)).scalars())
    assert owners == {wa.id}


def test_email_links_two_web_sessions_and_is_matched_case_insensitively(crm_url: str) -> None:
    first = resolve_customer("socketio", "laptop", url=crm_url)
    attach_contact(first.id, email="Sari@Example.com", url=crm_url)
    second = resolve_customer("socketio", "phone-browser", url=crm_url)
    merged = attach_contact(second.id, email="sari@example.COM", url=crm_url)
    assert merged.id == first.id
    assert resolve_customer("socketio", "phone-browser", url=crm_url).id == first.id


def test_attach_contact_without_conflict_adds_identities(crm_url: str) -> None:
    customer = resolve_customer("socketio", "s1", url=crm_url)
    same = attach_contact(customer.id, phone="+62 811-1111-2222", email="a@b.co", url=crm_url)
    assert same.id == customer.id
    kinds = {(i.kind, i.value) for i in customer_overview(customer.id, url=crm_url).identities}
    assert ("phone", "+6281111112222") in kinds and ("email", "a@b.co") in kinds


def test_attach_contact_rejects_invalid_phone(crm_url: str) -> None:
    customer = resolve_customer("socketio", "s1", url=crm_url)
    with pytest.raises(ValueError):
        attach_contact(customer.id, phone="12", url=crm_url)


def test_overview_lists_only_open_records(crm_url: str) -> None:
    customer = resolve_customer("socketio", "s1", url=crm_url)
    financing = create_financing_request(
        customer.id,
        FinancingRequestInput(
            product_type="motorcycle",
            amount=Decimal("25000000"),
            name="Ani",
            phone="081234567890",
            consent=True,
        ),
        "k-fin",
        url=crm_url,
    )
    done = create_calibration_request(customer.id, _calibration(), "k-done", url=crm_url)
    with session_scope(crm_url) as session:
        session.execute(
            sa.text("UPDATE calibration_requests SET status = 'completed' WHERE reference = :r"),
            {"r": done.reference},
        )
    overview = customer_overview(customer.id, url=crm_url)
    assert [r.reference for r in overview.open_requests] == [financing.reference]
    assert "Rp25.000.000" in overview.open_requests[0].summary


def test_contact_details_never_reach_the_logs(
    crm_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wa = resolve_customer("whatsapp", "6281234567890", url=crm_url)
    web = resolve_customer("socketio", "b", url=crm_url)
    attach_contact(web.id, phone="081234567890", email="rahasia@example.com", url=crm_url)
    create_calibration_request(wa.id, _calibration(), "k", url=crm_url)
    text = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    assert "1234567890" not in text and "rahasia" not in text
    assert "merged customer" in caplog.text  # the merge itself is logged, by id
