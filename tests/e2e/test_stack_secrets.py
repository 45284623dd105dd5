"""Secrets never on a command line, and the running stack's action server refuses strangers.

Uses the session's running stack (same commands as ``python -m bot run``).
"""

from __future__ import annotations

import stat

import psutil
import pytest
import requests

pytestmark = pytest.mark.model


def test_no_process_shows_a_secret_in_its_command_line(stack_processes) -> None:
    env = stack_processes.env
    secrets = [env["RASA_AUTH_TOKEN"], env["ACTION_SERVER_TOKEN"], env["DESK_SECRET_KEY"]]
    servers = [psutil.Process(proc.pid) for proc in stack_processes.processes.values()]
    assert {p.pid for p in servers} and all(p.is_running() for p in servers)
    shown = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        shown += [process.info["pid"] for secret in secrets if secret in cmdline]
    assert shown == []


def test_the_stack_action_server_wants_the_credential_rasa_has(stack_processes) -> None:
    stack = stack_processes.stack
    endpoints = stack.var_dir / "endpoints.yml"
    assert stat.S_IMODE(endpoints.stat().st_mode) == 0o600
    forged = requests.post(
        f"{stack.action_url}/webhook",
        json={"next_action": "action_session_start", "sender_id": "forged", "tracker": {}},
        timeout=30,
    )
    assert forged.status_code == 401
    assert stack.say("secrets-check", "halo")  # Rasa -> action server still works
