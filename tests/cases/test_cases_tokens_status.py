"""API tokens, the customer's status view, and the case written with its request."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.cases.api_tokens import create_token, list_tokens, revoke_token, verify_token
from bot.cases.errors import FieldErrors, Forbidden
from bot.cases.status_view import status_view
from bot.cases.transition import next_stages, transition
from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.models import ApiToken, Case, CaseEvent
from bot.crm.requests import create_calibration_request
from bot.crm.types import CalibrationItemInput, CalibrationRequestInput
from bot.profile import get_profile
from tests.cases.helpers import Staff, calibration, case_row, financing, force_stage, sample_fields


class TestApiTokens:
    def test_admin_creates_a_token_shown_once_and_stored_hashed(
        self, crm_url: str, staff: Staff
    ) -> None:
        with pytest.raises(Forbidden):
            create_token("ERP", "write", actor=staff.supervisor, url=crm_url)
        with pytest.raises(FieldErrors):
            create_token("ERP", "admin", actor=staff.admin, url=crm_url)
        new = create_token("Accounting ERP", "write", actor=staff.admin, url=crm_url)
        assert new.token.startswith("lyn_") and len(new.token) > 40
        with session_scope(crm_url, readonly=True) as session:
            stored = session.execute(sa.select(ApiToken)).scalar_one()
            assert stored.token_hash == hashlib.sha256(new.token.encode()).hexdigest()
            assert new.token not in {stored.token_hash, stored.prefix, stored.name}
        assert [t.name for t in list_tokens(actor=staff.admin, url=crm_url)] == ["Accounting ERP"]
        assert new.token not in repr(new)

    def test_verify_scope_last_used_and_revoke(self, crm_url: str, staff: Staff) -> None:
        writer = create_token("ERP", "write", actor=staff.admin, url=crm_url)
        reader = create_token("BI", "read", actor=staff.admin, url=crm_url)
        now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
        found = verify_token(writer.token, url=crm_url, now=now)
        assert found is not None and found.actor.read_only is False
        assert found.actor.id == staff.supervisor.id  # acts as its creator
        assert verify_token(reader.token, url=crm_url).actor.read_only is True
        assert list_tokens(actor=staff.admin, url=crm_url)[0].last_used_at == now
        assert verify_token(writer.token + "x", url=crm_url) is None
        assert verify_token("Bearer nonsense", url=crm_url) is None
        reference = calibration(crm_url)
        with pytest.raises(Forbidden):
            transition(
                reference,
                "cancelled",
                {"reason": "x"},
                actor=verify_token(reader.token, url=crm_url).actor,
                url=crm_url,
            )
        revoke_token(writer.record.id, actor=staff.admin, url=crm_url)
        assert verify_token(writer.token, url=crm_url) is None
        assert verify_token(reader.token, url=crm_url) is not None


class TestStatusView:
    def test_new_request_tells_the_next_step_and_its_deadline(self, crm_url: str) -> None:
        reference = calibration(crm_url)
        # 1 Dec 2026 09:00 WIB (Tuesday): quotation within 2 working days -> Thursday 3 Dec.
        with session_scope(crm_url) as session:
            moment = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
            case = session.execute(sa.select(Case).where(Case.reference == reference)).scalar_one()
            case.stage_changed_at = case.created_at = moment
            case.due_at = moment + timedelta(days=2)
        view = status_view(reference, "id", url=crm_url, now=datetime(2026, 12, 1, 5, tzinfo=UTC))
        assert view.stage_label == "Diterima"
        assert view.text == (
            f"Status Permintaan kalibrasi {reference}: Diterima (sejak 1 Desember 2026 pukul 09.00 WIB).\n"
            "Langkah berikutnya: penawaran dikirim ke email maks. 2 hari kerja (paling lambat 3 Desember 2026)."
        )
        english = status_view(
            reference, "en", url=crm_url, now=datetime(2026, 12, 1, 5, tzinfo=UTC)
        )
        assert english.text.splitlines()[1] == (
            "Next step: the quotation is e-mailed within 2 working days (by 3 December 2026)."
        )
        late = status_view(reference, "id", url=crm_url, now=datetime(2026, 12, 9, tzinfo=UTC))
        assert "mohon maaf atas keterlambatannya" in late.text

    def test_certificates_and_expiry_after_completion(self, crm_url: str, staff: Staff) -> None:
        reference = calibration(crm_url, lines=2)
        force_stage(crm_url, reference, "invoiced")
        lines = [
            f.name
            for s in next_stages(reference, actor=staff.agent, url=crm_url)
            for f in s.fields
            if f.name.startswith("certificate_number.")
        ]
        transition(
            reference,
            "certificate_issued",
            {**{name: f"SK-{i}" for i, name in enumerate(lines, 1)}, "issue_date": "2026-12-07"},
            actor=staff.supervisor,
            url=crm_url,
        )
        transition(reference, "completed", actor=staff.supervisor, url=crm_url)
        view = status_view(reference, "id", url=crm_url)
        assert view.final and view.next_step is None
        assert [(d.label, d.value) for d in view.details] == [
            ("Nomor sertifikat (pressure gauge / manometer (digital) ×2)", "SK-1"),
            ("Nomor sertifikat (termometer (digital) ×3)", "SK-2"),
            ("Berlaku sampai", "7 Desember 2027"),
        ]
        english = status_view(reference, "en", url=crm_url)
        assert "Completed" in english.text and "Valid until: 7 December 2027" in english.text

    def test_approved_financing_shows_instalment_and_first_due_date(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference = financing(crm_url, language="en")
        force_stage(crm_url, reference, "survey_done")
        transition(
            reference,
            "approved",
            {
                "amount_financed": "120000000",
                "tenor_months": "36",
                "monthly_instalment": "Rp4.250.000",
                "first_due_date": "2027-01-15",
            },
            actor=staff.supervisor,
            url=crm_url,
        )
        view = status_view(reference, "en", url=crm_url)
        assert view.stage_label == "Approved"
        # The kind reads as part of the English sentence, not as a capitalised heading.
        assert view.text.startswith(f"Status of financing application {reference}: Approved (since")
        assert [(d.label, d.value) for d in view.details] == [
            ("Monthly instalment", "IDR 4,250,000"),
            ("First due date", "15 January 2027"),
        ]
        indonesian = status_view(reference, "id", url=crm_url)
        assert "Angsuran per bulan: Rp4.250.000" in indonesian.text
        assert "Jatuh tempo pertama: 15 Januari 2027" in indonesian.text

    def test_unknown_reference(self, crm_url: str) -> None:
        assert status_view("KAL-2026-999999", "id", url=crm_url) is None


def test_the_case_is_written_with_its_request_exactly_once(crm_url: str) -> None:
    customer = resolve_customer("socketio", "once-1", url=crm_url)
    data = CalibrationRequestInput(
        company_name="PT Sekali",
        contact_name="Ani",
        phone="0812 0000 1111",
        service_type="kalibrasi",
        service_location="lab",
        items=(CalibrationItemInput("scale", 1),),
    )
    first = create_calibration_request(
        customer.id, data, "same-key", channel="socketio", url=crm_url
    )
    again = create_calibration_request(
        customer.id, data, "same-key", channel="socketio", url=crm_url
    )
    assert first.reference == again.reference and again.created is False
    with session_scope(crm_url, readonly=True) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Case)).scalar_one() == 1
        assert session.execute(sa.select(sa.func.count()).select_from(CaseEvent)).scalar_one() == 1
    row = case_row(crm_url, first.reference)
    assert (row.type, row.stage, row.company, row.contact_name, row.phone) == (
        "calibration",
        "received",
        "PT Sekali",
        "Ani",
        "+6281200001111",
    )
    assert row.due_at is not None and row.channel == "socketio"


def test_a_failed_case_write_rolls_the_request_back(
    crm_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.cases.register as register

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("case table unavailable")

    monkeypatch.setattr(register, "search_haystack", broken)
    customer = resolve_customer("socketio", "once-2", url=crm_url)
    data = CalibrationRequestInput(
        company_name="PT Gagal",
        contact_name="Ani",
        phone="0812 0000 1111",
        service_type="kalibrasi",
        service_location="lab",
        items=(CalibrationItemInput("scale", 1),),
    )
    with pytest.raises(RuntimeError):
        create_calibration_request(customer.id, data, "k-2", url=crm_url)
    from bot.crm.requests import get_calibration_request

    with session_scope(crm_url, readonly=True) as session:
        assert (
            session.execute(sa.text("SELECT count(*) FROM calibration_requests")).scalar_one() == 0
        )
    assert get_calibration_request("KAL-2026-000001", url=crm_url) is None


def test_sample_fields_cover_every_stage() -> None:
    # Guards the test helper itself: every field type of the shipped profile has a sample.
    for pipeline in get_profile().pipelines.values():
        for stage in pipeline.stages.values():
            sample_fields(stage)


def test_cases_follow_their_customer_when_two_records_merge(crm_url: str) -> None:
    from bot.crm.customers import verify_contact

    older = resolve_customer("whatsapp", "6281277778888", url=crm_url)
    web = resolve_customer("socketio", "merge-web", url=crm_url)
    data = CalibrationRequestInput(
        company_name="PT Gabung",
        contact_name="Ani",
        phone="0812 7777 8888",
        service_type="kalibrasi",
        service_location="lab",
        items=(CalibrationItemInput("scale", 1),),
    )
    reference = create_calibration_request(web.id, data, "merge-1", url=crm_url).reference
    # The web customer PROVES (one-time code) the number already known from WhatsApp: the
    # younger web record is folded into the older one, and its case goes with it.
    with session_scope(crm_url) as session:
        survivor_id = verify_contact(session, web.id, "phone", "0812 7777 8888").id
    assert survivor_id == older.id != web.id
    assert case_row(crm_url, reference).customer_id == older.id
