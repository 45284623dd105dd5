"""The website widget in real headless Chromium, against a real Rasa server and trained model.

Stack: the session's trained model (``trained_model`` from tests/conftest.py), a Rasa server
+ action server started with the project's credentials.yml (``StackProcesses`` from
tests/conftest.py, with WEB_ORIGINS set to this test's demo page and REDIS_URL so the test
can publish agent messages like the desk on another replica would), and ``python -m bot web``
serving the demo page. LEAD: swap ``widget_stack`` for a shared stack fixture once the
shared one can take WEB_ORIGINS/REDIS_URL; nothing else here depends on how it is started.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

import bot.runner
from bot import PROJECT_ROOT
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
_ORIGINAL_WRITE_ENDPOINTS = bot.runner.write_runtime_endpoints


def _root_conftest(config: pytest.Config) -> Any:
    """tests/conftest.py as a module (every conftest is named 'conftest', so no plain import)."""
    target = PROJECT_ROOT / "tests" / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "/") == target:
            return plugin
    raise RuntimeError("tests/conftest.py is not loaded")


@dataclass
class WidgetStack:
    page_url: str
    rasa_url: str
    auth_token: str
    database_url: str = ""

    def tracker(self, sender_id: str) -> dict:
        response = requests.get(
            f"{self.rasa_url}/conversations/{sender_id}/tracker",
            params={"token": self.auth_token},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def append_event(self, sender_id: str, event: dict) -> None:
        response = requests.post(
            f"{self.rasa_url}/conversations/{sender_id}/tracker/events",
            json=event,
            params={"token": self.auth_token},
            timeout=10,
        )
        response.raise_for_status()


def _endpoints_with_rasa_redis_lock_store(settings: Any, target: Path) -> Path:
    """LEAD: remove once bot.runner writes the lock store as Rasa 3.6 reads it.

    Rasa's RedisLockStore takes ``url`` as the *host* name (plus port/db/password); the
    runner currently writes the whole REDIS_URL there, and every message then fails with
    "Error while acquiring lock"."""
    path = _ORIGINAL_WRITE_ENDPOINTS(settings, target)
    endpoints = yaml.safe_load(path.read_text())
    lock = endpoints.get("lock_store") or {}
    if lock.get("type") == "redis" and "://" in str(lock.get("url", "")):
        parts = urlsplit(lock["url"])
        endpoints["lock_store"] = {
            "type": "redis",
            "url": parts.hostname or "localhost",
            "port": parts.port or 6379,
            "db": int((parts.path or "/0").strip("/") or 0),
        }
        if parts.password:
            endpoints["lock_store"]["password"] = parts.password
        path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def widget_model(request: pytest.FixtureRequest) -> Path:
    """The session's model. CHANNELS_TEST_MODEL (ignored in CI) lets a developer iterating on
    the widget reuse a model instead of training one."""
    explicit = os.environ.get("CHANNELS_TEST_MODEL")
    if explicit and not os.environ.get("CI"):
        return Path(explicit)
    return request.getfixturevalue("trained_model")


@pytest.fixture(scope="module")
def widget_stack(
    request: pytest.FixtureRequest, widget_model: Path, tmp_path_factory
) -> Iterator[WidgetStack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium")
    web_port = free_port()
    page_url = f"http://127.0.0.1:{web_port}"
    var_dir = tmp_path_factory.mktemp("widget-stack")
    stack_processes = _root_conftest(request.config).StackProcesses(
        widget_model,
        f"sqlite:///{var_dir / 'crm.sqlite3'}",
        var_dir,
        extra_env={"WEB_ORIGINS": page_url, "REDIS_URL": REDIS_URL},
    )
    rasa_url = f"http://127.0.0.1:{stack_processes.rasa_port}"
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(
                "bot.runner.write_runtime_endpoints", _endpoints_with_rasa_redis_lock_store
            )
            stack = stack_processes.start()
        assert stack_processes.start_web(web_port) == page_url
        yield WidgetStack(
            page_url=page_url,
            rasa_url=rasa_url,
            auth_token=stack.auth_token,
            database_url=stack.database_url,
        )
    finally:
        # Also when start-up failed half-way: never leave servers running.
        stack_processes.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


def open_widget(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Chat dengan kami").click()


def bot_messages(page: Any) -> Any:
    return page.locator(".lc-msg.lc-bot .lc-bubble")


MAIN_TASKS = [
    "Tanya info (FAQ)",
    "Minta penawaran kalibrasi",
    "Ajukan pembiayaan",
    "Sampaikan keluhan",
    "Cek status",
    "Bicara dengan petugas",
]


def test_greeting_with_main_task_buttons_then_an_answer(
    widget_stack: WidgetStack, page: Any, tmp_path_factory
) -> None:
    open_widget(page, widget_stack.page_url)
    greeting = bot_messages(page).first
    greeting.wait_for(timeout=60_000)
    assert "Halo" in greeting.inner_text()
    buttons = page.locator(".lc-buttons .lc-button")
    assert [b.strip() for b in buttons.all_inner_texts()] == MAIN_TASKS

    page.get_by_role("textbox").fill("jam buka kantor kapan ya?")
    page.get_by_role("button", name="Kirim").click()
    page.locator(".lc-msg.lc-user .lc-bubble", has_text="jam buka kantor kapan ya?").wait_for()
    page.locator(".lc-msg.lc-bot").nth(1).wait_for(timeout=30_000)
    answer = bot_messages(page).last.inner_text()
    assert answer and answer != greeting.inner_text()

    shots = PROJECT_ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "widget.png"))


def test_a_button_click_sends_its_payload_and_the_bot_follows_up(
    widget_stack: WidgetStack, page: Any
) -> None:
    open_widget(page, widget_stack.page_url)
    page.locator(".lc-button", has_text="Minta penawaran kalibrasi").click()
    page.locator(".lc-msg.lc-user .lc-bubble", has_text="Minta penawaran kalibrasi").wait_for()
    page.locator(".lc-msg.lc-bot").nth(1).wait_for(timeout=30_000)
    session_id = page.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId")
    intents = [
        e["parse_data"]["intent"]["name"]
        for e in widget_stack.tracker(session_id)["events"]
        if e["event"] == "user"
    ]
    assert "request_calibration" in intents  # the offered payload reached Rasa as an intent


def test_session_survives_a_reload(widget_stack: WidgetStack, page: Any) -> None:
    open_widget(page, widget_stack.page_url)
    bot_messages(page).first.wait_for(timeout=60_000)
    session_id = page.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId")
    page.reload()
    # The transcript is still there and the widget rejoins the same conversation.
    bot_messages(page).first.wait_for()
    page.get_by_role("textbox").fill("terima kasih")
    page.get_by_role("button", name="Kirim").click()
    page.locator(".lc-msg.lc-bot").nth(1).wait_for(timeout=30_000)
    assert (
        page.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId") == session_id
    )
    texts = [
        e.get("text") for e in widget_stack.tracker(session_id)["events"] if e["event"] == "user"
    ]
    assert "/greet" in texts and "terima kasih" in texts


def test_agent_message_appears_in_the_same_widget(widget_stack: WidgetStack, page: Any) -> None:
    from bot.bus import TOPIC_DELIVER, RedisBus

    open_widget(page, widget_stack.page_url)
    bot_messages(page).first.wait_for(timeout=60_000)
    session_id = page.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId")

    async def publish() -> None:
        bus = RedisBus(REDIS_URL)
        try:
            await bus.publish(
                TOPIC_DELIVER,
                {
                    "channel": "socketio",
                    "recipient_id": session_id,
                    "message": {"text": "Halo, saya Rina dari tim CS.", "agent_name": "Rina"},
                },
            )
        finally:
            await bus.close()

    # Playwright's sync API owns this thread's event loop: publish from another thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, publish()).result(timeout=30)
    agent = page.locator(".lc-msg.lc-agent")
    agent.wait_for(timeout=15_000)
    assert "Halo, saya Rina dari tim CS." in agent.inner_text()
    assert "Rina · Agen CS" in agent.inner_text()


def test_typed_restart_cannot_end_a_handoff(widget_stack: WidgetStack, page: Any) -> None:
    open_widget(page, widget_stack.page_url)
    bot_messages(page).first.wait_for(timeout=60_000)
    session_id = page.evaluate("JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId")
    widget_stack.append_event(session_id, {"event": "pause"})  # what the handoff action does
    for typed in ["/restart", "/greet", '/request_human{"reference": "KAL-2026-000001"}']:
        page.get_by_role("textbox").fill(typed)
        page.get_by_role("button", name="Kirim").click()
        page.locator(".lc-msg.lc-user .lc-bubble", has_text=typed).wait_for()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        user_events = [
            e for e in widget_stack.tracker(session_id)["events"] if e["event"] == "user"
        ]
        if len(user_events) >= 4:
            break
        time.sleep(0.5)
    tracker = widget_stack.tracker(session_id)
    assert tracker["paused"] is True  # still in the handoff
    intents = [
        e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"
    ][1:]
    assert len(intents) == 3 and "restart" not in intents
    assert bot_messages(page).count() == 1  # the bot stayed silent


def test_rest_channel_typed_restart_cannot_end_a_handoff(widget_stack: WidgetStack) -> None:
    sender = f"rest-{uuid.uuid4().hex[:8]}"
    url = f"{widget_stack.rasa_url}/webhooks/rest/webhook"
    requests.post(url, json={"sender": sender, "message": "halo"}, timeout=30).raise_for_status()
    widget_stack.append_event(sender, {"event": "pause"})
    answer = requests.post(url, json={"sender": sender, "message": "/restart"}, timeout=30)
    assert answer.status_code == 200 and answer.json() == []
    assert widget_stack.tracker(sender)["paused"] is True


# ---- issue 16: phone layout, language, keyboard, tabs, queue, attachments ------------------
SESSION_JS = "JSON.parse(localStorage.getItem('layanan-chat:v1')).sessionId"


def _box(locator: Any) -> dict:
    box = locator.bounding_box()
    assert box is not None, "element not rendered"
    return box


def test_phone_layout_is_full_screen_with_44px_touch_targets(
    widget_stack: WidgetStack, browser: Any
) -> None:
    context = browser.new_context(
        locale="id-ID", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        open_widget(page, widget_stack.page_url)
        bot_messages(page).first.wait_for(timeout=60_000)
        panel = _box(page.locator(".lc-panel"))
        assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)
        for selector in (".lc-close", ".lc-send", ".lc-attach", ".lc-input", ".lc-button"):
            for element in page.locator(selector).all():
                box = _box(element)
                assert box["width"] >= 44 and box["height"] >= 44, (selector, box)
        shots = PROJECT_ROOT / "var" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "widget-phone.png"))
    finally:
        context.close()


def test_widget_texts_are_english_in_an_english_conversation(
    widget_stack: WidgetStack, page: Any
) -> None:
    # An Indonesian browser; the customer writes English, the bot answers in English, and
    # the widget's own texts follow the conversation.
    open_widget(page, widget_stack.page_url)
    bot_messages(page).first.wait_for(timeout=60_000)
    page.get_by_role("textbox").fill("Hello, what are your office opening hours?")
    page.get_by_role("button", name="Kirim").click()
    page.get_by_role("button", name="Send", exact=True).wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Close chat").is_visible()
    assert page.get_by_role("textbox").get_attribute("placeholder") == "Type your message…"
    assert page.locator(".lc-status").inner_text() == "Connected"
    assert page.locator(".lc-launcher").inner_text().startswith("Chat with us")


def test_an_english_browser_starts_with_english_texts(
    widget_stack: WidgetStack, browser: Any
) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        page.goto(widget_stack.page_url)
        page.get_by_role("button", name="Chat with us").click()
        bot_messages(page).first.wait_for(timeout=60_000)
        assert page.get_by_role("button", name="Send", exact=True).is_visible()
    finally:
        context.close()


def _focused_class(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.className"))


def test_keyboard_only_open_send_and_close(widget_stack: WidgetStack, page: Any) -> None:
    page.goto(widget_stack.page_url)
    for _ in range(40):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        if "lc-launcher" in _focused_class(page):
            break
    assert "lc-launcher" in _focused_class(page)
    page.keyboard.press("Enter")
    assert "lc-input" in _focused_class(page)  # the panel opened with the focus in the box
    bot_messages(page).first.wait_for(timeout=60_000)
    page.keyboard.type("jam buka kantor kapan ya?")
    page.keyboard.press("Enter")
    page.locator(".lc-msg.lc-user .lc-bubble", has_text="jam buka kantor kapan ya?").wait_for()
    page.locator(".lc-msg.lc-bot").nth(1).wait_for(timeout=30_000)
    page.keyboard.press("Escape")
    assert page.locator(".lc-panel").is_hidden()
    assert "lc-launcher" in _focused_class(page)  # back where the customer started


def test_a_question_from_one_tab_appears_with_its_answer_in_the_other(
    widget_stack: WidgetStack, page: Any
) -> None:
    open_widget(page, widget_stack.page_url)
    bot_messages(page).first.wait_for(timeout=60_000)
    other = page.context.new_page()
    other.goto(widget_stack.page_url)
    bot_messages(other).first.wait_for(timeout=30_000)
    before = other.locator(".lc-msg").count()
    page.get_by_role("textbox").fill("jam buka kantor kapan ya?")
    page.get_by_role("button", name="Kirim").click()
    question = other.locator(".lc-msg.lc-user .lc-bubble", has_text="jam buka kantor kapan ya?")
    question.wait_for(timeout=15_000)
    other.locator(".lc-msg").nth(before + 1).wait_for(timeout=30_000)  # the answer
    page.locator(".lc-msg").nth(before + 1).wait_for(timeout=30_000)
    # Each message once, in the same order, in both tabs (a reply is not shown twice). The
    # bot may answer in several messages: compare once both tabs show the same count.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows_a = page.locator(".lc-msg").all_inner_texts()
        rows_b = other.locator(".lc-msg").all_inner_texts()
        if rows_a == rows_b:
            break
        time.sleep(0.2)
    assert rows_a == rows_b and len(rows_a) >= before + 2
    assert len(set(rows_a)) == len(rows_a)  # no message shown twice
    assert rows_b[before].startswith("jam buka kantor kapan ya?")
    assert other.locator(".lc-msg.lc-user", has_text="jam buka kantor kapan ya?").count() == 1


def _queue(widget_stack: WidgetStack, page: Any) -> tuple[str, int]:
    """The widget's conversation waiting for an agent, as ``action_handoff`` leaves it."""
    from bot.crm import customers, handoffs

    open_widget(page, widget_stack.page_url)
    bot_messages(page).first.wait_for(timeout=60_000)
    session_id = page.evaluate(SESSION_JS)
    url = widget_stack.database_url
    customer = customers.resolve_customer("socketio", session_id, url=url)
    record = handoffs.open_handoff(
        session_id, "socketio", customer.id, "request", {}, [], f"test:{session_id}", url=url
    )
    widget_stack.append_event(session_id, {"event": "pause"})
    page.reload()  # the widget learns the state on (re)connect
    page.locator(".lc-status", has_text="Menunggu agen CS").wait_for(timeout=15_000)
    return session_id, record.id


