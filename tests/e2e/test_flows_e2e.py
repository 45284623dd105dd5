"""Each transactional flow end to end over HTTP: REST channel -> Rasa -> action server -> CRM.

Uses the session's stack (trained model, `rasa run`, action server, fresh SQLite CRM) and
asserts the stored rows field by field. The restart test stops and starts both servers in
the middle of a form and expects the form to carry on from the SQL tracker store, on SQLite
and on PostgreSQL. A second stack, on PostgreSQL, has a recording proxy in front of its
action server, so a test can deliver the very same action call twice.

The servers read "today" (Asia/Jakarta) with the real clock, in their own process: a test
reads it right before and right after the message whose date the server computes, and
accepts the date of either reading (they differ only when the message crossed midnight).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.profile import get_profile
from tests.e2e.flow_chat import ActionServerRecorder, Chat, references_in, rows
from tests.fixtures.databases import (
    BOTH_DATABASES,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)

pytestmark = pytest.mark.model


def _today() -> date:
    return get_profile().local_now().date()


def say_dated(chat: Chat, text: str, days_ahead: int) -> set[str]:
    """Send ``text`` (a relative date); the dates it may mean: today + ``days_ahead`` as read
    right before and right after the server handled it."""
    before = _today()
    chat.say(text)
    after = _today()
    return {str(day + timedelta(days=days_ahead)) for day in (before, after)}


@pytest.fixture(scope="module")
def postgres_stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, stack_factory: Any
) -> Iterator[tuple[Any, ActionServerRecorder]]:
    """A stack of its own on a throw-away PostgreSQL database (CRM and tracker store), Rasa
    calling its action server through a recording proxy."""
    require_postgres()
    url = create_postgres_database("e2e_test")
    processes = stack_factory(trained_model, url, tmp_path_factory.mktemp("pg-stack"))
    recorder = ActionServerRecorder(processes.stack.action_url)
    processes.env["ACTION_ENDPOINT_URL"] = f"{recorder.url}/webhook"
    try:
        processes.start()
        yield processes, recorder
    finally:
        processes.stop()
        recorder.close()
        drop_postgres_database(url)


def test_calibration_request_is_stored_once_with_every_field(stack) -> None:
    chat = Chat(stack)
    reply = chat.say("mau kalibrasi 12 pressure gauge di pabrik Cikarang")
    # Type, quantity and location came with the first message: only the spec is asked.
    assert "digital atau analog" in reply
    chat.click("Analog")
    assert "alat lain" in chat.text
    chat.click("Ya, tambah")
    assert "Alat ukur apa" in chat.text
    chat.say("5 termometer digital")
    assert "alat lain" in chat.text
    chat.click("Tidak, itu saja")
    assert "di Cikarang" in chat.text  # the site address is asked, with the city already known
    chat.say("Pabrik 2, Jl. Industri Raya No. 5, Cikarang Utara")
    chat.say("01/01/2020")
    assert "sudah lewat" in chat.text  # asked again, with the reason
    tomorrow = say_dated(chat, "besok", 1)
    assert "perusahaan" in chat.text.lower()
    chat.say("jam buka kantornya kapan ya?")  # a FAQ question in the middle of the form
    assert "Senin" in chat.text and chat.text.strip().endswith(
        "Nama perusahaan/instansi Bapak/Ibu?"
    )
    chat.say("PT Maju <b>Jaya</b>")
    chat.say("Budi Santoso")
    chat.say("0812-3456-7890")
    chat.say("budi@majujaya")
    assert "email itu belum valid" in chat.text
    chat.say("budi@majujaya.co.id")
    summary = chat.text
    for expected in (
        "12 × pressure gauge / manometer (analog)",
        "5 × termometer (digital)",
        "PT Maju <b>Jaya</b>",
        "+6281234567890",
        "budi@majujaya.co.id",
    ):
        assert expected in summary
    chat.click("Ya, kirim")
    reference = chat.reference()
    assert reference.startswith("KAL-") and "hari kerja" in chat.text
    stored = rows(stack.database_url, "calibration_requests")
    assert len(stored) == 1
    row = stored[0]
    assert row["reference"] == reference and row["status"] == "new"
    assert (row["company_name"], row["contact_name"]) == ("PT Maju <b>Jaya</b>", "Budi Santoso")
    assert (row["phone"], row["email"]) == ("+6281234567890", "budi@majujaya.co.id")
    assert (row["service_type"], row["service_location"]) == ("kalibrasi", "onsite")
    assert row["site_address"] == "Pabrik 2, Jl. Industri Raya No. 5, Cikarang Utara"
    assert str(row["preferred_date"]) in tomorrow
    items = rows(stack.database_url, "calibration_request_items", request_id=row["id"])
    assert [(i["instrument_type"], i["spec"], i["quantity"]) for i in items] == [
        ("pressure_gauge", "analog", 12),
        ("thermometer", "digital", 5),
    ]


def test_financing_application_in_english(stack) -> None:
    chat = Chat(stack)
    chat.say("Hello, I would like to apply for car financing please")
    assert "new or used" in chat.text
    chat.click("New")
    chat.say("200 million")
    assert "down payment" in chat.text and "IDR 40,000,000" in chat.text
    chat.say("10 million")
    assert "between IDR 40,000,000 and IDR 100,000,000" in chat.text
    chat.say("25%")
    chat.click("36 months")
    chat.say("Surabaya")
    assert "Do you agree" in chat.text
    chat.click("I agree")
    chat.say("Andi Wijaya")
    chat.say("+62 813 2222 3333")
    chat.click("Late afternoon")
    assert "IDR 200,000,000" in chat.text and "36 months (3 years)" in chat.text
    chat.click("Yes, submit")
    reference = chat.reference()
    assert reference.startswith("FIN-") and "We have received your application" in chat.text
    (row,) = rows(stack.database_url, "financing_requests", reference=reference)
    assert (row["product_type"], row["vehicle_condition"], row["tenor_months"]) == (
        "car",
        "new",
        36,
    )
    assert Decimal(str(row["amount"])) == Decimal("200000000")
    assert Decimal(str(row["down_payment"])) == Decimal("50000000")
    assert (row["city"], row["name"], row["phone"]) == ("Surabaya", "Andi Wijaya", "+6281322223333")
    assert (row["preferred_contact_time"], bool(row["consent"])) == ("Sore (15.00–18.00)", True)


def test_financing_without_consent_stores_nothing(stack) -> None:
    chat = Chat(stack)
    before = len(rows(stack.database_url, "financing_requests"))
    chat.say("mau ajukan kredit motor baru")
    chat.say("25 juta")
    chat.say("5 juta")
    chat.click("24 bulan")
    chat.say("Medan")
    chat.click("Tidak setuju")
    assert "tidak ada data yang kami simpan" in chat.text
    assert len(rows(stack.database_url, "financing_requests")) == before


def test_cancel_in_the_middle_saves_nothing(stack) -> None:
    chat = Chat(stack)
    before = len(rows(stack.database_url, "calibration_requests"))
    chat.say("saya mau minta penawaran kalibrasi timbangan")
    chat.click("Digital")
    chat.say("batal saja")
    assert "dibatalkan" in chat.text
    assert len(rows(stack.database_url, "calibration_requests")) == before


def _saved_calibration(chat: Chat) -> str:
    chat.say("mau tera ulang 3 timbangan digital, dikirim ke lab")
    if "Layanan apa" in chat.text:
        chat.click("Tera ulang")
    for _ in range(12):
        text = chat.text
        if "Sudah benar" in text:
            break
        if "alat lain" in text:
            chat.click("Tidak, itu saja")
        elif "digital atau analog" in text:
            chat.click("Digital")
        elif "Berapa unit" in text:
            chat.say("3")
        elif "on-site" in text:
            chat.click("laboratorium")
        elif "jadwal" in text:
            chat.say("minggu depan")
        elif "perusahaan" in text.lower():
            chat.say("CV Timbang Tepat")
        elif "siapa saya berbicara" in text:
            chat.say("Siti Aminah")
        elif "telepon/WhatsApp" in text:
            chat.say("0812 7777 8888")
        elif "email" in text.lower():
            chat.say("siti@timbangtepat.id")
        else:
            raise AssertionError(f"unexpected question: {text!r}")
    chat.click("Ya, kirim")
    return chat.reference()


def test_complaint_with_own_reference_and_urgent_severity(stack) -> None:
    chat = Chat(stack)
    kal = _saved_calibration(chat)
    chat.say("saya mau komplain")
    assert "Keluhannya tentang apa" in chat.text
    chat.click("Sertifikat/dokumen terlambat")
    chat.say("KAL-2026-999999")  # not theirs / not existing: refused
    assert "tidak kami temukan" in chat.text
    chat.say(kal.lower())
    assert "ceritakan" in chat.text
    description = "Sertifikat belum dikirim padahal sudah 3 minggu; <script>alert(1)</script>"
    chat.say(description)
    chat.say("Dikirim hari ini juga")
    chat.click("Berat")
    chat.click("Ya, kirim")
    reference = chat.reference()
    assert reference.startswith("CMP-")
    assert any(b["payload"] == "/request_human" for b in chat.buttons)  # a human is offered at once
    (row,) = rows(stack.database_url, "complaints", reference=reference)
    assert (row["category"], row["related_reference"], row["severity"]) == (
        "late_certificate",
        kal,
        "high",
    )
    assert (
        row["description"] == description and row["desired_resolution"] == "Dikirim hari ini juga"
    )
    assert row["stage"] == "received"


def test_status_is_shown_only_to_its_owner(stack) -> None:
    owner = Chat(stack)
    kal = _saved_calibration(owner)
    owner.say(f"cek status {kal}")
    # The back-office case's real stage, since when, and the next step from the profile.
    assert f"Status Permintaan kalibrasi {kal}: Diterima (sejak " in owner.text
    assert "Langkah berikutnya: penawaran dikirim ke email maks. 2 hari kerja" in owner.text

    stranger = Chat(stack)
    stranger.say(f"tolong cek status {kal}")
    # Knowing the reference (and maybe the phone) is not enough: a code is offered,
    # to the number on record, masked.
    offered = " ".join(str(b.get("title")) for b in stranger.buttons)
    assert "kode verifikasi" in stranger.text and "Status Permintaan" not in stranger.text
    assert "WhatsApp 08**-****-8888" in offered and "7777" not in stranger.text + offered
    stranger.say("0812 7777 8888")  # typing the phone on record proves nothing
    assert "Status Permintaan" not in stranger.text
    stranger.say('/inform{"choice": "no"}')
    assert "tidak dapat kami tampilkan" in stranger.text

    other = Chat(stack)
    other.say("tolong cek status KAL-2026-999999")
    assert "tidak dapat menampilkan status" in other.text

    english = Chat(stack)
    english.say(f"what is the status of {kal}?")
    offered = " ".join(str(b.get("title")) for b in english.buttons)
    assert "08**-****-8888" in offered and "verification code" in english.text
    assert "Status of" not in english.text


def test_feedback_after_a_saved_request(stack) -> None:
    chat = Chat(stack)
    kal = _saved_calibration(chat)
    assert "penilaian" in chat.text
    chat.click("4 ★★★★")
    chat.click("Saran")
    chat.click("Ya")
    chat.say("Kabari lewat WA kalau penawaran sudah dikirim ke email")
    assert "Terima kasih atas penilaian" in chat.text
    (row,) = rows(stack.database_url, "feedback", related_reference=kal)
    assert (row["rating"], row["kind"], bool(row["would_recommend"])) == (4, "saran", True)
    assert row["comment"] == "Kabari lewat WA kalau penawaran sudah dikirim ke email"


def test_feedback_offer_can_be_skipped(stack) -> None:
    chat = Chat(stack)
    kal = _saved_calibration(chat)
    chat.click("Lewati")
    assert "tidak apa-apa" in chat.text
    assert rows(stack.database_url, "feedback", related_reference=kal) == []


@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_a_form_resumes_after_both_servers_restart(request, database: str) -> None:
    if database == "sqlite":
        stack_processes = request.getfixturevalue("stack_processes")
    else:
        stack_processes, _ = request.getfixturevalue("postgres_stack")
    stack = stack_processes.stack
    chat = Chat(stack)
    chat.say("mau kalibrasi 4 flow meter digital")
    assert "alat lain" in chat.text
    chat.click("Tidak, itu saja")
    chat.click("laboratorium")
    assert "jadwal" in chat.text
    stack_processes.stop()
    stack = stack_processes.start()
    chat.stack = stack
    day_after_tomorrow = say_dated(chat, "lusa", 2)  # answers the question asked before
    assert "perusahaan" in chat.text.lower()
    chat.say("PT Aliran Deras")
    chat.say("Rudi")
    chat.say("0812 1212 3434")
    chat.say("rudi@aliran.co.id")
    chat.click("Ya, kirim")
    reference = chat.reference()
    (row,) = rows(stack.database_url, "calibration_requests", reference=reference)
    assert row["company_name"] == "PT Aliran Deras"
    assert str(row["preferred_date"]) in day_after_tomorrow


def test_the_same_confirmation_delivered_twice_is_stored_once(postgres_stack) -> None:
    """Rasa may call the action server again with the very same request (a retry after a
    timeout, a replica taking over): the request is stored once and answered the same way."""
    processes, recorder = postgres_stack
    stack = processes.stack
    chat = Chat(stack)
    reference = _saved_calibration(chat)
    (first,) = recorder.calls_of("action_submit_calibration", chat.sender)
    assert first.status == 200
    before = rows(stack.database_url, "calibration_requests")
    assert [r["reference"] for r in before if r["reference"] == reference] == [reference]

    again = [recorder.replay(first) for _ in range(2)]

    assert [answer.status_code for answer in again] == [200, 200]
    # Both answers give the customer the first request's reference again.
    assert references_in(first.answer.decode()) == {reference}
    assert [references_in(answer.text) for answer in again] == [{reference}] * 2
    after = rows(stack.database_url, "calibration_requests")
    assert len(after) == len(before)
    assert [r["reference"] for r in after if r["reference"] == reference] == [reference]
