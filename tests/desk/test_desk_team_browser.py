"""Issue 16 in headless Chromium: the desk's alerts, composer, canned replies and transfers.

The desk runs in-process (``desk_server``: Rasa's own app with the desk channel, tracker and
lock stores, the handoff event broker), so no model is needed; customers reach the queue
through the action server's real handoff logic (``start_handoff``) and the tracker events
the broker turns into live desk updates. Each agent has their own browser context.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from desk_helpers import PASSWORD
from playwright.async_api import expect
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered

from bot.crm import customers, deskteam, handoffs
from bot.desk.conversation import append_events
from bot.handoff.start import HandoffContext, start_handoff

pytestmark = [pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TIMEOUT = 15_000


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        await browser.close()


async def logged_in(chromium: Any, desk_server: Any, username: str) -> Any:
    context = await chromium.new_context(locale="id-ID", viewport={"width": 1360, "height": 900})
    page = await context.new_page()
    await page.goto(f"{desk_server.url}/desk/")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.locator("h2", has_text="Menunggu agen").wait_for()
    await page.locator("#live-status.on").wait_for(timeout=TIMEOUT)
    return page


async def customer_asks_for_a_human(desk_server: Any, sender: str, name: str | None = None) -> int:
    """What the widget and action_handoff do: the customer's message, queueing, pause."""
    if name:
        customer = await asyncio.to_thread(customers.resolve_customer, "recording", sender)
        await asyncio.to_thread(customers.remember_details, customer.id, name=name)
    await append_events(
        desk_server.agent,
        sender,
        [
            UserUttered("/greet", intent={"name": "greet"}, input_channel="recording"),
            UserUttered(
                "saya mau bicara dengan CS",
                intent={"name": "request_human", "confidence": 0.99},
                input_channel="recording",
            ),
        ],
    )
    tracker = await desk_server.tracker(sender)
    result = await asyncio.to_thread(
        start_handoff,
        HandoffContext(
            sender_id=sender,
            channel="recording",
            reason="customer_request",
            language="id",
            events=[event.as_dict() for event in tracker.events],
            slots=tracker.current_slot_values(),
        ),
    )
    events = [BotUttered(m["text"]) for m in result.messages] + [ConversationPaused()]
    await append_events(desk_server.agent, sender, events)
    record = await asyncio.to_thread(handoffs.active_handoff_for, sender)
    assert record is not None
    return record.id


async def test_a_new_waiting_customer_alerts_the_agent(
    desk_server: Any, make_agent: Any, chromium: Any
) -> None:
    make_agent("rina", display_name="Rina", online=True)
    page = await logged_in(chromium, desk_server, "rina")
    assert (await page.title()).startswith("Antrean – Desk")

    handoff_id = await customer_asks_for_a_human(desk_server, "a" * 24, name="Budi Santoso")

    # Live, without a reload: the tab title counts the waiting customer and the alert fires.
    await expect(page).to_have_title(re.compile(r"^\(1\) Antrean – Desk"), timeout=TIMEOUT)
    await expect(page.locator("body")).to_have_attribute(
        "data-last-alert", "Pelanggan baru menunggu"
    )
    row = page.locator(f'#waiting tr[data-handoff="{handoff_id}"]')
    await row.wait_for(timeout=TIMEOUT)
    text = await row.inner_text()
    # A preview of the customer's last message and a friendly channel name.
    assert "saya mau bicara dengan CS" in text and "Budi Santoso" in text
    # The sound can be muted (remembered for the next page).
    await page.get_by_role("button", name="🔔 Bunyi aktif").click()
    await page.get_by_role("button", name="🔕 Bunyi mati").wait_for()


