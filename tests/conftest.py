"""Fixtures shared by every test area.

Model-dependent tests share ONE model trained by this test session (never one left on disk
by someone else). With TEST_REUSE_MODEL=1 a developer may reuse models/assistant-<fp>.tar.gz,
whose name is a fingerprint of the current training data, so it cannot be stale.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot import PROJECT_ROOT

# Shared fixtures live in plugin modules (importable, loaded once), never in a conftest
# that other files import.
pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.clock",
    "tests.fixtures.passwords",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    """Start and stop the servers of one Stack; restartable, for restart-resume tests."""

    def __init__(
        self, model: Path, database_url: str, var_dir: Path, extra_env: dict[str, str] | None = None
    ):
        from bot.config import get_settings  # noqa: F401 - import check only

        self.model = model
        self.rasa_port = free_port()
        self.action_port = free_port()
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            os.environ,
            PYTHONPATH=str(PROJECT_ROOT),
            BOT_VAR_DIR=str(var_dir),
            CRM_DATABASE_URL=database_url,
            RASA_PORT=str(self.rasa_port),
            ACTION_PORT=str(self.action_port),
            RASA_AUTH_TOKEN=f"test-{uuid.uuid4().hex}",
            DESK_SECRET_KEY=f"test-{uuid.uuid4().hex}",
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            **(extra_env or {}),
        )
        self.database_url = database_url
        self.processes: dict[str, subprocess.Popen] = {}

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

    def _spawn(self, name: str, command: list) -> None:
        log = open(self.var_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def _wait(self, url: str, timeout: float = 420) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    log = (self.var_dir / f"{name}.log").read_text(errors="replace")[-4000:]
                    raise RuntimeError(f"{name} exited early:\n{log}")
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{url} not up after {timeout} s")

    def start(self) -> Stack:
        from bot.crm.migrate import upgrade
        from bot.runner import write_runtime_endpoints

        upgrade(self.database_url)
        endpoints = self.var_dir / "endpoints.yml"
        yaml_env = dict(self.env)
        # write_runtime_endpoints reads settings from the environment of this process.
        saved = dict(os.environ)
        os.environ.update(yaml_env)
        try:
            from bot.config import get_settings

            get_settings.cache_clear()
            write_runtime_endpoints(get_settings(), endpoints)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
        self._spawn(
            "actions",
            [
                sys.executable,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.action_port),
            ],
        )
        self._spawn(
            "rasa",
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--model",
                str(self.model),
                "--port",
                str(self.rasa_port),
                "--credentials",
                str(PROJECT_ROOT / "credentials.yml"),
                "--endpoints",
                str(endpoints),
                "--enable-api",
                "--auth-token",
                self.env["RASA_AUTH_TOKEN"],
                "--cors",
                "*",
            ],
        )
        try:
            self._wait(f"http://127.0.0.1:{self.action_port}/health")
            self._wait(f"http://127.0.0.1:{self.rasa_port}/")
        except Exception:
            self.stop()  # no orphan servers when start-up fails
            raise
        return self.stack

    def stop(self, names: list | None = None) -> None:
        for name in names or list(self.processes):
            proc = self.processes.pop(name, None)
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


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
