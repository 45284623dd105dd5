"""Fixtures for NLU/dialogue-core tests.

The model is the session-wide ``trained_model`` from tests/conftest.py (the full NLU + core
model, trained once per test session in a temporary directory), so every area shares one
training run. ``core_agent`` runs it in-process against a real action server subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot import PROJECT_ROOT
from testkit.ports import free_port


@pytest.fixture(scope="session")
def action_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m rasa_sdk --actions actions`` on a free port, with a throw-away var dir."""
    from bot.crm.migrate import upgrade

    port = free_port()
    var_dir = tmp_path_factory.mktemp("nlu_actions")
    crm_url = f"sqlite:///{var_dir / 'crm.sqlite3'}"
    # Session start looks up open handoffs: the action server needs a migrated CRM, as
    # `python -m bot run` gives it.
    upgrade(crm_url)
    env = dict(
        os.environ,
        PYTHONPATH=str(PROJECT_ROOT),
        BOT_VAR_DIR=str(var_dir),
        CRM_DATABASE_URL=crm_url,
    )
    log = open(var_dir / "actions.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError((var_dir / "actions.log").read_text(errors="replace")[-3000:])
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("action server did not start")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def core_agent(trained_model: Path, action_server_url: str):
    """The trained model as a Rasa Agent (in-memory tracker store) using the action server."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    return Agent.load(str(trained_model), action_endpoint=EndpointConfig(action_server_url))


@pytest.fixture()
def sender() -> str:
    return f"nlu-test-{uuid.uuid4().hex[:8]}"
