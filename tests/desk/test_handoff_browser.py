"""The whole handoff in real headless Chromium: a customer on the widget, an agent on the desk.

Two browser contexts against the real stack (trained model, `rasa run` with the project's
credentials/endpoints, action server, `python -m bot web` demo page; Redis for the bus and
the lock store, as with two replicas):

1. the customer asks for a human on the widget;
2. the agent, logged in to the desk, sees the handoff, claims it and replies;
3. the customer sees the reply, and the bot does not answer the customer's next message;
4. the agent closes the handoff;
5. the bot answers again.

The desk screenshot in docs/img/desk.png is written by this test (docs/agents.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from desk_helpers import ALL_DAYS, PASSWORD, write_profile

from bot import PROJECT_ROOT
from bot.crm import agents, handoffs
from testkit.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SCREENSHOT = PROJECT_ROOT / "docs" / "img" / "desk.png"


@pytest.fixture
def handoff_stack(handoff_model: Path, tmp_path: Path, stack_factory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium")
    web_port = free_port()
    page_url = f"http://127.0.0.1:{web_port}"
    profile = write_profile(
        tmp_path / "profile.yml", 12, {d: {"open": "00:00", "close": "23:59"} for d in ALL_DAYS}
    )
    processes = stack_factory(
        handoff_model,
        f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        tmp_path / "stack",
        extra_env={
            "WEB_ORIGINS": page_url,
            "REDIS_URL": REDIS_URL,
            "BUSINESS_PROFILE": str(profile),
        },
    )
    stack = processes.start()
    try:
        assert processes.start_web(web_port) == page_url
        stack.page_url = page_url  # type: ignore[attr-defined]
        yield stack
    finally:
        processes.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def paused(stack: Any, sender_id: str) -> bool:
    response = requests.get(
        f"{stack.rasa_url}/conversations/{sender_id}/tracker",
        params={"token": stack.auth_token},
        timeout=10,
    )
    response.raise_for_status()
    return bool(response.json()["paused"])


def test_customer_and_agent_complete_a_handoff(handoff_stack: Any, browser: Any) -> None:
    stack = handoff_stack
    agents.create_agent("rina", PASSWORD, "agent", "Rina", url=stack.database_url)

    # The agent logs in first: an open desk is what makes an agent "online".
    agent_ctx = browser.new_context(locale="id-ID", viewport={"width": 1360, "height": 900})
    desk = agent_ctx.new_page()
    desk.on("dialog", lambda dialog: dialog.accept())
    desk.goto(f"{stack.rasa_url}/desk/")
    assert "/desk/login" in desk.url
    desk.get_by_label("Nama pengguna").fill("rina")
    desk.get_by_label("Kata sandi").fill(PASSWORD)
    desk.get_by_role("button", name="Masuk").click()
    desk.locator("h2", has_text="Menunggu agen").wait_for()

    # 1. The customer asks for a human on the widget.
    customer_ctx = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 860})
    widget = customer_ctx.new_page()
    widget.goto(stack.page_url)
    widget.get_by_role("button", name="Chat dengan kami").click()
    widget.locator(".lc-msg.lc-bot .lc-bubble").first.wait_for(timeout=60_000)
    widget.locator(".lc-button", has_text="Bicara dengan petugas").click()
    queued = widget.locator(".lc-msg.lc-bot .lc-bubble", has_text="antrean")
    queued.wait_for(timeout=30_000)
    assert "1 agen online" in queued.inner_text()
    session_id = widget.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId")
    assert paused(stack, session_id)
    record = handoffs.active_handoff_for(session_id, url=stack.database_url)
    assert record is not None and record.channel == "socketio"

    # 2. The agent sees it in the queue (live), claims it and replies.
    claim = desk.locator("#waiting button.claim")
    claim.wait_for(timeout=30_000)
    assert "Pelanggan minta agen" in desk.locator("#waiting").inner_text()
    claim.click()
    desk.wait_for_url("**/desk/handoffs/*")
    desk.locator("#live-status.on").wait_for(timeout=15_000)
    desk.get_by_label("Balasan ke pelanggan").fill(
        "Halo, saya Rina dari tim CS. Ada yang bisa saya bantu?"
    )
    desk.get_by_role("button", name="Kirim").click()

    # 3. The customer sees the reply; the bot stays silent on the next message.
    agent_reply = widget.locator(".lc-msg.lc-agent", has_text="ada yang bisa saya bantu")
    agent_reply.wait_for(timeout=15_000)
    assert "Rina" in agent_reply.inner_text()
    bot_count = widget.locator(".lc-msg.lc-bot").count()
    widget.get_by_role("textbox").fill("Sertifikat kalibrasi saya belum datang, KAL-2026-000123")
    widget.get_by_role("button", name="Kirim").click()
    # The desk shows the customer's message only after Rasa processed it, so by then any
    # bot answer would already have been sent.
    desk.locator(".line.customer", has_text="KAL-2026-000123").wait_for(timeout=15_000)
    desk.get_by_label("Catatan internal (tidak dikirim ke pelanggan)").fill(
        "Cek status sertifikat di sistem lab."
    )
    desk.get_by_role("button", name="Simpan catatan").click()
    desk.locator(".line.note", has_text="Cek status sertifikat").wait_for(timeout=15_000)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENSHOT), full_page=True)
    assert widget.locator(".lc-msg.lc-bot").count() == bot_count
    assert (
        widget.locator(".lc-msg", has_text="Cek status sertifikat").count() == 0
    )  # notes stay internal
    assert paused(stack, session_id)

    # 4. The agent closes the handoff: closing message and the rating prompt reach the widget.
    desk.get_by_role("button", name="Selesai & kembalikan ke bot").click()
    desk.get_by_role("button", name="Ya, selesaikan").click()  # the in-page confirmation
    widget.locator(".lc-msg", has_text="sudah selesai").wait_for(timeout=15_000)
    widget.locator(".lc-button", has_text="5 ★★★★★").wait_for(timeout=15_000)
    assert not paused(stack, session_id)
    assert handoffs.get_handoff(record.id, url=stack.database_url).status == "closed"

    # 5. The bot answers again.
    before = widget.locator(".lc-msg.lc-bot").count()
    widget.get_by_role("textbox").fill("jam buka kantor kapan?")
    widget.get_by_role("button", name="Kirim").click()
    # A new bot message after the customer's question (the page's CSP forbids eval-based waits).
    widget.locator(".lc-msg.lc-bot").nth(before).wait_for(timeout=30_000)
    agent_ctx.close()
    customer_ctx.close()


def _wait_offline(session_id: str, timeout: float = 15) -> None:
    """Until no replica lists a socket for the session (the page's socket has closed)."""
    import redis

    from bot.widget_presence import PREFIX

    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + timeout
    try:
        while client.zcount(PREFIX + session_id, time.time(), "+inf"):
            assert time.monotonic() < deadline, "the widget's socket is still listed as open"
            time.sleep(0.1)
    finally:
        client.close()


def test_offline_customer_sees_the_reply_on_return_and_stop_works_during_a_handoff(
    handoff_stack: Any, browser: Any
) -> None:
    """Issue 15: an agent reply to a closed widget is kept, shown (with an unread badge) when
    the customer comes back, and the desk then shows it as delivered; STOP typed while the
    agent has the conversation is answered by the channel, not lost in the paused bot."""
    stack = handoff_stack
    agents.create_agent("sari", PASSWORD, "agent", "Sari", url=stack.database_url)
    agent_ctx = browser.new_context(locale="id-ID", viewport={"width": 1360, "height": 900})
    desk = agent_ctx.new_page()
    desk.goto(f"{stack.rasa_url}/desk/")
    desk.get_by_label("Nama pengguna").fill("sari")
    desk.get_by_label("Kata sandi").fill(PASSWORD)
    desk.get_by_role("button", name="Masuk").click()
    desk.locator("h2", has_text="Menunggu agen").wait_for()

    customer_ctx = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 860})
    widget = customer_ctx.new_page()
    widget.goto(stack.page_url)
    widget.get_by_role("button", name="Chat dengan kami").click()
    widget.locator(".lc-msg.lc-bot .lc-bubble").first.wait_for(timeout=60_000)
    widget.locator(".lc-button", has_text="Bicara dengan petugas").click()
    widget.locator(".lc-msg.lc-bot .lc-bubble", has_text="antrean").wait_for(timeout=30_000)
    session_id = widget.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId")
    desk.locator("#waiting button.claim").click(timeout=30_000)
    desk.wait_for_url("**/desk/handoffs/*")
    desk.locator("#live-status.on").wait_for(timeout=15_000)
    assert paused(stack, session_id)

    # STOP during the handoff: confirmed in the widget, recorded, the conversation still paused.
    widget.get_by_role("textbox").fill("STOP")
    widget.get_by_role("button", name="Kirim").click()
    widget.locator(".lc-msg.lc-bot", has_text="tidak akan mengirim pemberitahuan").wait_for(
        timeout=15_000
    )
    desk.locator(".line.note", has_text="“STOP”").wait_for(timeout=15_000)
    assert paused(stack, session_id)
    widget.get_by_role("textbox").fill("mulai lagi")
    widget.get_by_role("button", name="Kirim").click()
    widget.locator(".lc-msg.lc-bot", has_text="akan kami kirim lagi").wait_for(timeout=15_000)

    # The customer closes the chat and leaves the page.
    widget.get_by_role("button", name="Tutup chat").click()
    widget.close()
    _wait_offline(session_id)

    # The agent replies: the desk says it is queued (the customer is offline).
    text = "Sertifikat sudah terbit, kami kirim hari ini."
    desk.get_by_label("Balasan ke pelanggan").fill(text)
    desk.get_by_role("button", name="Kirim").click()
    line = desk.locator(".line.agent", has_text=text)
    line.locator(".delivery.state-queued").wait_for(timeout=15_000)

    # The customer comes back: the reply is there, with an unread badge on the launcher.
    widget = customer_ctx.new_page()
    widget.goto(stack.page_url)
    badge = widget.get_by_test_id("chat-unread")
    badge.wait_for(timeout=30_000)
    assert badge.inner_text() == "1"
    widget.get_by_role("button", name="Chat dengan kami").click()
    shown = widget.locator(".lc-msg.lc-agent", has_text="Sertifikat sudah terbit")
    shown.wait_for(timeout=5_000)
    assert "Sari" in shown.inner_text() and shown.count() == 1
    assert badge.is_hidden()

    # ... and the desk now shows it as delivered (live, without a reload).
    line.locator(".delivery.state-delivered").wait_for(timeout=15_000)
    desk.reload()
    assert "Diterima" in desk.locator(".line.agent", has_text=text).inner_text()
    agent_ctx.close()
    customer_ctx.close()
