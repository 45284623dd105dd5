"""The handoff end to end on the real stack: `rasa run` + action server + trained model.

Over the REST channel: a customer asks for a human, the bot goes silent (also across a
restart of the servers, and when the customer types "/restart" or "/greet"), the agent
claims, replies and closes on the desk, and the bot answers again.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests
from desk_helpers import ALL_DAYS, PASSWORD, write_profile

from bot.crm import agents, handoffs
from tests.conftest import StackProcesses

pytestmark = pytest.mark.model

ASK_HUMAN = "saya mau bicara langsung dengan customer service, bukan bot"


def tracker(stack: Any, sender: str) -> Dict[str, Any]:
    response = requests.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.auth_token}, timeout=30
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


def texts(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


@pytest.fixture
def stack_on_duty(handoff_model: Path, tmp_path: Path):
    profile = write_profile(tmp_path / "profile.yml", 12, {d: {"open": "00:00", "close": "23:59"} for d in ALL_DAYS})
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    processes = StackProcesses(handoff_model, url, tmp_path / "stack", extra_env={"BUSINESS_PROFILE": str(profile)})
    processes.start()
    try:
        yield processes
    finally:
        processes.stop()


def test_bot_stays_paused_through_a_restart_and_resumes_when_the_agent_closes(stack_on_duty) -> None:
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
    stored = [m.text for m in handoffs.messages(record.id, url=db) if m.sender == "customer"]
    assert stored == ["halo, masih ada orang?", "/restart", "/greet"]  # verbatim, for the agent

    desk = desk_login(stack, "rina")
    assert desk.post(f"{stack.rasa_url}/desk/api/handoffs/{record.id}/claim", timeout=30).status_code == 200
    reply = desk.post(f"{stack.rasa_url}/desk/api/handoffs/{record.id}/reply", json={"text": "Halo, saya Rina."}, timeout=30)
    assert reply.status_code == 200
    assert reply.json()["delivered"] is False  # REST cannot push; it is in the transcript
    assert stack.say(sender, "oh ok, sertifikat saya kapan jadi?") == []
    events = tracker(stack, sender)["events"]
    assert any(e["event"] == "bot" and e.get("text") == "Halo, saya Rina." and e["metadata"].get("agent") == "Rina" for e in events)

    closed = desk.post(f"{stack.rasa_url}/desk/api/handoffs/{record.id}/close", timeout=30)
    assert closed.status_code == 200
    state = tracker(stack, sender)
    assert state["paused"] is False
    assert handoffs.get_handoff(record.id, url=db).status == "closed"
    assert texts(stack.say(sender, "halo"))  # the bot answers again
