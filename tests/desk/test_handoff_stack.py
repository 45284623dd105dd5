"""The handoff end to end on the real stack: `rasa run` + action server + trained model.

Over the REST channel: a customer asks for a human, the bot goes silent (also across a
restart of the servers, and when the customer types "/restart" or "/greet"), the agent
claims, replies and closes on the desk, and the bot answers again.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from desk_helpers import ALL_DAYS, PASSWORD, write_profile

from bot.crm import agents, handoffs
from tests.fixtures.databases import (
    BOTH_DATABASES,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)

pytestmark = pytest.mark.model

ASK_HUMAN = "saya mau bicara langsung dengan customer service, bukan bot"


def tracker(stack: Any, sender: str) -> dict[str, Any]:
    response = requests.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.auth_token},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def desk_login(stack: Any, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{stack.rasa_url}/desk/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{stack.rasa_url}/desk/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302
    desk = session.get(f"{stack.rasa_url}/desk/", timeout=30)
    session.headers["X-CSRF-Token"] = re.search(r'data-csrf="([^"]+)"', desk.text).group(1)
    return session


def eventually(check, timeout: float = 20.0) -> Any:
    """The broker stores messages just after Rasa answers the request: wait for it."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


@pytest.fixture(params=BOTH_DATABASES)
def stack_on_duty(request, handoff_model: Path, tmp_path: Path, stack_factory):
    """A stack of its own on SQLite, and on PostgreSQL (CRM and tracker store there)."""
    profile = write_profile(
        tmp_path / "profile.yml", 12, {d: {"open": "00:00", "close": "23:59"} for d in ALL_DAYS}
    )
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    else:
        require_postgres()
        url = create_postgres_database("handoff_stack")
    processes = stack_factory(
        handoff_model, url, tmp_path / "stack", extra_env={"BUSINESS_PROFILE": str(profile)}
    )
    try:
        processes.start()
        yield processes
    finally:
        processes.stop()
        if request.param != "sqlite":
            drop_postgres_database(url)


def test_bot_stays_paused_through_a_restart_and_resumes_when_the_agent_closes(
    stack_on_duty,
) -> None:
    processes = stack_on_duty
    stack = processes.stack
    db = processes.database_url
    rina = agents.create_agent("rina", PASSWORD, "agent", "Rina", url=db)
    agents.touch_agent(rina.id, url=db)
    sender = "rest-customer-1"

    assert texts(stack.say(sender, "halo"))  # the bot answers normally
    replies = stack.say(sender, ASK_HUMAN)
    assert "antrean" in texts(replies) and "1 agen online" in texts(replies)
    assert tracker(stack, sender)["paused"] is True
    record = handoffs.active_handoff_for(sender, url=db)
    assert record is not None and record.status == "waiting"

    # Restart both servers: the pause lives in the SQL tracker store.
    processes.stop()
    stack = processes.start()
    assert stack.say(sender, "halo, masih ada orang?") == []
    # Typed intents cannot resume the conversation or restart it.
    assert stack.say(sender, "/restart") == []
    assert stack.say(sender, "/greet") == []
    state = tracker(stack, sender)
    assert state["paused"] is True
    expected = ["halo, masih ada orang?", "/restart", "/greet"]  # verbatim, for the agent

    def stored() -> list[str]:
        return [m.text for m in handoffs.messages(record.id, url=db) if m.sender == "customer"]

    assert eventually(lambda: stored() == expected), stored()

    desk = desk_login(stack, "rina")
    assert (
        desk.post(f"{stack.rasa_url}/desk/api/handoffs/{record.id}/claim", timeout=30).status_code
        == 200
    )
    reply = desk.post(
        f"{stack.rasa_url}/desk/api/handoffs/{record.id}/reply",
        json={"text": "Halo, saya Rina."},
        timeout=30,
    )
    assert reply.status_code == 200
    assert reply.json()["delivered"] is False  # REST cannot push; it is in the transcript
    assert stack.say(sender, "oh ok, sertifikat saya kapan jadi?") == []
    events = tracker(stack, sender)["events"]
    assert any(
        e["event"] == "bot"
        and e.get("text") == "Halo, saya Rina."
        and e["metadata"].get("agent") == "Rina"
        for e in events
    )

    closed = desk.post(f"{stack.rasa_url}/desk/api/handoffs/{record.id}/close", timeout=30)
    assert closed.status_code == 200
    state = tracker(stack, sender)
    assert state["paused"] is False
    assert handoffs.get_handoff(record.id, url=db).status == "closed"
    assert texts(stack.say(sender, "halo"))  # the bot answers again


@pytest.fixture
def stack_off_duty(handoff_model: Path, tmp_path: Path, stack_factory):
    profile = write_profile(
        tmp_path / "profile.yml", 2, {d: {"open": "08:00", "close": "17:00"} for d in ALL_DAYS}
    )
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    processes = stack_factory(
        handoff_model, url, tmp_path / "stack", extra_env={"BUSINESS_PROFILE": str(profile)}
    )
    processes.start()
    try:
        yield processes
    finally:
        processes.stop()


def test_out_of_hours_the_customer_leaves_a_callback_ticket_and_the_bot_keeps_answering(
    stack_off_duty,
) -> None:
    stack = stack_off_duty.stack
    db = stack_off_duty.database_url
    sender = "rest-customer-2"
    replies = stack.say(sender, ASK_HUMAN)
    assert "di luar jam layanan agen" in texts(replies)
    channel_buttons = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert channel_buttons == [
        '/inform{"callback_channel": "whatsapp"}',
        '/inform{"callback_channel": "phone"}',
        '/inform{"callback_channel": "email"}',
    ]
    replies = stack.say(sender, '/inform{"callback_channel": "phone"}')  # tapping an offered button
    assert "Kapan waktu yang paling nyaman" in texts(replies)
    replies = stack.say(sender, "pagi aja")  # typed instead of tapped
    assert "nomor telepon" in texts(replies)
    replies = stack.say(sender, "0812")
    assert "belum benar" in texts(replies)
    replies = stack.say(sender, "0812 3456 7890")
    assert "Permintaan dihubungi kembali sudah kami catat" in texts(replies)
    assert "mulai hari ini pukul 08.00" in texts(replies)
    assert tracker(stack, sender)["paused"] is False
    assert handoffs.active_handoff_for(sender, url=db) is None
    [ticket] = handoffs.callbacks(url=db)
    assert (ticket.callback_channel, ticket.captured_fields["callback_contact"]) == (
        "phone",
        "+6281234567890",
    )
    assert ticket.callback_time.startswith("morning ")
    assert texts(stack.say(sender, "jam buka kantor kapan?"))  # the bot still answers
