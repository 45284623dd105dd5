"""Fixtures for NLU/dialogue-core tests.

The model is the session-wide ``trained_model`` from tests/conftest.py (the full NLU + core
model, trained once per test session in a temporary directory), so every area shares one
training run. ``core_agent`` runs it in-process against a real action server subprocess.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.ports import free_port


@dataclass(frozen=True)
class ActionServer:
    url: str
    token: str


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    """The action server as ``python -m bot run`` starts it, on a free port and var dir."""
    from bot.config import load_settings
    from bot.crm.migrate import upgrade
    from bot.runner import action_server_spec, process_env, start_all, stop

    var_dir = tmp_path_factory.mktemp("nlu_actions")
    crm_url = f"sqlite:///{var_dir / 'crm.sqlite3'}"
    # Session start looks up open handoffs: the action server needs a migrated CRM, as
    # `python -m bot run` gives it.
    upgrade(crm_url)
    env = process_env(
        BOT_VAR_DIR=str(var_dir),
        CRM_DATABASE_URL=crm_url,
        ACTION_PORT=str(free_port()),
        ACTION_SERVER_TOKEN=f"test-{uuid.uuid4().hex}",
    )
    settings = load_settings(env)
    running = start_all([action_server_spec(settings)], env, var_dir)
    try:
        yield ActionServer(
            url=f"http://127.0.0.1:{settings.action_port}/webhook",
            token=settings.action_server_token,
        )
    finally:
        stop(running)


@pytest.fixture(scope="session")
def core_agent(trained_model: Path, action_server: ActionServer):
    """The trained model as a Rasa Agent (in-memory tracker store) using the action server."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig(
        action_server.url, headers={"Authorization": f"Bearer {action_server.token}"}
    )
    return Agent.load(str(trained_model), action_endpoint=endpoint)


@pytest.fixture()
def sender() -> str:
    return f"nlu-test-{uuid.uuid4().hex[:8]}"
