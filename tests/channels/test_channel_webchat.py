"""Website widget channel (socket.io): sessions, typed intents, bad input, bus delivery.

A real Sanic server with the channel runs on a free port in the test's event loop; clients
are python-socketio clients (polling transport: engine.io's websocket client needs a newer
aiohttp than Rasa allows; the browser test covers websockets). The bot is a stand-in that
echoes what reached it, with a button, so every assertion is about what a customer sees.

"Nothing reached this tab" is never shown by waiting a while: the tab then gets something
it must get (its own echo, a message addressed to it, the server closing it), and that is
the FIRST thing it received: events reach a socket.io client in the order they were sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.bus import TOPIC_DELIVER, RedisBus, get_bus, reset_bus
from bot.channels import hooks
from bot.channels.typed_intents import NEUTRALISER
from bot.channels.webchat import WebchatInput
from testkit.ports import free_port

SHOP = "http://shop.example:8080"


class ChatClient:
    """One browser tab: a socket.io client plus the events it received, in order."""

    def __init__(self, url: str, origin: str | None) -> None:
        self.url, self.origin = url, origin
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for name in (
            "session_confirm",
            "bot_uttered",
            "chat_error",
            "history",
            "disconnect",
            "user_echo",
            "handoff_state",
            "agent_typing",
        ):
            self.sio.on(name, self._recorder(name))
        self.session_id: str | None = None

    def _recorder(self, name: str):
        async def record(data: Any = None) -> None:
            await self.events.put((name, data))

        return record

    async def connect(self) -> None:
        headers = {"Origin": self.origin} if self.origin else {}
        await self.sio.connect(
            self.url, socketio_path="/socket.io", transports=["polling"], headers=headers
        )

    async def next(self, name: str, timeout: float = 5) -> Any:
        while True:
            event, data = await asyncio.wait_for(self.events.get(), timeout)
            if event == name:
                return data

    async def next_event(self, timeout: float = 5) -> tuple[str, Any]:
        """The first event not read yet, whatever its kind."""
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self) -> None:
        """Close the tab. A polling client's clean disconnect waits for its pending long-poll,
        which the server ends only after ping_interval + ping_timeout (2 s); a closing browser
        tab does not wait either: close the transport."""
        eio = self.sio.eio
        reader, writer = eio.read_loop_task, eio.write_loop_task
        if eio.state == "connected":
            await eio.disconnect(abort=True)
        if writer is not None:
            await asyncio.gather(writer, return_exceptions=True)
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def session(self, session_id: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        self.session_id = await self.next("session_confirm")
        return self.session_id

    async def say(self, text: Any, session_id: str | None = None, **extra: Any) -> None:
        await self.sio.emit(
            "user_uttered", {"message": text, "session_id": session_id or self.session_id, **extra}
        )


class WebchatServer:
    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.channel = WebchatInput(allowed_origins=(SHOP,))
        self.store = InMemoryTrackerStore(Domain.empty())
        self.port = free_port()
        self.clients: list[ChatClient] = []
        self.server: Any = None

    async def _bot(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_text_with_buttons(
            message.sender_id,
            f"echo: {message.text}",
            [{"title": "Bicara dengan CS", "payload": "/request_human"}],
        )

    async def start(self) -> None:
        app = Sanic(f"webchat_test_{uuid.uuid4().hex}")
        app.blueprint(self.channel.blueprint(self._bot), url_prefix="/webhooks/socketio")
        app.ctx.agent = SimpleNamespace(tracker_store=self.store)
        # Short engine.io heartbeats: a polling client's clean disconnect waits for its
        # pending long-poll request, which the server ends after interval + timeout.
        self.channel.sio.eio.ping_interval = 1
        self.channel.sio.eio.ping_timeout = 1
        self.server = await app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
        )
        await self.server.startup()
        await self.server.before_start()
        await self.server.after_start()
        await self.server.start_serving()

    async def client(self, origin: str | None = SHOP, connect: bool = True) -> ChatClient:
        client = ChatClient(f"http://127.0.0.1:{self.port}", origin)
        self.clients.append(client)
        if connect:
            await client.connect()
        return client

    async def stop(self) -> None:
        for client in self.clients:
            await client.close()
        # Wait for the server to have dropped every socket.
        deadline = asyncio.get_running_loop().time() + 5
        while self.channel.sio.eio.sockets and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        await self.server.before_stop()
        self.server.close()
        await self.server.wait_closed()
        await self.server.after_stop()
        # engine.io's ping timers and service task would outlive the test's event loop.
        leftovers = [
            task
            for task in asyncio.all_tasks()
            if getattr(task.get_coro(), "__qualname__", "")
            in ("AsyncSocket._send_ping", "AsyncServer._service_task")
        ]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)


@pytest.fixture
async def chat(monkeypatch) -> AsyncIterator[WebchatServer]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    from bot.config import get_settings

    get_settings.cache_clear()
    reset_bus()
    server = WebchatServer()
    await server.start()
    yield server
    await server.stop()
    hooks.unregister_customer_message_hook()
    reset_bus()
    get_settings.cache_clear()


# ---- sessions ----------------------------------------------------------------------------
async def test_a_new_widget_gets_a_session_and_the_bot_answers_in_it(chat):
    tab = await chat.client()
    session_id = await tab.session()
    assert len(session_id) == 32
    await tab.say("halo")
    answer = await tab.next("bot_uttered")
    assert answer["text"] == "echo: halo"
    assert answer["quick_replies"][0]["title"] == "Bicara dengan CS"
    assert chat.received[0].sender_id == session_id


async def test_a_reload_keeps_the_session(chat):
    first = await chat.client()
    session_id = await first.session()
    await first.close()
    reloaded = await chat.client()
    assert await reloaded.session(session_id) == session_id
    await reloaded.say("masih sesi yang sama?")
    await reloaded.next("bot_uttered")
    assert chat.received[-1].sender_id == session_id


@pytest.mark.parametrize(
    "requested", ["6281234567890", "whatsapp:+6281234567890", "../../admin", "A" * 32]
)
async def test_a_session_id_we_did_not_issue_is_replaced(chat, requested):
    tab = await chat.client()
    session_id = await tab.session(requested)
    assert session_id != requested and len(session_id) == 32


async def test_a_socket_cannot_send_as_another_session(chat):
    victim = await chat.client()
    victim_session = await victim.session()
    attacker = await chat.client()
    await attacker.session()
    await attacker.say("tunjukkan data saya", session_id=victim_session)
    assert (await attacker.next("chat_error"))["error"] == "invalid_session"
    assert chat.received == []
    # The victim's tab got nothing: the first thing it receives is the answer to its own message.
    await victim.say("halo")
    event, data = await victim.next_event()
    assert (event, data["text"]) == ("bot_uttered", "echo: halo")


# ---- origins -------------------------------------------------------------------------
async def test_the_shop_origin_may_connect(chat):
    tab = await chat.client(origin=SHOP)
    assert tab.sio.connected


async def test_a_foreign_origin_is_refused(chat):
    tab = await chat.client(origin="https://evil.example", connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await tab.connect()


# ---- typed intents ---------------------------------------------------------------------
async def test_typed_restart_reaches_the_bot_as_text(chat):
    tab = await chat.client()
    await tab.session()
    await tab.say("/restart")
    await tab.next("bot_uttered")
    assert chat.received[0].text == NEUTRALISER + "/restart"


async def test_greeting_payload_passes_only_on_a_new_conversation(chat):
    tab = await chat.client()
    session_id = await tab.session()
    await tab.say("/greet")
    await tab.next("bot_uttered")
    assert chat.received[0].text == "/greet"
    await chat.store.save(DialogueStateTracker.from_events(session_id, [UserUttered("/greet")]))
    await tab.say("/greet")
    await tab.next("bot_uttered")
    assert chat.received[1].text == NEUTRALISER + "/greet"


async def test_an_offered_button_payload_passes_and_others_do_not(chat):
    tab = await chat.client()
    session_id = await tab.session()
    tracker = DialogueStateTracker.from_events(
        session_id,
        [
            UserUttered("halo"),
            BotUttered(
                "Pilih:",
                data={"buttons": [{"title": "Kalibrasi", "payload": "/request_calibration"}]},
            ),
        ],
    )
    await chat.store.save(tracker)
    await tab.say("/request_calibration")
    await tab.next("bot_uttered")
    await tab.say('/inform{"phone": "000"}')
    await tab.next("bot_uttered")
    assert [m.text for m in chat.received] == [
        "/request_calibration",
        NEUTRALISER + '/inform{"phone": "000"}',
    ]


async def test_client_metadata_is_dropped(chat):
    tab = await chat.client()
    await tab.session()
    await tab.say("halo", metadata={"wa_id": "6281234567890", "role": "agent"})
    await tab.next("bot_uttered")
    assert chat.received[0].metadata == {"channel": "socketio"}


# ---- bad input -------------------------------------------------------------------------
async def test_a_10000_character_message_gets_a_polite_reply_and_not_the_bot(chat):
    tab = await chat.client()
    await tab.session()
    await tab.say("x" * 10_000)
    answer = await tab.next("bot_uttered")
    assert "terlalu panjang" in answer["text"]
    assert chat.received == []


@pytest.mark.parametrize(
    "payload", [["not", "a", "dict"], "just text", {"message": 42}, {"message": None}]
)
async def test_wrong_shapes_get_an_error_event_and_the_server_keeps_serving(chat, payload):
    tab = await chat.client()
    await tab.session()
    if isinstance(payload, dict):
        payload = {**payload, "session_id": tab.session_id}
    await tab.sio.emit("user_uttered", payload)
    assert (await tab.next("chat_error"))["error"] == "bad_message"
    await tab.say("halo lagi")
    assert (await tab.next("bot_uttered"))["text"] == "echo: halo lagi"


async def test_emoji_and_non_latin_scripts_pass_verbatim(chat):
    tab = await chat.client()
    await tab.session()
    for text in ["Terima kasih 🙏😊", "ありがとう", "شكرا"]:
        await tab.say(text)
        assert (await tab.next("bot_uttered"))["text"] == f"echo: {text}"


async def test_a_1_mb_message_is_refused_by_the_transport_and_others_keep_chatting(chat):
    big = await chat.client()
    await big.session()
    with contextlib.suppress(Exception):
        await big.say("x" * (1024 * 1024))
    # Refused before parsing (max_http_buffer_size): the transport is closed, and that is
    # the first thing the tab sees: no reply at all, not even "too long".
    assert (await big.next_event())[0] == "disconnect"
    assert chat.received == []
    other = await chat.client()
    await other.session()
    await other.say("halo")
    assert (await other.next("bot_uttered"))["text"] == "echo: halo"


# ---- hook and agent delivery ---------------------------------------------------------
async def test_customer_messages_are_reported_to_the_desk_hook(chat):
    seen: list[tuple[str, str, str]] = []
    hooks.register_customer_message_hook(
        lambda sender, channel, text: seen.append((sender, channel, text))
    )
    tab = await chat.client()
    session_id = await tab.session()
    await tab.say("halo CS")
    await tab.next("bot_uttered")
    assert seen == [(session_id, "socketio", "halo CS")]


async def test_a_failing_hook_does_not_lose_the_message(chat):
    def broken(*_: Any) -> None:
        raise RuntimeError("desk is down")

    hooks.register_customer_message_hook(broken)
    tab = await chat.client()
    await tab.session()
    await tab.say("halo")
    assert (await tab.next("bot_uttered"))["text"] == "echo: halo"


async def test_agent_message_on_the_bus_reaches_every_tab_of_that_customer_only(chat):
    tab1 = await chat.client()
    session_id = await tab1.session()
    tab2 = await chat.client()
    await tab2.session(session_id)  # the same customer in a second tab
    stranger = await chat.client()
    await stranger.session()
    await get_bus().publish(
        TOPIC_DELIVER,
        {
            "channel": "socketio",
            "recipient_id": session_id,
            "message": {"text": "Halo, saya Rina dari CS.", "agent_name": "Rina"},
        },
    )
    mids = set()
    for tab in (tab1, tab2):
        event = await tab.next("bot_uttered")
        mids.add(event.pop("mid"))
        assert event == {
            "text": "Halo, saya Rina dari CS.",
            "sender": "agent",
            "agent_name": "Rina",
        }
    assert len(mids) == 1  # one id for the message: the tabs' shared transcript shows it once
    # The stranger's first message is the one addressed to the stranger, sent afterwards.
    await get_bus().publish(
        TOPIC_DELIVER,
        {
            "channel": "socketio",
            "recipient_id": stranger.session_id,
            "message": {"text": "Untuk Anda", "agent_name": "Rina"},
        },
    )
    event, data = await stranger.next_event()
    assert (event, data["text"]) == ("bot_uttered", "Untuk Anda")


async def test_bus_messages_for_other_channels_are_ignored(chat):
    tab = await chat.client()
    session_id = await tab.session()
    await get_bus().publish(
        TOPIC_DELIVER, {"channel": "whatsapp", "recipient_id": session_id, "message": {"text": "x"}}
    )
    await get_bus().publish(
        TOPIC_DELIVER,
        {"channel": "socketio", "recipient_id": session_id, "message": {"text": "y"}},
    )
    # The WhatsApp message was published first: the tab's first event is the widget's.
    event, data = await tab.next_event()
    assert (event, data["text"]) == ("bot_uttered", "y")


@pytest.fixture
async def redis_chat(monkeypatch) -> AsyncIterator[WebchatServer]:
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):  # CI runs the Redis service: the replica path must be tested
            pytest.fail(f"Redis unreachable in CI: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    monkeypatch.setenv("REDIS_URL", url)
    from bot.config import get_settings

    get_settings.cache_clear()
    reset_bus()
    server = WebchatServer()
    await server.start()
    yield server
    await server.stop()
    await get_bus().close()
    reset_bus()
    get_settings.cache_clear()


async def test_agent_message_published_by_another_replica_through_redis(redis_chat):
    assert isinstance(get_bus(), RedisBus)
    tab = await redis_chat.client()
    session_id = await tab.session()
    other_replica = RedisBus(get_bus().url, prefix=get_bus().prefix)
    try:
        await other_replica.publish(
            TOPIC_DELIVER,
            {
                "channel": "socketio",
                "recipient_id": session_id,
                "message": {"text": "Dari replika lain"},
            },
        )
        event = await tab.next("bot_uttered")
    finally:
        await other_replica.close()
    assert event["text"] == "Dari replika lain"


# ---- offline customers (issue 15) -----------------------------------------------------
async def _until(condition, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_presence_is_shared_through_redis_and_cleared_on_disconnect(redis_chat):
    from bot.widget_presence import is_connected_sync

    tab = await redis_chat.client()
    session_id = await tab.session()
    # Another process (the worker, another replica's desk) sees the open widget ...
    assert await asyncio.to_thread(is_connected_sync, get_bus().url, session_id)
    assert await redis_chat.channel.is_connected(session_id)
    await tab.sio.disconnect()
    # ... and that it closed.
    await _until(lambda: not redis_chat.channel._sessions)
    assert not await asyncio.to_thread(is_connected_sync, get_bus().url, session_id)
    assert not await redis_chat.channel.is_connected(session_id)


async def test_the_widget_gets_what_it_missed_and_acknowledges_it(chat, crm_db):
    from bot.crm import handoffs
    from bot.crm.db import session_scope
    from bot.crm.models import HandoffMessage
    from bot.notify.agent_reply import store_reply

    tab = await chat.client()
    session_id = await tab.session()
    record = handoffs.open_handoff(session_id, "socketio", None, "customer_request", {}, [], "k-h")
    stored = store_reply(record.id, None, "Balasan saat offline", offline=True, agent_name="Rina")

    await tab.sio.emit("history_request", {"session_id": session_id})
    (item,) = (await tab.next("history"))["items"]
    assert (item["key"], item["text"]) == (f"hm-{stored.id}", "Balasan saat offline")

    # Another tab cannot read or acknowledge this session's items.
    other = await chat.client()
    await other.session()
    await other.sio.emit("history_request", {"session_id": session_id})
    assert (await other.next("chat_error"))["error"] == "invalid_session"

    await tab.sio.emit("message_seen", {"session_id": session_id, "keys": [item["key"]]})

    def delivered() -> bool:
        with session_scope(crm_db, readonly=True) as session:
            row = session.get(HandoffMessage, stored.id)
            return row is not None and row.delivered_at is not None

    await _until(delivered)
    await tab.sio.emit("history_request", {"session_id": session_id})
    assert (await tab.next("history"))["items"] == []


# ---- several tabs, queue, typing (issue 16) -----------------------------------------------
async def test_a_question_from_one_tab_appears_in_the_other_with_its_answer(chat):
    tab_a = await chat.client()
    session_id = await tab_a.session()
    tab_b = await chat.client()
    await tab_b.session(session_id)
    await tab_a.say("jam buka?", client_id="u-1")
    echo = await tab_b.next("user_echo")
    assert echo == {"text": "jam buka?", "client_id": "u-1"}
    answer_b = await tab_b.next("bot_uttered")
    answer_a = await tab_a.next("bot_uttered")
    assert answer_a["text"] == answer_b["text"] == "echo: jam buka?"
    assert answer_a["mid"] == answer_b["mid"]  # the same message, shown once in the transcript


async def test_an_agent_typing_signal_reaches_the_customer_tabs(chat):
    tab = await chat.client()
    session_id = await tab.session()
    await get_bus().publish(
        TOPIC_DELIVER,
        {"channel": "socketio", "recipient_id": session_id, "typing": {"agent_name": "Rina"}},
    )
    assert await tab.next("agent_typing") == {"agent_name": "Rina", "on": True}


@pytest.fixture
def queued(chat, crm_db):
    """``chat`` with a real agent stand-in (lock store, domain) and a CRM database."""
    from rasa.core.lock_store import InMemoryLockStore

    chat.channel._app.ctx.agent = SimpleNamespace(
        tracker_store=chat.store, lock_store=InMemoryLockStore(), domain=Domain.empty()
    )
    return chat


async def _waiting_handoff(store: InMemoryTrackerStore, session_id: str) -> int:
    from rasa.shared.core.events import ConversationPaused

    from bot.crm import customers, handoffs

    await store.save(
        DialogueStateTracker.from_events(session_id, [UserUttered("cs"), ConversationPaused()])
    )
    customer = await asyncio.to_thread(customers.resolve_customer, "socketio", session_id)
    record = await asyncio.to_thread(
        handoffs.open_handoff, session_id, "socketio", customer.id, "request", {}, [], "k1"
    )
    return record.id


async def test_leave_queue_closes_the_waiting_handoff_and_resumes_the_bot(queued):
    from bot.crm import handoffs

    tab = await queued.client()
    session_id = await tab.session()
    handoff_id = await _waiting_handoff(queued.store, session_id)
    await tab.sio.emit("leave_queue", {"session_id": session_id})
    answer = await tab.next("bot_uttered")
    assert "keluar dari antrean" in answer["text"]
    assert await tab.next("handoff_state") == {"status": "none"}
    record = await asyncio.to_thread(handoffs.get_handoff, handoff_id)
    assert record is not None and record.status == "closed"
    tracker = await queued.store.retrieve(session_id)
    assert not tracker.is_paused()
    # The bot answers again, and a typed "/restart" is still only text.
    await tab.say("/restart")
    await tab.next("bot_uttered")
    assert queued.received[-1].text.startswith(NEUTRALISER)


async def test_leave_queue_cannot_take_a_conversation_from_its_agent(queued):
    from bot.crm import agents, handoffs

    tab = await queued.client()
    session_id = await tab.session()
    handoff_id = await _waiting_handoff(queued.store, session_id)
    agent = await asyncio.to_thread(agents.create_agent, "rina", "password-123")
    assert await asyncio.to_thread(handoffs.claim, handoff_id, agent.id)
    await tab.sio.emit("leave_queue", {"session_id": session_id})
    answer = await tab.next("bot_uttered")
    assert "sudah bergabung" in answer["text"]
    record = await asyncio.to_thread(handoffs.get_handoff, handoff_id)
    assert record is not None and record.status == "active"
    assert (await queued.store.retrieve(session_id)).is_paused()


async def test_leave_queue_for_another_session_is_refused(queued):
    tab = await queued.client()
    await tab.session()
    other = uuid.uuid4().hex
    await tab.sio.emit("leave_queue", {"session_id": other})
    assert await tab.next("chat_error") == {"error": "invalid_session"}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


async def _upload(chat: WebchatServer, session_id: str, data: bytes, declared: str) -> Any:
    import requests

    def post() -> Any:
        return requests.post(
            f"http://127.0.0.1:{chat.port}/webhooks/socketio/upload",
            data={"session_id": session_id, "client_id": "u-9"},
            files={"file": ("bukti.png", data, declared)},
            headers={"Origin": SHOP},
            timeout=10,
        )

    return await asyncio.to_thread(post)


async def test_an_uploaded_photo_is_stored_and_acknowledged(chat, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    tab = await chat.client()
    session_id = await tab.session()
    other_tab = await chat.client()
    await other_tab.session(session_id)
    response = await _upload(chat, session_id, PNG, "image/png")
    assert response.status_code == 200 and response.json()["kind"] == "image"
    answer = await tab.next("bot_uttered")
    assert "sudah kami terima" in answer["text"]
    assert await other_tab.next("user_echo") == {"text": "[image]", "client_id": "u-9"}
    [stored] = [p for p in (tmp_path / "media").rglob("*.png")]
    assert stored.read_bytes() == PNG and stored.stat().st_mode & 0o777 == 0o600


async def test_an_upload_is_judged_by_its_bytes_not_its_declared_type(chat, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    tab = await chat.client()
    session_id = await tab.session()
    response = await _upload(chat, session_id, b"<script>alert(1)</script>", "image/png")
    assert response.status_code == 415 and response.json() == {"error": "type"}
    answer = await tab.next("bot_uttered")
    assert "hanya bisa menerima foto" in answer["text"]
    assert not (tmp_path / "media").exists() or not list((tmp_path / "media").rglob("*.*"))


async def test_an_upload_needs_a_connected_session_and_a_size_within_the_limit(
    chat, tmp_path, monkeypatch
):
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("MEDIA_MAX_BYTES", "100")
    response = await _upload(chat, uuid.uuid4().hex, PNG, "image/png")
    assert response.status_code == 403 and response.json() == {"error": "invalid_session"}
    tab = await chat.client()
    session_id = await tab.session()
    response = await _upload(chat, session_id, PNG + b"\x00" * 200, "image/png")
    assert response.status_code == 413 and response.json() == {"error": "too_large"}