async def test_enter_sends_and_a_canned_reply_is_inserted_with_placeholders_filled(
    desk_server: Any, make_agent: Any, chromium: Any
) -> None:
    agent = make_agent("rina", display_name="Rina", online=True)
    await asyncio.to_thread(
        deskteam.save_canned,
        None,
        "salam",
        "Salam pembuka",
        "Halo {nama}, percakapan {referensi} kami tangani sekarang.",
        "Hello {nama}, we are handling {referensi} now.",
        agent.id,
    )
    await asyncio.to_thread(
        deskteam.save_canned, None, "tutup", "Penutup", "Terima kasih.", "Thank you.", agent.id
    )
    handoff_id = await customer_asks_for_a_human(desk_server, "b" * 24, name="Budi Santoso")
    reference = (await asyncio.to_thread(handoffs.get_handoff, handoff_id)).reference
    page = await logged_in(chromium, desk_server, "rina")
    await page.locator(f'button.claim[data-handoff="{handoff_id}"]').click()
    await page.wait_for_url("**/desk/handoffs/*")
    await page.locator("#live-status.on").wait_for(timeout=TIMEOUT)
    # The transcript shows the widget's opening payload as friendly text, with a WIB time.
    first = page.locator(".line.customer").first
    assert "(membuka chat)" in await first.inner_text()
    assert "/greet" not in await page.locator("#transcript").inner_text()

    box = page.get_by_label("Balasan ke pelanggan")
    await box.click()
    await box.press_sequentially("/sa")
    options = page.get_by_role("listbox", name="Balasan cepat").get_by_role("option")
    await options.first.wait_for(timeout=TIMEOUT)
    await expect(options).to_have_count(1)  # filtered: only /salam matches "sa"
    await box.press("Backspace")
    await box.press("Backspace")
    await expect(options).to_have_count(2)
    await box.press("ArrowDown")
    await box.press("ArrowUp")
    await box.press_sequentially("sal")
    await expect(options).to_have_count(1)
    await box.press("Enter")  # inserts the highlighted reply, does not send
    expected = f"Halo Budi Santoso, percakapan {reference} kami tangani sekarang."
    assert await box.input_value() == expected
    sent_before = len(desk_server.recording.outbox.messages)
    await box.press("Shift+Enter")
    await box.press_sequentially("Ada yang bisa dibantu?")
    assert await box.input_value() == expected + "\nAda yang bisa dibantu?"
    assert len(desk_server.recording.outbox.messages) == sent_before

    await box.press("Enter")  # sends
    line = page.locator(".line.agent", has_text="Ada yang bisa dibantu?")
    await line.wait_for(timeout=TIMEOUT)
    assert await box.input_value() == ""
    assert desk_server.recording.outbox.messages[-1]["text"] == (
        expected + "\nAda yang bisa dibantu?"
    )

    # Closing asks in the page, not with the browser's confirm(); "Batal" keeps it open.
    await page.get_by_role("button", name="Selesai & kembalikan ke bot").click()
    dialog = page.get_by_role("dialog")
    await dialog.wait_for()
    await dialog.get_by_role("button", name="Batal").click()
    await dialog.wait_for(state="hidden")
    assert (await asyncio.to_thread(handoffs.get_handoff, handoff_id)).status == "active"
    await page.get_by_role("button", name="Selesai & kembalikan ke bot").click()
    await page.get_by_role("button", name="Ya, selesaikan").click()
    await page.locator(".badge.status-closed").wait_for(timeout=TIMEOUT)


async def test_a_transfer_reaches_the_colleagues_desk_and_the_customer_is_told(
    desk_server: Any, make_agent: Any, chromium: Any
) -> None:
    make_agent("rina", display_name="Rina", online=True)
    dewi = make_agent("dewi", display_name="Dewi", online=True)
    handoff_id = await customer_asks_for_a_human(desk_server, "c" * 24)
    rina = await logged_in(chromium, desk_server, "rina")
    dewi_page = await logged_in(chromium, desk_server, "dewi")
    await rina.locator(f'button.claim[data-handoff="{handoff_id}"]').click()
    await rina.wait_for_url("**/desk/handoffs/*")
    await expect(dewi_page).to_have_title(re.compile(r"^Antrean"), timeout=TIMEOUT)

    await rina.get_by_text("Alihkan percakapan").click()
    await rina.get_by_label("Alihkan ke").select_option(label="Dewi")
    await rina.get_by_label("Catatan untuk penerima (internal)").fill("Pelanggan tanya tagihan")
    await rina.get_by_role("button", name="Alihkan", exact=True).click()
    await rina.wait_for_url(f"{desk_server.url}/desk/")

    # Dewi's open desk is told at once: banner, alert, tab-title counter.
    banner = dewi_page.get_by_role("status").filter(has_text="dialihkan kepada Anda oleh Rina")
    await banner.wait_for(timeout=TIMEOUT)
    await expect(dewi_page).to_have_title(re.compile(r"^\(1\) Antrean"), timeout=TIMEOUT)
    await expect(dewi_page.locator("body")).to_have_attribute(
        "data-last-alert", "Percakapan dialihkan kepada Anda"
    )
    record = await asyncio.to_thread(handoffs.get_handoff, handoff_id)
    assert (record.status, record.agent_id) == ("active", dewi.id)
    # The customer was told who took over.
    assert "dilanjutkan oleh Dewi" in desk_server.recording.outbox.messages[-1]["text"]

    # Dewi opens it: the note is there and she can reply.
    await banner.get_by_role("link").click()
    await dewi_page.wait_for_url(f"**/desk/handoffs/{handoff_id}")
    assert "Pelanggan tanya tagihan" in await dewi_page.locator(".line.note").inner_text()
    await dewi_page.get_by_label("Balasan ke pelanggan").wait_for()
