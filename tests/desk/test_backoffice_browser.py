"""The back office in real headless Chromium, two browser contexts against the real stack
(trained model, `rasa run` with the project's channels, action server, demo page):

1. a customer files a calibration request in the website widget (the bot's form);
2. a staff member logs in to the desk, finds it in the case list by company name, opens it,
   takes it ("Tangani sendiri") and advances it through every stage of a lab job to
   "Selesai" with the fields each stage asks for;
3. after three chosen stages (quotation sent, scheduled, certificate issued) the customer's
   "cek status <reference>" in the widget shows that stage in Indonesian (and the
   certificate number once issued).

The same for an English-speaking customer's financing application: filed in the widget in
English, found by the applicant's phone number, taken and advanced to "approved" (amount
financed, tenor, instalment, first due date); after two chosen stages and at approval the
customer's "check status <reference>" shows the English label, then the instalment and the
first due date.

The screenshots docs/img/cases.png and docs/img/case.png (README) are written by the
calibration test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from backoffice_helpers import LAB_PATH
from desk_helpers import ALL_DAYS, PASSWORD, write_profile

from bot import PROJECT_ROOT
from bot.crm import agents
from testkit.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
IMAGES = PROJECT_ROOT / "docs" / "img"
COMPANY = "PT Sinar Presisi Nusantara"
REFERENCE = re.compile(r"KAL-\d{4}-\d{6}")
FIN_REFERENCE = re.compile(r"FIN-\d{4}-\d{6}")
APPLICANT, APPLICANT_PHONE = "Andrew Wilson", "0812 7777 8888"
# A financing application's stages up to approval: desk form values, the Indonesian label
# staff see, and the English label the customer is shown when they check (None: no check).
FINANCING_PATH: list[tuple[str, dict[str, str], str, str | None]] = [
    ("contacted", {}, "Sudah dihubungi petugas", "Contacted by our staff"),
    ("documents_complete", {}, "Dokumen lengkap", None),
    ("survey_done", {}, "Survei selesai", "Survey done"),
    (
        "approved",
        {
            "amount_financed": "Rp240.000.000",
            "tenor_months": "36",
            "monthly_instalment": "Rp8.150.000",
            "first_due_date": "2027-01-15",
        },
        "Disetujui",
        "Approved",
    ),
]
# Stages after which the customer checks the status, and the Indonesian label expected.
CHECKED = {
    "quotation_sent": "Penawaran sudah dikirim",
    "scheduled": "Sudah dijadwalkan",
    "certificate_issued": "Sertifikat sudah terbit",
}
STAGE_LABELS = {
    "quotation_sent": "Penawaran sudah dikirim",
    "po_received": "PO/SPK diterima",
    "scheduled": "Sudah dijadwalkan",
    "in_progress": "Sedang dikerjakan",
    "report_signed": "Berita Acara ditandatangani",
    "returned": "Alat sudah dikembalikan",
    "invoiced": "Invoice sudah dikirim",
    "certificate_issued": "Sertifikat sudah terbit",
    "completed": "Selesai",
}


@pytest.fixture
def stack(handoff_model: Path, tmp_path: Path, stack_factory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium")
    web_port = free_port()
    page_url = f"http://127.0.0.1:{web_port}"
    profile = write_profile(
        tmp_path / "profile.yml", 12, {d: {"open": "00:00", "close": "23:59"} for d in ALL_DAYS}
    )
    raw = yaml.safe_load(profile.read_text())
    raw["timezone"] = "Asia/Jakarta"  # the screenshots show WIB, as a business sees them
    profile.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    processes = stack_factory(
        handoff_model,
        f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        tmp_path / "stack",
        extra_env={"WEB_ORIGINS": page_url, "BUSINESS_PROFILE": str(profile)},
    )
    running = processes.start()
    try:
        assert processes.start_web(web_port) == page_url
        running.page_url = page_url  # type: ignore[attr-defined]
        yield running
    finally:
        processes.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Widget:
    """The customer's widget; a turn ends when Rasa has processed the message (the tracker's
    last event is action_listen after it), then the turn's bot texts are read."""

    def __init__(self, stack: Any, page: Any, send: str = "Kirim") -> None:
        self.stack, self.page, self.send = stack, page, send
        self.sender = page.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId")
        self.turns = self._user_events()
        self.text = ""

    def _tracker(self) -> dict[str, Any]:
        answer = requests.get(
            f"{self.stack.rasa_url}/conversations/{self.sender}/tracker",
            params={"token": self.stack.auth_token},
            timeout=10,
        )
        answer.raise_for_status()
        return dict(answer.json())

    def _user_events(self) -> int:
        return sum(1 for e in self._tracker().get("events", []) if e["event"] == "user")

    def _wait_for_turn(self) -> None:
        """Until Rasa has processed the message (a positive signal, not a quiet window);
        buttons are then found by Playwright's auto-waiting locators."""
        self.turns += 1
        deadline = time.monotonic() + 60
        while True:
            events = self._tracker().get("events", [])
            users = [i for i, e in enumerate(events) if e["event"] == "user"]
            done = (
                len(users) >= self.turns
                and events[-1].get("name") == "action_listen"
                and users[-1] < len(events) - 1
            )
            if done:
                turn = events[users[-1] :]
                self.text = "\n".join(str(e.get("text") or "") for e in turn if e["event"] == "bot")
                return
            assert time.monotonic() < deadline, "the bot did not answer within 60 s"
            time.sleep(0.2)

    def say(self, text: str) -> str:
        self.page.get_by_role("textbox").fill(text)
        self.page.get_by_role("button", name=self.send).click()
        self._wait_for_turn()
        return self.text

    def click(self, title: str) -> str:
        self.page.locator(".lc-button", has_text=title).last.click()
        self._wait_for_turn()
        return self.text


