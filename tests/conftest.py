"""Fixtures shared by every test area.

Model-dependent tests share ONE model trained by this test session (never one left on disk
by someone else). With TEST_REUSE_MODEL=1 a developer may reuse models/assistant-<fp>.tar.gz,
whose name is a fingerprint of the current training data, so it cannot be stale.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.runner import RunningProcess
from testkit.ports import free_port

# Shared fixtures live in plugin modules (importable, loaded once), never in a conftest
# that other files import.
pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.clock",
    "tests.fixtures.passwords",
]


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's full model (NLU + dialogue), trained once per test session."""
    from bot.training import model_path_for_current_data, train_model

    if os.environ.get("TEST_REUSE_MODEL") == "1" and not os.environ.get("CI"):
        current = model_path_for_current_data()
        if current.exists():
            return current
    out = tmp_path_factory.mktemp("model")
    return train_model(out, "test-model")


@dataclass
class Stack:
    """A running Rasa server + action server on their own ports and database."""

    rasa_url: str
    action_url: str
    database_url: str
    auth_token: str
    env: dict[str, str]
    var_dir: Path

    def say(self, sender: str, text: str, timeout: float = 30) -> list:
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()


class StackProcesses:
    """Start and stop the servers of one Stack; restartable, for restart-resume tests.

    The commands come from ``bot.runner`` (the same as ``python -m bot run``); this class
    only chooses free ports, a var dir, a database and throw-away secrets.
    """

    def __init__(
        self, model: Path, database_url: str, var_dir: Path, extra_env: dict[str, str] | None = None
    ):
        from bot.runner import process_env

        self.model = model
        self.rasa_port = free_port()
        self.action_port = free_port()
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        self.env = process_env(
            BOT_VAR_DIR=str(var_dir),
            CRM_DATABASE_URL=database_url,
            RASA_PORT=str(self.rasa_port),
            ACTION_PORT=str(self.action_port),
            RASA_AUTH_TOKEN=f"test-{uuid.uuid4().hex}",
            DESK_SECRET_KEY=f"test-{uuid.uuid4().hex}",
            ACTION_SERVER_TOKEN=f"test-{uuid.uuid4().hex}",
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            **(extra_env or {}),
        )
        self.database_url = database_url
        self.processes: dict[str, RunningProcess] = {}

    @property
    def stack(self) -> Stack:
        return Stack(
            rasa_url=f"http://127.0.0.1:{self.rasa_port}",
            action_url=f"http://127.0.0.1:{self.action_port}",
            database_url=self.database_url,
            auth_token=self.env["RASA_AUTH_TOKEN"],
            env=self.env,
            var_dir=self.var_dir,
        )

    def start(self) -> Stack:
        import bot.runner
        from bot.config import load_settings
        from bot.crm.migrate import upgrade

        upgrade(self.database_url)
        settings = load_settings(self.env)
        endpoints = bot.runner.write_runtime_endpoints(settings, self.var_dir / "endpoints.yml")
        specs = [
            bot.runner.action_server_spec(settings),
            bot.runner.rasa_server_spec(settings, self.model, endpoints),
        ]
        # start_all stops what it started when start-up fails: no orphan servers.
        for proc in bot.runner.start_all(specs, self.env, self.var_dir):
            self.processes[proc.name] = proc
        return self.stack

    def start_web(self, port: int) -> str:
        """The demo page (``python -m bot web``) for this stack on 127.0.0.1:``port``; its URL.

        Stopped with the servers by ``stop()``."""
        import bot.runner
        from bot.config import load_settings

        self.env.update(
            WEB_PORT=str(port), WEB_HOST="127.0.0.1", RASA_PUBLIC_URL=self.stack.rasa_url
        )
        (web,) = bot.runner.start_all(
            [bot.runner.web_spec(load_settings(self.env))], self.env, self.var_dir
        )
        self.processes[web.name] = web
        return f"http://127.0.0.1:{port}"

    def stop(self, names: list | None = None) -> None:
        from bot.runner import stop

        stop([self.processes.pop(name) for name in names or list(self.processes)])


@pytest.fixture(scope="session")
def stack_processes(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackProcesses]:
    """One running stack on a fresh SQLite database, shared by the end-to-end tests."""
    var_dir = tmp_path_factory.mktemp("stack")
    processes = StackProcesses(trained_model, f"sqlite:///{var_dir / 'crm.sqlite3'}", var_dir)
    processes.start()
    yield processes
    processes.stop()


@pytest.fixture(scope="session")
def stack(stack_processes: StackProcesses) -> Stack:
    return stack_processes.stack


@pytest.fixture(scope="session")
def stack_factory() -> type[StackProcesses]:
    """StackProcesses, for tests that start a stack of their own (no test imports a conftest)."""
    return StackProcesses
