"""Local stand-ins for the providers: the WhatsApp Cloud API and an SMTP server (aiosmtpd).

``FakeGraph`` behaves like Meta where it matters here: a free-form (``type: text``) message
to a customer whose 24-hour window is closed is refused with HTTP 400 and error code
131047, templates are always accepted, and ``fail`` scripts other answers (e.g. 503). It is
modelled on tests/channels/conftest.py's fake, which cannot be imported without Rasa.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "test-access-token"


@dataclass
class FakeGraph:
    server: ThreadingHTTPServer | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    open_windows: set[str] = field(default_factory=set)  # wa_ids that wrote within 24 h
    fail: list[int] = field(default_factory=list)  # HTTP statuses for the next calls
    delay: float = 0.0  # seconds before answering
    hold: threading.Event | None = None  # when set, answers wait until it is set
    received: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (time.time(), to)

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v18.0"

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(body)
            self.arrivals.append((time.time(), str(body.get("to"))))
            n = len(self.requests)
            status = self.fail.pop(0) if self.fail else 200
        self.received.set()
        if self.hold is not None:
            self.hold.wait(timeout=60)
        if self.delay:
            time.sleep(self.delay)
        if status == 200 and body.get("type") == "text" and body.get("to") not in self.open_windows:
            status = 400
            error = {"code": 131047, "message": "Re-engagement message"}
            return status, {"error": {**error, "type": "OAuthException"}}
        if status != 200:
            return status, {"error": {"code": 1, "message": f"fake {status}"}}
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
            "messages": [{"id": f"wamid.FAKE{n:06d}"}],
        }

    def sent(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Requests the fake accepted or refused, optionally of one ``type``."""
        with self.lock:
            return [r for r in self.requests if kind is None or r.get("type") == kind]


def start_fake_graph() -> FakeGraph:
    graph = FakeGraph()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                status, answer = 401, {"error": {"code": 190, "message": "bad token"}}
            else:
                status, answer = graph.answer(body)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    graph.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return graph


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.fail: list[str] = []  # SMTP replies for the next DATA commands, e.g. "451 later"
        self.arrivals: list[tuple[float, str]] = []  # (time.time(), first recipient)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.fail:
                return self.fail.pop(0)
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            self.arrivals.append((time.time(), str(envelope.rcpt_tos[0])))
        return "250 Message accepted for delivery"


@dataclass
class FakeSMTP:
    controller: Controller
    recorder: _Recorder

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.recorder.lock:
            return list(self.recorder.messages)

    def stop(self) -> None:
        self.controller.stop()


def start_fake_smtp(port: int) -> FakeSMTP:
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    return FakeSMTP(controller, recorder)
