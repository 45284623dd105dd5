"""Customers: one person recognised across channels only on proof."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bot.crm.complaints import create_complaint
from bot.crm.customers import (
    customer_overview,
    get_customer,
    remember_details,
    resolve_customer,
    verify_contact,
)
from bot.crm.db import session_scope
from bot.crm.feedback import record_feedback
from bot.crm.models import Conversation, Customer, CustomerIdentity
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


def _wa_customer_with_history(crm_url: str) -> tuple[int, str]:
    wa = resolve_customer("whatsapp", "6281234567890", url=crm_url)
    with session_scope(crm_url) as session:
        session.execute(
            sa.update(Customer).where(Customer.id == wa.id).values(name="Sari", company="PT Maju")
        )
    complaint = create_complaint(
        wa.id,
        ComplaintInput(
            category="late_certificate", description="Sertifikat telat", severity="medium"
        ),
        "wa:1",
        url=crm_url,
    )
    _open_conversation(crm_url, "6281234567890", "whatsapp", wa.id)
    return wa.id, str(complaint.reference)


def test_a_phone_typed_on_the_web_is_a_claim_and_links_nothing(crm_url: str) -> None:
    wa_id, complaint = _wa_customer_with_history(crm_url)
    web = resolve_customer("socketio", "browser-77", url=crm_url)
    # A stranger types the WhatsApp customer's number and another name in a form.
    mine = remember_details(web.id, name="Penipu", company="PT Palsu", url=crm_url)
    request = create_calibration_request(web.id, _calibration(), "web:1", url=crm_url)

    assert mine.id == web.id and (mine.name, mine.company) == ("Penipu", "PT Palsu")
    owner = get_customer(wa_id, url=crm_url)
    assert owner is not None and (owner.name, owner.company) == ("Sari", "PT Maju")
    assert resolve_customer("socketio", "browser-77", url=crm_url).id == web.id
    assert not reference_belongs_to(complaint, web.id, url=crm_url)
    # The number's proven owner may see a request made with their number; nothing more.
    assert reference_belongs_to(request.reference, wa_id, url=crm_url)
    overview = customer_overview(wa_id, url=crm_url)
    assert overview is not None
    assert {(i.kind, i.value) for i in overview.identities} == {("whatsapp", "+6281234567890")}
    assert overview.open_requests == ()
    # The typed number is kept on the request it was typed for, and only there.
    stranger = customer_overview(web.id, url=crm_url)
    assert stranger is not None and {i.kind for i in stranger.identities} == {"web"}


def test_proof_links_the_conversation_to_the_customer_who_proved_it_first(crm_url: str) -> None:
    wa_id, complaint = _wa_customer_with_history(crm_url)
    web = resolve_customer("socketio", "browser-77", url=crm_url)
    remember_details(web.id, name="Sari W.", url=crm_url)
    request = create_calibration_request(web.id, _calibration(), "web:1", url=crm_url)
    record_feedback(web.id, FeedbackInput(rating=5, kind="pujian"), "web:fb", url=crm_url)
    _open_conversation(crm_url, "browser-77", "socketio", web.id)

    with session_scope(crm_url) as session:  # what a code typed back does (bot/crm/identity)
        linked = verify_contact(session, web.id, "phone", "0812-3456-7890").id

    assert linked == wa_id
    owner = get_customer(wa_id, url=crm_url)
    assert owner is not None and owner.name == "Sari"  # the proven record keeps its details
    assert get_customer(web.id, url=crm_url) is None
    assert resolve_customer("socketio", "browser-77", url=crm_url).id == wa_id
    assert reference_belongs_to(request.reference, wa_id, url=crm_url)
    overview = customer_overview(wa_id, url=crm_url)
    assert overview is not None
    assert [r.reference for r in overview.open_requests] == [request.reference]
    assert [c.reference for c in overview.open_complaints] == [complaint]
    assert [f.rating for f in overview.recent_feedback] == [5]


def test_first_proof_of_an_email_makes_it_the_customers_and_links_later_provers(
    crm_url: str,
) -> None:
    first = resolve_customer("socketio", "laptop", url=crm_url)
    second = resolve_customer("socketio", "phone-browser", url=crm_url)
    with session_scope(crm_url) as session:
        assert verify_contact(session, first.id, "email", "Sari@Example.com").id == first.id
    with session_scope(crm_url) as session:
        assert verify_contact(session, second.id, "email", "sari@example.COM").id == first.id
    assert resolve_customer("socketio", "phone-browser", url=crm_url).id == first.id
    overview = customer_overview(first.id, url=crm_url)
    assert overview is not None
    assert ("email", "sari@example.com", True) in {
        (i.kind, i.value, i.verified) for i in overview.identities
    }


def test_an_old_unproven_claim_neither_links_nor_blocks_the_real_owner(crm_url: str) -> None:
    squatter = resolve_customer("socketio", "squatter", url=crm_url)
    with session_scope(crm_url) as session:  # a row stored from typed text before this rule
        session.add(CustomerIdentity(customer_id=squatter.id, kind="phone", value="+6281111112222"))
    # WhatsApp vouches for its sender, but a claim is no proof: not the squatter's record.
    wa = resolve_customer("whatsapp", "6281111112222", url=crm_url)
    assert wa.id != squatter.id
    owner = resolve_customer("socketio", "owner", url=crm_url)
    with session_scope(crm_url) as session:
        assert verify_contact(session, owner.id, "phone", "081111112222").id == wa.id


def test_whatsapp_sender_joins_the_customer_who_proved_the_number_by_code(crm_url: str) -> None:
    web = resolve_customer("socketio", "s1", url=crm_url)
    with session_scope(crm_url) as session:
        verify_contact(session, web.id, "phone", "+62 811-1111-2222")
    assert resolve_customer("whatsapp", "6281111112222", url=crm_url).id == web.id
    assert resolve_customer("twilio", "whatsapp:+6281111112222", url=crm_url).id == web.id


def test_remember_details_fills_blanks_only(crm_url: str) -> None:
    customer = resolve_customer("socketio", "s1", url=crm_url)
    assert remember_details(customer.id, name="Ani", url=crm_url).name == "Ani"
    again = remember_details(customer.id, name="Someone Else", company="PT X", url=crm_url)
    assert (again.name, again.company) == ("Ani", "PT X")


def test_verify_contact_rejects_invalid_phone(crm_url: str) -> None:
    customer = resolve_customer("socketio", "s1", url=crm_url)
    with pytest.raises(ValueError), session_scope(crm_url) as session:
        verify_contact(session, customer.id, "phone", "12")


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
    with session_scope(crm_url) as session:
        verify_contact(session, web.id, "phone", "081234567890")
    with session_scope(crm_url) as session:
        verify_contact(session, wa.id, "email", "rahasia@example.com")
    create_calibration_request(wa.id, _calibration(), "k", url=crm_url)
    text = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    assert "1234567890" not in text and "rahasia" not in text
    assert "linked customer" in caplog.text  # the link itself is logged, by id
