"""A customer chatting with the running stack over the REST channel, plus CRM read helpers
and a recording proxy for the calls Rasa makes to the action server."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import sqlalchemy as sa

REFERENCE = re.compile(r"\b(KAL|FIN|CMP)-\d{4}-\d{6}\b")


class Chat:
    def __init__(self, stack: Any, sender: str | None = None) -> None:
        self.stack = stack
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:10]}"
        self.last: list[dict[str, Any]] = []

    def say(self, text: str) -> str:
        self.last = self.stack.say(self.sender, text, timeout=60)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("text") or "") for m in self.last)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.last for b in (m.get("buttons") or [])]

    def click(self, title: str) -> str:
        """Tap the button of the last answer whose title contains ``title`` (sends its payload)."""
        matches = [b for b in self.buttons if title.lower() in str(b.get("title", "")).lower()]
        assert matches, f"no button {title!r} in {[b.get('title') for b in self.buttons]}"
        return self.say(matches[0]["payload"])

    def reference(self) -> str:
        found = REFERENCE.search(self.text)
        assert found, f"no reference in {self.text!r}"
        return found.group(0)


def references_in(text: str) -> set[str]:
    return {found.group(0) for found in REFERENCE.finditer(text)}


def rows(url: str, table: str, **where: Any) -> list[dict[str, Any]]:
    """Rows of ``table`` in the stack's CRM database, decoded by the CRM's own column types
    (money is stored as integer cents on SQLite)."""
    from bot.crm.db import session_scope
    from bot.crm.models import Base

    model = next(m.class_ for m in Base.registry.mappers if m.class_.__tablename__ == table)
    query = sa.select(model).order_by(model.id)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    with session_scope(url, readonly=True) as session:
        return [
            {column.key: getattr(row, column.key) for column in sa.inspect(model).column_attrs}
            for row in session.execute(query).scalars()
        ]


@dataclass(frozen=True)
class ActionCall:
    """One request Rasa made to the action server, byte for byte, and the answer it got."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    answer: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


_HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


class ActionServerRecorder:
    """A reverse proxy in front of the action server that keeps every call it forwards, so a
    test can deliver the very same request again (as Rasa does when it retries)."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.calls: list[ActionCall] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                answer = requests.post(
                    recorder.target + self.path, data=body, headers=headers, timeout=120
                )
                recorder.calls.append(
                    ActionCall(self.path, headers, body, answer.status_code, answer.content)
                )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def calls_of(self, action: str, sender: str) -> list[ActionCall]:
        return [
            call
            for call in self.calls
            if call.payload.get("next_action") == action and call.payload.get("sender_id") == sender
        ]

    def replay(self, call: ActionCall) -> requests.Response:
        """Deliver ``call`` to the action server again, identical (body and headers)."""
        return requests.post(
            self.target + call.path, data=call.body, headers=call.headers, timeout=120
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