def test_no_typing_indicator_while_the_bot_is_paused(widget_stack: WidgetStack, page: Any) -> None:
    session_id, _ = _queue(widget_stack, page)
    page.get_by_role("textbox").fill("halo, masih lama?")
    page.get_by_role("button", name="Kirim").click()
    page.locator(".lc-msg.lc-user .lc-bubble", has_text="halo, masih lama?").wait_for()
    assert page.locator(".lc-typing").is_hidden()
    # After the server has processed it (the message is in the tracker), still nothing.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        events = widget_stack.tracker(session_id)["events"]
        if any(e["event"] == "user" and e.get("text") == "halo, masih lama?" for e in events):
            break
        time.sleep(0.2)
    assert page.locator(".lc-typing").is_hidden()


def test_leave_queue_button_resumes_the_bot(widget_stack: WidgetStack, page: Any) -> None:
    from bot.crm import handoffs

    session_id, handoff_id = _queue(widget_stack, page)
    page.get_by_role("button", name="Keluar antrean").click()
    page.locator(".lc-msg.lc-bot", has_text="keluar dari antrean").wait_for(timeout=15_000)
    page.get_by_role("button", name="Keluar antrean").wait_for(state="hidden", timeout=15_000)
    assert widget_stack.tracker(session_id)["paused"] is False
    record = handoffs.get_handoff(handoff_id, url=widget_stack.database_url)
    assert record is not None and record.status == "closed"
    before = bot_messages(page).count()
    page.get_by_role("textbox").fill("jam buka kantor kapan ya?")
    page.get_by_role("button", name="Kirim").click()
    bot_messages(page).nth(before).wait_for(timeout=30_000)  # the bot answers again


def test_an_image_from_the_widget_reaches_the_desk_transcript(
    widget_stack: WidgetStack, page: Any, tmp_path: Path
) -> None:
    from bot.crm import handoffs

    _, handoff_id = _queue(widget_stack, page)
    photo = tmp_path / "bukti-transfer.png"
    # A real PNG signature: the server sniffs the type from these bytes.
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64)
    page.locator(".lc-file").set_input_files(str(photo))
    page.locator(".lc-msg.lc-user", has_text="[gambar] bukti-transfer.png").wait_for()
    deadline = time.monotonic() + 20
    lines: list[str] = []
    while time.monotonic() < deadline and not lines:
        lines = [
            m.text
            for m in handoffs.messages(handoff_id, url=widget_stack.database_url)
            if m.sender == "customer"
        ]
        time.sleep(0.2)
    assert len(lines) == 1 and lines[0].startswith("[gambar] /desk/media/")
    assert lines[0].endswith(".png")