def file_calibration_request(widget: Widget) -> str:
    """Answer the calibration form the way a customer would; the new reference."""
    widget.say("mau kalibrasi 3 timbangan digital, alatnya dikirim ke lab")
    if "Layanan apa" in widget.text:
        widget.click("Kalibrasi")
    for _ in range(14):
        text = widget.text
        if "Sudah benar" in text:
            break
        if "alat lain" in text:
            widget.click("Tidak, itu saja")
        elif "digital atau analog" in text:
            widget.click("Digital")
        elif "Berapa unit" in text:
            widget.say("3")
        elif "on-site" in text:
            widget.click("laboratorium")
        elif "jadwal" in text:
            widget.say("minggu depan")
        elif "perusahaan" in text.lower():
            widget.say(COMPANY)
        elif "siapa saya berbicara" in text:
            widget.say("Ibu Ratna Dewi")
        elif "telepon/WhatsApp" in text:
            widget.say("0812 5555 6666")
        elif "email" in text.lower():
            widget.say("ratna@sinarpresisi.co.id")
        else:
            raise AssertionError(f"unexpected question: {text!r}")
    widget.click("Ya, kirim")
    found = REFERENCE.search(widget.text)
    assert found, f"no reference in {widget.text!r}"
    return found.group(0)


def file_financing_application(widget: Widget) -> str:
    """Answer the financing form in English the way a customer would; the new reference."""
    widget.say("I want to apply for new car financing")
    for _ in range(14):
        text = widget.text
        if "Is everything correct" in text:
            break
        if "What would you like to finance" in text:
            widget.say("a car")
        elif "new or used" in text:
            widget.click("New")
        elif "How much financing" in text:
            widget.say("300 million")
        elif "down payment" in text:
            widget.say("20%")
        elif "tenor" in text:
            widget.say("36 months")
        elif "Which city" in text:
            widget.say("Jakarta")
        elif "Do you agree" in text:
            widget.click("I agree")
        elif "full name" in text:
            widget.say(APPLICANT)
        elif "phone/WhatsApp" in text:
            widget.say(APPLICANT_PHONE)
        elif "best time" in text:
            widget.click("Any time")
        else:
            raise AssertionError(f"unexpected question: {text!r}")
    widget.click("Yes, submit")
    found = FIN_REFERENCE.search(widget.text)
    assert found, f"no reference in {widget.text!r}"
    assert "Thank you" in widget.text
    return found.group(0)


def desk_login(browser: Any, stack: Any) -> Any:
    """Rina's desk page (Indonesian, as the business's staff use it), on the case list."""
    staff_ctx = browser.new_context(locale="id-ID", viewport={"width": 1440, "height": 1000})
    desk = staff_ctx.new_page()
    desk.goto(f"{stack.rasa_url}/desk/cases")
    assert "/desk/login" in desk.url
    desk.get_by_label("Nama pengguna").fill("rina")
    desk.get_by_label("Kata sandi").fill(PASSWORD)
    desk.get_by_role("button", name="Masuk").click()
    desk.wait_for_url("**/desk/cases")
    return desk


