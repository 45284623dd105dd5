"""Status look-ups, ownership checks, and feedback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.crm.complaints import advance_stage, create_complaint
from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.feedback import record_feedback
from bot.crm.models import Feedback
from bot.crm.requests import create_calibration_request
from bot.crm.status import StatusAccess, access, find_by_reference, reference_belongs_to
from bot.crm.types import (
    CalibrationItemInput,
    CalibrationRequestInput,
    ComplaintInput,
    FeedbackInput,
)


def _calibration_for(url: str, sender: str) -> tuple:
    customer = resolve_customer("socketio", sender, url=url)
    data = CalibrationRequestInput(
        company_name="PT A",
        contact_name="B",
        phone="081234567890",
        service_type="kalibrasi",
        service_location="lab",
        items=(CalibrationItemInput(instrument_type="gauge", quantity=1),),
    )
    return customer, create_calibration_request(customer.id, data, f"{sender}:1", url=url).reference


def test_find_by_reference_for_each_kind(crm_url: str) -> None:
    customer, kal = _calibration_for(crm_url, "owner")
    cmp_ref = create_complaint(
        customer.id,
        ComplaintInput(category="other", description="d", severity="low"),
        "o:2",
        url=crm_url,
    ).reference
    advance_stage(cmp_ref, "identified", url=crm_url)

    status = find_by_reference(f"  {kal.lower()} ", url=crm_url)
    assert (status.kind, status.reference, status.status) == ("calibration", kal, "new")
    assert status.customer_id == customer.id and status.phone_on_record == "+6281234567890"
    assert status.updated_at.utcoffset().total_seconds() == 0

    complaint = find_by_reference(cmp_ref, url=crm_url)
    assert (complaint.kind, complaint.status) == ("complaint", "identified")
    assert find_by_reference("KAL-2026-999999", url=crm_url) is None
    assert find_by_reference("hello", url=crm_url) is None


def test_ownership_by_identity_not_by_knowing_the_phone(crm_url: str) -> None:
    owner, kal = _calibration_for(crm_url, "owner")
    stranger = resolve_customer("socketio", "stranger", url=crm_url)
    assert reference_belongs_to(kal, owner.id, url=crm_url)
    assert not reference_belongs_to(kal, stranger.id, url=crm_url)
    assert not reference_belongs_to("KAL-2026-999999", stranger.id, url=crm_url)
    seen = access(kal, stranger.id, url=crm_url)
    assert (seen.exists, seen.owner) == (True, False)
    # Offered for a code, masked: the stranger never gets the number itself.
    assert [(o.kind, o.masked) for o in seen.options] == [("phone", "08**-****-7890")]
    assert access("KAL-2026-999999", stranger.id, url=crm_url) == StatusAccess(False, False)


def test_complaint_phone_on_record_comes_from_the_whatsapp_identity(crm_url: str) -> None:
    customer = resolve_customer("whatsapp", "6281355550000", url=crm_url)
    reference = create_complaint(
        customer.id,
        ComplaintInput(category="other", description="d", severity="low"),
        "wa:1",
        url=crm_url,
    ).reference
    assert find_by_reference(reference, url=crm_url).phone_on_record == "+6281355550000"
    assert access(reference, customer.id, url=crm_url).owner


def test_feedback_is_recorded_once(crm_url: str) -> None:
    customer = resolve_customer("socketio", "fb", url=crm_url)
    data = FeedbackInput(
        rating=4, kind="saran", would_recommend=True, comment="Balas lebih cepat ya"
    )
    first = record_feedback(customer.id, data, "fb:1", url=crm_url)
    again = record_feedback(customer.id, data, "fb:1", url=crm_url)
    assert first.created and not again.created and again.id == first.id
    with session_scope(crm_url) as session:
        rows = session.execute(sa.select(Feedback)).scalars().all()
        assert [(r.rating, r.kind, r.would_recommend, r.comment) for r in rows] == [
            (4, "saran", True, "Balas lebih cepat ya")
        ]


@pytest.mark.parametrize(
    "data",
    [FeedbackInput(rating=0), FeedbackInput(rating=6), FeedbackInput(rating=3, kind="marah")],
)
def test_invalid_feedback_is_refused(crm_url: str, data: FeedbackInput) -> None:
    customer = resolve_customer("socketio", "fb", url=crm_url)
    with pytest.raises(ValueError):
        record_feedback(customer.id, data, "fb:bad", url=crm_url)


def test_rating_check_constraint_guards_the_table_too(crm_url: str) -> None:
    customer = resolve_customer("socketio", "fb", url=crm_url)
    with pytest.raises(sa.exc.IntegrityError), session_scope(crm_url) as session:
        session.add(Feedback(customer_id=customer.id, rating=9, idempotency_key="raw"))
        session.flush()
