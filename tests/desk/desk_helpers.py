"""Helpers shared by the desk tests (imported as ``desk_helpers``; fixtures are in conftest)."""

from __future__ import annotations

import copy
import re
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel

from bot import PROJECT_ROOT

AUTH_TOKEN = "test-rasa-token"
_TLS = ssl.create_default_context()
PASSWORD = "correct horse battery"


# ---- business profile -------------------------------------------------------------------
ALL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _zone_with_local_hour(hour: int) -> str:
    """An Etc/GMT zone in which it is now about ``hour`` o'clock."""
    offset = hour - datetime.now(UTC).hour
    offset = (offset + 12) % 24 - 12  # -12..11
    # Etc/GMT signs are inverted: Etc/GMT-7 is UTC+7.
    return "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}" if offset < 0 else "")


def write_profile(path: Path, local_hour: int, agent_hours: dict[str, Any]) -> Path:
    raw = yaml.safe_load((PROJECT_ROOT / "data" / "business_profile.yml").read_text())
    raw = copy.deepcopy(raw)
    raw["timezone"] = _zone_with_local_hour(local_hour)
    raw["agent_hours"] = agent_hours
    raw["holidays"] = []
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    return path


# ---- a running Rasa server with the desk --------------------------------------------------
class RecordingChannel(InputChannel):
    """A stateless channel (like WhatsApp) whose output channel records what it sends."""

    outbox = CollectingOutputChannel()

    @classmethod
    def name(cls) -> str:
        return "recording"

    def blueprint(self, on_new_message):
        from sanic import Blueprint

        return Blueprint("recording_channel")

    def get_output_channel(self) -> OutputChannel | None:
        return self.outbox


@dataclass
class DeskServer:
    url: str
    app: Any
    recording: RecordingChannel
    broker: Any
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def agent(self) -> Any:
        return self.app.ctx.agent

    def client(self) -> httpx.AsyncClient:
        # One TLS context for every client: building one per client loads the CA store
        # each time (plain http here, but httpx builds it eagerly).
        client = httpx.AsyncClient(base_url=self.url, timeout=30, verify=_TLS)
        self.clients.append(client)
        return client

    async def login(self, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
        client = self.client()
        await post_login(client, username, password)
        return client

    async def tracker(self, sender_id: str) -> Any:
        return await self.agent.tracker_store.retrieve(sender_id)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def page_csrf(html: str) -> str:
    match = re.search(r'data-csrf="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def post_login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    page = await client.get("/desk/login")
    return await client.post(
        "/desk/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_from(page.text),
            "next": "/desk/",
        },
    )


async def api_csrf(client: httpx.AsyncClient) -> str:
    return page_csrf((await client.get("/desk/")).text)