def advance(desk: Any, stage: str, fields: dict[str, str]) -> None:
    """Open the stage's box on the case page, fill its fields and move the case."""
    box = desk.locator(f'details.next-stage[data-stage="{stage}"]')
    box.locator("summary").click()
    for name, value in fields.items():
        field = box.locator(f'[name^="field.{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    box.get_by_role("button", name=re.compile("^Pindah ke")).click()


def test_staff_work_a_calibration_request_and_the_customer_sees_each_stage(
    stack: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    agents.create_agent("rina", PASSWORD, "agent", "Rina Kusuma", url=stack.database_url)

    # 1. The customer files a calibration request in the widget.
    customer_ctx = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 860})
    page = customer_ctx.new_page()
    page.goto(stack.page_url)
    page.get_by_role("button", name="Chat dengan kami").click()
    page.locator(".lc-msg.lc-bot .lc-bubble").first.wait_for(timeout=60_000)
    widget = Widget(stack, page)
    reference = file_calibration_request(widget)

    # 2. Staff find it by company name and take it.
    desk = desk_login(browser, stack)
    desk.get_by_label("Cari").fill("sinar presisi")
    desk.get_by_role("button", name="Terapkan").click()
    row = desk.locator(f'#case-list tr[data-reference="{reference}"]')
    row.wait_for()
    assert desk.locator("#case-list tbody tr").count() == 1
    assert COMPANY in row.inner_text() and "Diterima" in row.inner_text()
    assert "Chat website" in row.inner_text()
    IMAGES.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(IMAGES / "cases.png"), full_page=True)
    row.get_by_role("link", name=reference).click()
    desk.wait_for_url(f"**/desk/cases/{reference}")
    desk.get_by_role("button", name="Tangani sendiri").click()
    expect(desk.locator("#case-assignee")).to_have_text("Rina Kusuma")

    # 3. Every stage to "Selesai"; the customer checks three of them in the widget.
    for stage, fields in LAB_PATH:
        advance(desk, stage, fields)
        expect(desk.locator("#case-stage")).to_have_text(STAGE_LABELS[stage])
        if stage in CHECKED:
            answer = widget.say(f"cek status {reference}")
            shown = page.locator(".lc-msg.lc-bot", has_text=f"{reference}: {CHECKED[stage]}")
            shown.last.wait_for(timeout=15_000)
            assert f"{reference}: {CHECKED[stage]} (sejak" in answer
            if stage == "certificate_issued":
                assert "CERT-1" in answer

    assert desk.locator("details.next-stage").count() == 0
    timeline = desk.locator("#timeline").inner_text()
    assert "Rina Kusuma" in timeline and "Rp150.000.000" in timeline
    assert "WIB" in timeline and "pukul" in timeline
    desk.screenshot(path=str(IMAGES / "case.png"), full_page=True)
    desk.context.close()
    customer_ctx.close()


def test_staff_approve_an_english_financing_application_and_the_customer_sees_it(
    stack: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    agents.create_agent("rina", PASSWORD, "agent", "Rina Kusuma", url=stack.database_url)

    # 1. An English-speaking customer applies in the widget.
    customer_ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 860})
    page = customer_ctx.new_page()
    page.goto(stack.page_url)
    page.get_by_role("button", name="Chat with us").click()
    page.locator(".lc-msg.lc-bot .lc-bubble").first.wait_for(timeout=60_000)
    widget = Widget(stack, page, send="Send")
    reference = file_financing_application(widget)

    # 2. Staff find it by the applicant's phone number (as typed by the customer) and take it.
    desk = desk_login(browser, stack)
    desk.get_by_label("Cari").fill(APPLICANT_PHONE)
    desk.get_by_role("button", name="Terapkan").click()
    row = desk.locator(f'#case-list tr[data-reference="{reference}"]')
    row.wait_for()
    assert desk.locator("#case-list tbody tr").count() == 1
    assert APPLICANT in row.inner_text() and "Diterima" in row.inner_text()
    row.get_by_role("link", name=reference).click()
    desk.wait_for_url(f"**/desk/cases/{reference}")
    desk.get_by_role("button", name="Tangani sendiri").click()
    expect(desk.locator("#case-assignee")).to_have_text("Rina Kusuma")

    # 3. Up to approval; the customer checks three stages in English.
    for stage, fields, staff_label, customer_label in FINANCING_PATH:
        advance(desk, stage, fields)
        expect(desk.locator("#case-stage")).to_have_text(staff_label)
        if customer_label is None:
            continue
        answer = widget.say(f"check status {reference}")
        shown = page.locator(".lc-msg.lc-bot", has_text=f"{reference}: {customer_label}")
        shown.last.wait_for(timeout=15_000)
        assert f"Status of financing application {reference}: {customer_label} (since" in answer
        assert "sejak" not in answer and "Langkah" not in answer
        if stage == "approved":
            assert "Monthly instalment: IDR 8,150,000" in answer
            assert "First due date: 15 January 2027" in answer
        else:
            assert "Next step: " in answer

    timeline = desk.locator("#timeline").inner_text()
    assert "Rina Kusuma" in timeline and "Rp8.150.000" in timeline
    desk.context.close()
    customer_ctx.close()
