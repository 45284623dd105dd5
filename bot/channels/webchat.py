"""Website widget channel: Rasa's socket.io channel with the project's safety rules.

credentials.yml::

    bot.channels.webchat.WebchatInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered

Differences from Rasa's ``SocketIOInput`` (same protocol, so any Rasa socket.io widget works):

* Sessions always persist: the conversation id is the widget's ``session_id`` (kept in the
  browser's localStorage), the socket joins that room, so replies and agent messages reach
  every tab of that customer, after a reload too. Rasa 3.6 calls python-socketio 5's
  coroutine ``enter_room`` without ``await`` and so never joins the room; we await it.
* Session ids must look like ones we issue (32 hex characters) and a socket may only send as
  the session it joined: a client cannot pick another customer's (or a WhatsApp) conversation.
* Client metadata is dropped (only server-set metadata reaches actions), typed "/..." text
  stays text unless the bot offered that payload (``typed_intents``), oversized messages get
  a polite reply instead of reaching Rasa.
* Agent messages published on the delivery bus (``bot.bus``, topic ``deliver``) are emitted
  to the customer's room, from whichever replica holds the connection.
* Browser origins are checked against WEB_ORIGINS at connect time (websocket connections
  are not covered by CORS).
* Offline customers (issue 15): the channel knows which sessions have an open socket
  (``is_connected``: its own rooms, and across replicas ``bot.widget_presence`` in Redis),
  so the desk can tell a live delivery from one that must wait. On every connect the widget
  asks for what it missed (``history_request`` -> ``history``: agent replies and widget
  notifications not acknowledged yet, ``bot.notify.agent_reply.inbox``) and acknowledges
  what it showed (``message_seen``), which marks them delivered on the desk.
* Issue 16: ``handoff_state`` tells the widget whether the bot is paused (queue/agent), the
  ``leave_queue`` event leaves a waiting queue (server-checked, not a typed intent),
  ``agent_typing`` relays the desk's typing signal, every message carries an id and a tab's
  message is echoed to the other tabs (``user_echo``), and ``POST .../upload`` takes photos
  and PDFs (bot.channels.attachments). See docs/channels.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import rasa.core.channels.channel
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import SlotSet
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import jsonsafe
from bot.channels import hooks
from bot.channels.limits import (
    TextProblem,
    invalid_text_reply,
    max_body_bytes,
    text_problem,
    too_long_reply,
)
from bot.channels.optout import consent_reply
from bot.channels.typed_intents import offer_for_typed_text, resolve_typed_text, tracker_store_of

if TYPE_CHECKING:
    from typing_extensions import TypeIs

logger = logging.getLogger(__name__)

CHANNEL = "socketio"
_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def is_valid_session_id(value: Any) -> TypeIs[str]:
    return isinstance(value, str) and bool(_SESSION_ID.fullmatch(value))


def _client_id(value: Any) -> str | None:
    """The sending tab's id for its own message (echoed to the other tabs), if well-formed."""
    return value if isinstance(value, str) and 0 < len(value) <= 40 else None


def widget_event(message: dict[str, Any]) -> dict[str, Any]:
    """A bus message (Rasa response dict) as the ``bot_uttered`` payload the widget renders."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    agent_name = message.get("agent_name") or metadata.get("agent_name")
    sender = message.get("sender") or metadata.get("sender") or ("agent" if agent_name else "bot")
    event: dict[str, Any] = {
        "text": str(message.get("text") or ""),
        "sender": sender,
        "mid": uuid.uuid4().hex,
    }
    if agent_name:
        event["agent_name"] = str(agent_name)
    key = metadata.get("key")
    if isinstance(key, str):
        event["key"] = key  # the widget acknowledges it (message_seen) and de-duplicates
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if buttons:
        event["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
            if isinstance(b, dict)
        ]
    return event


def _render_notification(row: Any) -> str:
    """A widget notification's text, as the worker would send it."""
    from bot.notify.senders import Composer, OutgoingNotification

    return (
        Composer()
        .render(
            OutgoingNotification(
                id=row.id,
                kind=row.kind,
                channel=row.channel,
                recipient=row.recipient,
                language=row.language,
                idempotency_key=row.idempotency_key,
                attempt=row.attempts,
                reference=row.reference,
                payload=dict(row.payload or {}),
            )
        )
        .text
    )


