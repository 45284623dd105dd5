"""The action server refuses calls without the credential Rasa sends (issue 12, item 2).

Started exactly as ``python -m bot run`` starts it (``bot.runner.action_server_spec``), with
its own var dir and database; every request goes over loopback.
"""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests

from bot.config import Settings, load_settings
from bot.runner import (
    RunningProcess,
    action_server_spec,
    process_env,
    start_all,
    stop,
    write_runtime_endpoints,
)
from testkit.ports import free_port


@dataclass
class ActionServer:
    settings: Settings
    process: RunningProcess

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.settings.action_port}/webhook"


def _session_start_call(sender: str) -> dict:
    return {
        "next_action": "action_session_start",
        "sender_id": sender,
        "version": "3.6.2",
        "domain": {"slots": {}, "session_config": {"carry_over_slots_to_new_session": True}},
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }


@pytest.fixture(scope="module", params=["default-host", "0.0.0.0"])
def action_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ActionServer]:
    from bot.crm.db import dispose_engine
    from bot.crm.migrate import upgrade

    var_dir = tmp_path_factory.mktemp("action-server")
    crm_url = f"sqlite:///{var_dir / 'crm.sqlite3'}"
    upgrade(crm_url)
    dispose_engine(crm_url)
    env = process_env(
        BOT_VAR_DIR=str(var_dir), CRM_DATABASE_URL=crm_url, ACTION_PORT=str(free_port())
    )
    env.pop("ACTION_HOST", None)
    env.pop("ACTION_SERVER_TOKEN", None)  # generated into var/, like in production
    if request.param == "0.0.0.0":
        env["ACTION_HOST"] = "0.0.0.0"  # as in a container
    settings = load_settings(env)
    running = start_all([action_server_spec(settings)], env, var_dir)
    try:
        yield ActionServer(settings=settings, process=running[0])
    finally:
        stop(running)


def test_a_forged_call_without_the_credential_is_refused(action_server: ActionServer) -> None:
    call = _session_start_call(f"forged-{uuid.uuid4().hex[:6]}")
    assert requests.post(action_server.webhook, json=call, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (
        requests.post(action_server.webhook, json=call, headers=wrong, timeout=30).status_code
        == 401
    )
    # Other routes too (rasa_sdk's /actions lists every action name).
    assert (
        requests.get(action_server.webhook.replace("/webhook", "/actions"), timeout=30).status_code
        == 401
    )


def test_the_credential_rasa_sends_is_accepted(action_server: ActionServer) -> None:
    token = action_server.settings.action_server_token
    assert token and (action_server.settings.var_dir / "action_server_token").exists()
    response = requests.post(
        action_server.webhook,
        json=_session_start_call(f"rasa-{uuid.uuid4().hex[:6]}"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["events"][0]["event"] == "session_started"


def test_health_answers_without_the_credential(action_server: ActionServer) -> None:
    health = action_server.webhook.replace("/webhook", "/health")
    assert requests.get(health, timeout=30).status_code == 200


def test_it_listens_on_loopback_unless_action_host_says_otherwise(
    action_server: ActionServer,
) -> None:
    listening = {
        conn.laddr.ip
        for conn in psutil.Process(action_server.process.pid).net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN
        and conn.laddr.port == action_server.settings.action_port
    }
    expected = "0.0.0.0" if action_server.settings.env.get("ACTION_HOST") else "127.0.0.1"
    assert listening == {expected}
    assert action_server.settings.action_server_token not in " ".join(
        action_server.process.spec.command
    )


def test_runtime_endpoints_carry_the_credential_in_a_private_file(tmp_path: Path) -> None:
    from rasa.core.utils import AvailableEndpoints

    env = process_env(BOT_VAR_DIR=str(tmp_path), ACTION_SERVER_TOKEN="shared-secret-1")
    target = tmp_path / "endpoints.runtime.yml"
    target.write_text("stale, world-readable\n")
    target.chmod(0o644)
    write_runtime_endpoints(load_settings(env), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    action = AvailableEndpoints.read_endpoints(str(target)).action
    assert action is not None
    assert action.headers == {"Authorization": "Bearer shared-secret-1"}
