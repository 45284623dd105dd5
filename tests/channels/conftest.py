"""Fixtures for the channel tests.

* ``crm_db``: an empty migrated CRM database (SQLite file, and PostgreSQL for the dedupe
  tests marked ``postgres``) set as CRM_DATABASE_URL: dedupe claims are real rows.
* ``fake_graph``: a local stand-in for graph.facebook.com that records what it receives and
  answers from a script (status codes, delays), started on 127.0.0.1 by the test.
* ``channel_app``: a Sanic app with one input channel mounted like ``rasa run`` mounts it,
  whose ``on_new_message`` records what would reach the bot, and a real Rasa
  ``InMemoryTrackerStore`` standing in for the agent's tracker store.
WhatsApp webhook bodies in the documented Cloud API format are in ``channel_helpers.py``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest
from channel_helpers import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic


# ---- CRM database (dedupe claims) --------------------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def _third_party_patches() -> None:
    """What ``python -m bot serve-rasa`` installs at start: these tests run Rasa in-process."""
    from bot import patches

    patches.install()


@pytest.fixture
def crm_db(sqlite_crm_url: str) -> str:
    """An empty migrated SQLite CRM (shared fixture), set as CRM_DATABASE_URL."""
    return sqlite_crm_url


@pytest.fixture
def any_crm_db(crm_url: str) -> str:
    """Both databases: dedupe must hold on the one two replicas would share."""
    return crm_url


# ---- fake Graph API -------------------------------------------------------------------
@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeGraph:
    """Answers POST /{phone_number_id}/messages; ``script`` holds (status, delay_s) per call."""

    server: ThreadingHTTPServer
    requests: list[RecordedRequest] = field(default_factory=list)
    script: list[tuple[int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Graph media endpoint: media id -> bytes; GET /{id} answers the download URL, which
    # serves the bytes to a request carrying the access token.
    media: dict[str, bytes] = field(default_factory=dict)
    downloads: list[RecordedRequest] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v18.0"

    def sent(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests]


def _fake_graph_handler(graph_ref: list[FakeGraph]) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            graph = graph_ref[0]
            with graph.lock:
                graph.downloads.append(RecordedRequest(self.path, dict(self.headers), {}))
            authorised = self.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}"
            parts = self.path.strip("/").split("/")
            status, content_type, data = 404, "application/json", b'{"error": {"code": 100}}'
            if not authorised:
                status, data = 401, b'{"error": {"code": 190}}'
            elif len(parts) == 2 and parts[0] == "v18.0" and parts[1] in graph.media:
                host = f"http://127.0.0.1:{graph.server.server_address[1]}"
                answer = {
                    "url": f"{host}/media-download/{parts[1]}",
                    "mime_type": "image/jpeg",
                    "file_size": len(graph.media[parts[1]]),
                    "id": parts[1],
                    "messaging_product": "whatsapp",
                }
                status, data = 200, json.dumps(answer).encode()
            elif len(parts) == 2 and parts[0] == "media-download" and parts[1] in graph.media:
                status, content_type, data = 200, "image/jpeg", graph.media[parts[1]]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            graph = graph_ref[0]
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if self.path.endswith("/Messages.json"):  # Twilio's REST API (form-encoded)
                self._twilio(graph, raw)
                return
            body = json.loads(raw or b"{}")
            with graph.lock:
                graph.requests.append(RecordedRequest(self.path, dict(self.headers), body))
                status, delay = graph.script.pop(0) if graph.script else (200, 0.0)
                n = len(graph.requests)
            if delay:
                time.sleep(delay)
            if status == 200:
                answer = {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                    "messages": [
                        {"id": f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjAwMDAwMDAwMDAwMDAwMDAw{n:02d}"}
                    ],
                }
            else:
                code = 130429 if status == 429 else (131047 if status == 400 else 1)
                answer = {
                    "error": {
                        "message": f"fake error {status}",
                        "type": "OAuthException",
                        "code": code,
                    }
                }
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def _twilio(self, graph: FakeGraph, raw: bytes) -> None:
            fields = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            with graph.lock:
                graph.requests.append(RecordedRequest(self.path, dict(self.headers), fields))
            data = json.dumps(
                {"sid": "SM" + "0" * 32, "status": "queued", "body": fields.get("Body")}
            ).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    ref: list[FakeGraph] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _fake_graph_handler(ref))
    server.daemon_threads = True
    graph = FakeGraph(server)
    ref.append(graph)
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield graph
    server.shutdown()
    server.server_close()


@pytest.fixture
def whatsapp_env(monkeypatch: pytest.MonkeyPatch, fake_graph: FakeGraph) -> FakeGraph:
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", ACCESS_TOKEN)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
    monkeypatch.setenv("WHATSAPP_GRAPH_BASE_URL", fake_graph.base_url)
    return fake_graph


# ---- a Sanic app with one channel -------------------------------------------------------
@dataclass
class ChannelApp:
    app: Sanic
    received: list[UserMessage]
    tracker_store: InMemoryTrackerStore

    async def post(self, path: str, **kwargs: Any) -> Any:
        _, response = await self.app.asgi_client.post(path, **kwargs)
        return response

    async def get(self, path: str, **kwargs: Any) -> Any:
        _, response = await self.app.asgi_client.get(path, **kwargs)
        return response


@pytest.fixture
def channel_app() -> Callable[..., ChannelApp]:
    def make(
        channel: InputChannel, reply: Callable[[UserMessage], Any] | None = None
    ) -> ChannelApp:
        received: list[UserMessage] = []

        async def on_new_message(message: UserMessage) -> None:
            received.append(message)
            if reply is not None:
                await reply(message)

        app = Sanic(f"channels_test_{uuid.uuid4().hex}")
        app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.name()}")
        store = InMemoryTrackerStore(Domain.empty())
        app.ctx.agent = SimpleNamespace(tracker_store=store)
        return ChannelApp(app, received, store)

    return make