class WebchatOutput(SocketIOOutput):
    """Rasa's socket.io output with a message id (``mid``) on every message.

    Every tab of a conversation receives every message (they share the room) and all of
    them write the shared localStorage transcript: the id lets the widget show each message
    once however many tabs are open.
    """

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if isinstance(response, dict) and "mid" not in response:
            response = {**response, "mid": uuid.uuid4().hex}
        await super()._send_message(socket_id, response)


class SafeSocketJSON:
    """The ``json`` module python-socketio/engineio decode packets with: bot.jsonsafe limits."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return jsonsafe.loads(text, max_bytes=max_body_bytes())


class _AppAwareSocketBlueprint(SocketBlueprint):
    """Records the Sanic app on registration: socket.io handlers have no request object."""

    def __init__(self, on_register: Callable[[Sanic], None], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.on_register = on_register  # Sanic forbids plain attributes on blueprints

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.on_register(app)
        super().register(app, options)


class WebchatInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebchatInput:
        from bot.config import get_channel_settings

        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
            allowed_origins=get_channel_settings().web_origins,
        )

    def __init__(self, *args: Any, allowed_origins: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_persistence = True
        self.allowed_origins = tuple(allowed_origins)
        self._app: Sanic | None = None
        self._deliver_callback: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        self._sessions: dict[str, str] = {}  # local socket id -> widget session id
        self._presence: Any = None  # bot.widget_presence.RedisPresence when REDIS_URL is set
        self._presence_task: asyncio.Task[None] | None = None

    async def is_connected(self, recipient_id: str) -> bool:
        """Whether the widget session has an open socket on any replica."""
        if recipient_id in self._sessions.values():
            return True
        if self._presence is None:
            return False
        try:
            return bool(await self._presence.is_connected(recipient_id))
        except Exception:  # noqa: BLE001 - Redis down: treat as offline (outbox, not lost)
            logger.warning("widget presence unavailable; treating the customer as offline")
            return False

    async def _joined(self, sid: str, session_id: str) -> None:
        self._sessions[sid] = session_id
        if self._presence is not None:
            try:
                await self._presence.add([(session_id, sid)])
            except Exception:  # noqa: BLE001 - presence is best effort
                logger.warning("widget presence could not be recorded")

    async def _left(self, sid: str) -> None:
        session_id = self._sessions.pop(sid, None)
        if session_id is not None and self._presence is not None:
            try:
                await self._presence.remove(session_id, sid)
            except Exception:  # noqa: BLE001 - it expires by itself
                logger.warning("widget presence could not be cleared")

    async def _refresh_presence(self) -> None:
        from bot.widget_presence import REFRESH_SECONDS

        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self._presence.add([(s, sid) for sid, s in list(self._sessions.items())])
            except Exception:  # noqa: BLE001 - retried on the next tick
                logger.warning("widget presence refresh failed")

    def _session_of(self, sio: AsyncServer, sid: str, data: Any) -> str | None:
        session_id = data.get("session_id") if isinstance(data, dict) else None
        if is_valid_session_id(session_id) and session_id in sio.rooms(
            sid, namespace=self.namespace
        ):
            return session_id
        return None

    async def _history(self, sio: AsyncServer, sid: str, data: Any) -> None:
        from bot.notify.agent_reply import inbox

        session_id = self._session_of(sio, sid, data)
        if session_id is None:
            await sio.emit(
                "chat_error", {"error": "invalid_session"}, room=sid, namespace=self.namespace
            )
            return
        try:
            items = await asyncio.to_thread(inbox, session_id, _render_notification)
        except Exception:
            logger.exception("widget history could not be read")
            items = []
        await sio.emit("history", {"items": items}, room=sid, namespace=self.namespace)
        await self._emit_state(sio, session_id)

    async def _seen(self, sio: AsyncServer, sid: str, data: Any) -> None:
        from bot.bus import TOPIC_DESK, get_bus
        from bot.notify.agent_reply import acknowledge

        session_id = self._session_of(sio, sid, data)
        keys = data.get("keys") if isinstance(data, dict) else None
        if session_id is None or not isinstance(keys, list):
            return
        keys = [k for k in keys[:200] if isinstance(k, str) and len(k) < 40]
        try:
            done = await asyncio.to_thread(acknowledge, session_id, keys)
        except Exception:
            logger.exception("widget acknowledgement could not be recorded")
            return
        for handoff_id in done.handoff_ids:
            await get_bus().publish(
                TOPIC_DESK,
                {
                    "kind": "delivery_changed",
                    "handoff_id": handoff_id,
                    "message_ids": done.message_ids,
                    "state": "delivered",
                    "label": "Diterima – tampil di chat pelanggan",
                },
            )

    async def _emit_state(self, sio: AsyncServer, room: str) -> None:
        """Tell the widget(s) of ``room`` whether a handoff is waiting/active, and who has it."""
        from bot.handoff.queue import state_for

        try:
            state = await asyncio.to_thread(state_for, room)
        except Exception:
            logger.exception("handoff state could not be read for the widget")
            return
        # The widget's own texts follow the language the bot speaks in this conversation.
        tracker_store = tracker_store_of(self._app)
        if tracker_store is not None:
            try:
                tracker = await tracker_store.retrieve(room)
            except Exception:  # noqa: BLE001 - the widget keeps its current language
                tracker = None
            # Only a language the bot detected (a SlotSet), not the slot's initial value:
            # before the customer's first message the widget keeps the browser's language.
            for event in reversed(list(tracker.events) if tracker is not None else []):
                if isinstance(event, SlotSet) and event.key == "language":
                    if event.value in ("id", "en"):
                        state["language"] = event.value
                    break
        await sio.emit("handoff_state", state, room=room, namespace=self.namespace)

    async def _leave_queue(self, sio: AsyncServer, sid: str, data: Any) -> None:
        """The widget's "Leave queue" button: a server-checked action, never a typed intent.

        Only the session this socket joined, and only its *waiting* handoff (checked and
        closed in one conditional UPDATE). The tracker is then resumed with the polite
        answer recorded as a bot message; the answer goes to this customer's own room as the
        reply to their action (like any bot reply), not as a push from elsewhere. Pressed
        again after a failure between the two steps, it resumes a conversation that is still
        paused without an open handoff, so the customer is never left talking to nobody.
        """
        from rasa.shared.core.constants import ACTION_LISTEN_NAME
        from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed

        from bot.bus import TOPIC_DESK, get_bus
        from bot.handoff.queue import leave

        session_id = self._session_of(sio, sid, data)
        if session_id is None:
            await sio.emit(
                "chat_error", {"error": "invalid_session"}, room=sid, namespace=self.namespace
            )
            return
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        tracker_store = tracker_store_of(self._app)
        language = None
        if tracker_store is not None:
            tracker = await tracker_store.retrieve(session_id)
            language = tracker.get_slot("language") if tracker is not None else None
        result = await asyncio.to_thread(leave, session_id, language)
        if agent is not None and (result.left or result.handoff_id is None):
            async with agent.lock_store.lock(session_id):
                tracker = await agent.tracker_store.get_or_create_tracker(session_id)
                if tracker.is_paused():
                    for event in (
                        ConversationResumed(),
                        BotUttered(text=result.message, metadata={"left_queue": True}),
                        ActionExecuted(ACTION_LISTEN_NAME),
                    ):
                        tracker.update(event, agent.domain)
                    await agent.tracker_store.save(tracker)
        await sio.emit(
            self.bot_message_evt,
            {"text": result.message, "sender": "bot", "mid": uuid.uuid4().hex},
            room=session_id,
            namespace=self.namespace,
        )
        if result.left:
            await get_bus().publish(
                TOPIC_DESK, {"kind": "handoff_closed", "handoff_id": result.handoff_id}
            )
        await self._emit_state(sio, session_id)

    async def _upload(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        """A photo or PDF from the widget (multipart: ``session_id``, ``file``).

        Accepted only for a well-formed session with an open socket (on any replica); the
        type is sniffed from the bytes by the media store, never taken from the upload's
        declared type or name. The reply to the customer goes to their room like any
        bot message (bot.channels.attachments).
        """
        from bot.channels.attachments import receive_attachment
        from bot.media import max_bytes as media_max_bytes

        origin = (request.headers.get("origin") or "").rstrip("/")
        if origin and "*" not in self.allowed_origins and origin not in self.allowed_origins:
            return response.json({"error": "origin"}, status=403)
        session_id = request.form.get("session_id") if request.form else None
        if not is_valid_session_id(session_id) or not await self.is_connected(session_id):
            return response.json({"error": "invalid_session"}, status=403)
        files = request.files.get("file") if request.files else None
        if files is None:
            return response.json({"error": "no_file"}, status=400)
        body = files.body if not isinstance(files, list) else files[0].body
        if len(body) > media_max_bytes():
            return response.json({"error": "too_large"}, status=413)
        if self.sio is None:
            return response.json({"error": "unavailable"}, status=503)
        media = await receive_attachment(
            bytes(body),
            sender_id=session_id,
            channel=CHANNEL,
            output=self._output(self.sio),
            tracker_store=tracker_store_of(self._app),
            on_new_message=on_new_message,
        )
        if media is None:
            return response.json({"error": "type"}, status=415)
        kind = "image" if media.is_image else "document"
        await self.sio.emit(
            "user_echo",
            {"text": f"[{kind}]", "client_id": _client_id(request.form.get("client_id"))},
            room=session_id,
            namespace=self.namespace,
        )
        await self._emit_state(self.sio, session_id)
        return response.json({"ok": True, "kind": kind})

    def _origin_allowed(self, environ: dict[str, Any]) -> bool:
        origin = (environ.get("HTTP_ORIGIN") or "").rstrip("/")
        # No Origin header: not a browser page (curl, tests, server-to-server).
        return not origin or "*" in self.allowed_origins or origin in self.allowed_origins

    def _output(self, sio: AsyncServer) -> SocketIOOutput:
        return WebchatOutput(sio, self.bot_message_evt)

    async def _deliver(self, payload: dict[str, Any]) -> None:
        """Bus subscriber: push a desk message to the customer's room (no-op elsewhere)."""
        if payload.get("channel") != CHANNEL or self.sio is None:
            return
        recipient = payload.get("recipient_id")
        if not is_valid_session_id(recipient):
            return
        typing = payload.get("typing")
        if isinstance(typing, dict):  # the desk: an agent is typing a reply
            name = typing.get("agent_name")
            await self.sio.emit(
                "agent_typing",
                {"agent_name": str(name) if name else None, "on": bool(typing.get("on", True))},
                room=recipient,
                namespace=self.namespace,
            )
            return
        message = payload.get("message")
        if not isinstance(message, dict):
            return
        await self.sio.emit(
            self.bot_message_evt, widget_event(message), room=recipient, namespace=self.namespace
        )
        # Agent joined / closed / replied: the header and typing indicator follow the state.
        await self._emit_state(self.sio, recipient)

    async def _handle_user_message(
        self,
        sio: AsyncServer,
        sid: str,
        data: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        ns = self.namespace
        if not isinstance(data, dict):
            await sio.emit("chat_error", {"error": "bad_message"}, room=sid, namespace=ns)
            return
        session_id = data.get("session_id")
        if not is_valid_session_id(session_id) or session_id not in sio.rooms(sid, namespace=ns):
            # The widget reconnects and requests a session when it sees this.
            await sio.emit("chat_error", {"error": "invalid_session"}, room=sid, namespace=ns)
            return
        text = data.get("message")
        if not isinstance(text, str):
            await sio.emit("chat_error", {"error": "bad_message"}, room=sid, namespace=ns)
            return
        output = self._output(sio)
        problem = text_problem(text)
        if problem == TextProblem.EMPTY:
            return
        if problem:
            reply = (
                too_long_reply(text) if problem == TextProblem.TOO_LONG else invalid_text_reply()
            )
            await output.send_text_message(session_id, reply)
            return
        tracker_store = tracker_store_of(self._app)
        consent = await consent_reply(session_id, CHANNEL, text, tracker_store)
        if consent is not None:  # STOP/START: answered here, during a handoff too
            await output.send_text_message(session_id, consent)
            await hooks.on_customer_message(session_id, CHANNEL, text)
            return
        offer = await offer_for_typed_text(tracker_store, session_id, text)
        message = UserMessage(
            resolve_typed_text(text, offer),
            output,
            session_id,
            input_channel=CHANNEL,
            metadata={"channel": CHANNEL},  # client metadata is untrusted: dropped
        )
        # Every tab of this conversation shows the question next to its answer.
        await sio.emit(
            "user_echo",
            {"text": text, "client_id": _client_id(data.get("client_id"))},
            room=session_id,
            skip_sid=sid,
            namespace=ns,
        )
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("Rasa failed on a widget message")
        await hooks.on_customer_message(session_id, CHANNEL, text)
        await self._emit_state(sio, session_id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[]: CORS headers for HTTP polling come from Rasa's --cors
        # (two Access-Control-Allow-Origin headers would break browsers); the origin itself
        # is enforced in `connect` below, for websockets too.
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=max_body_bytes(),
            json=SafeSocketJSON,  # a too deep packet is dropped, no RecursionError
        )
        self.sio = sio
        bp = _AppAwareSocketBlueprint(
            lambda app: setattr(self, "_app", app),
            sio,
            self.socketio_path,
            "webchat_socketio_webhook",
            __name__,
        )
        ns = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/upload", methods=["POST"])
        async def upload(request: Request) -> HTTPResponse:
            return await self._upload(request, on_new_message)

        @sio.on("connect", namespace=ns)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not self._origin_allowed(environ):
                logger.warning("socket.io connection from a foreign origin refused")
                return False
            if self.jwt_key:
                token = auth.get("token") if isinstance(auth, dict) else None
                return bool(
                    token
                    and rasa.core.channels.channel.decode_bearer_token(
                        token, self.jwt_key, self.jwt_algorithm
                    )
                )
            return True

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if is_valid_session_id(requested) else uuid.uuid4().hex
            for room in sio.rooms(sid, namespace=ns):
                if room != sid and room != session_id:
                    await sio.leave_room(sid, room, namespace=ns)
            await sio.enter_room(sid, session_id, namespace=ns)
            await self._joined(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid, namespace=ns)

        @sio.on("disconnect", namespace=ns)
        async def disconnect(sid: str, *_: Any) -> None:
            await self._left(sid)

        @sio.on("history_request", namespace=ns)
        async def history_request(sid: str, data: Any = None) -> None:
            await self._history(sio, sid, data)

        @sio.on("message_seen", namespace=ns)
        async def message_seen(sid: str, data: Any = None) -> None:
            await self._seen(sio, sid, data)

        @sio.on("leave_queue", namespace=ns)
        async def leave_queue(sid: str, data: Any = None) -> None:
            await self._leave_queue(sio, sid, data)

        @sio.on(self.user_message_evt, namespace=ns)
        async def handle_message(sid: str, data: Any = None) -> None:
            await self._handle_user_message(sio, sid, data, on_new_message)

        @bp.listener("after_server_start")
        async def subscribe(app: Sanic, _: Any) -> None:
            from bot.bus import TOPIC_DELIVER, get_bus

            bus = get_bus()
            self._deliver_callback = self._deliver
            bus.subscribe(TOPIC_DELIVER, self._deliver_callback)
            await bus.start()
            from bot.config import get_settings

            redis_url = get_settings().redis_url
            if redis_url:
                from bot.widget_presence import RedisPresence

                self._presence = RedisPresence(redis_url)
                self._presence_task = asyncio.get_running_loop().create_task(
                    self._refresh_presence()
                )

        @bp.listener("before_server_stop")
        async def unsubscribe(app: Sanic, _: Any) -> None:
            from bot.bus import TOPIC_DELIVER, get_bus

            if self._deliver_callback is not None:
                get_bus().unsubscribe(TOPIC_DELIVER, self._deliver_callback)
            if self._presence_task is not None:
                self._presence_task.cancel()
            if self._presence is not None:
                for sid in list(self._sessions):
                    await self._left(sid)
                await self._presence.close()

        return bp
