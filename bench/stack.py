"""Start and stop the servers the benchmark drives: the full stack and the bare ``rasa init`` bot.

The full stack is started like ``tests/conftest.py::StackProcesses`` does (same commands as
``bot.runner``), but outside pytest, on its own ports, var dir and database.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot import PROJECT_ROOT
from testkit.ports import free_port

# Rasa would otherwise try to reach its telemetry server on every start (no internet here).
QUIET_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


@dataclass
class TimedRun:
    """Wall and CPU time of one finished subprocess."""

    wall_s: float
    cpu_s: float
    returncode: int


def run_timed(command: list[str], cwd: Path, env: dict[str, str], log_path: Path) -> TimedRun:
    """Run ``command`` to completion; CPU time is the children's user+sys delta."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    with open(log_path, "ab") as log:
        code = subprocess.call(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return TimedRun(wall_s=wall, cpu_s=cpu, returncode=code)


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@dataclass
class Server:
    """One long-running server process with its log file."""

    name: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def spawn(name: str, command: list[str], cwd: Path, env: dict[str, str], log_dir: Path) -> Server:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the child holds its own descriptor
    return Server(name=name, process=process, log_path=log_path)


def wait_until_up(url: str, servers: list[Server], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for server in servers:
            if not server.alive():
                raise RuntimeError(
                    f"{server.name} exited with code {server.process.returncode}:\n"
                    f"{tail(server.log_path)}"
                )
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {int(timeout)} s")


def _rasa_run_command(
    model: Path, port: int, credentials: Path, endpoints: Path | None, auth_token: str
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        str(model),
        "--port",
        str(port),
        "--credentials",
        str(credentials),
        "--enable-api",
        "--auth-token",
        auth_token,
    ]
    if endpoints is not None:
        command += ["--endpoints", str(endpoints)]
    return command


@dataclass
class FullStack:
    """The assistant: action server + Rasa server on one database, in their own var dir."""

    model: Path
    database_url: str
    var_dir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    auth_token: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex}")
    rasa: Server | None = None
    actions: Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            PYTHONPATH=str(PROJECT_ROOT),
            BOT_VAR_DIR=str(self.var_dir),
            CRM_DATABASE_URL=self.database_url,
            RASA_PORT=str(self.rasa_port),
            ACTION_PORT=str(self.action_port),
            RASA_AUTH_TOKEN=self.auth_token,
            DESK_SECRET_KEY=f"bench-{uuid.uuid4().hex}",
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            **QUIET_ENV,
        )

    def _prepare(self, env: dict[str, str]) -> Path:
        """Migrate the database and write the runtime endpoints, with this stack's settings."""
        from bot.config import get_settings
        from bot.crm.migrate import upgrade
        from bot.runner import write_runtime_endpoints

        saved = dict(os.environ)
        os.environ.update(env)
        get_settings.cache_clear()
        try:
            upgrade(self.database_url)
            return write_runtime_endpoints(get_settings(), self.var_dir / "endpoints.yml")
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()

    def start(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        env = self.env()
        endpoints = self._prepare(env)
        self.actions = spawn(
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
            PROJECT_ROOT,
            env,
            self.var_dir,
        )
        self.rasa = spawn(
            "rasa",
            _rasa_run_command(
                self.model,
                self.rasa_port,
                PROJECT_ROOT / "credentials.yml",
                endpoints,
                self.auth_token,
            ),
            PROJECT_ROOT,
            env,
            self.var_dir,
        )
        servers = [self.actions, self.rasa]
        wait_until_up(f"http://127.0.0.1:{self.action_port}/health", servers)
        wait_until_up(f"{self.url}/", servers)

    def stop(self) -> None:
        for server in (self.rasa, self.actions):
            if server is not None:
                server.stop()


@dataclass
class BareBot:
    """A ``rasa init`` project in a temporary folder: same framework, no actions, no database."""

    project_dir: Path
    port: int = field(default_factory=free_port)
    auth_token: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex}")
    rasa: Server | None = None
    model: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return dict(os.environ, **QUIET_ENV)

    def init_and_train(self) -> TimedRun:
        """``rasa init --no-prompt`` scaffolds the project and trains its model; timed."""
        self.project_dir.mkdir(parents=True, exist_ok=True)
        timed = run_timed(
            [
                sys.executable,
                "-m",
                "rasa",
                "init",
                "--no-prompt",
                "--init-dir",
                str(self.project_dir),
            ],
            cwd=self.project_dir,
            env=self.env(),
            log_path=self.project_dir.parent / "bare-init.log",
        )
        models = sorted((self.project_dir / "models").glob("*.tar.gz"))
        if timed.returncode != 0 or not models:
            raise RuntimeError(
                f"rasa init failed (code {timed.returncode}):\n"
                f"{tail(self.project_dir.parent / 'bare-init.log')}"
            )
        self.model = models[-1]
        return timed

    def start(self) -> None:
        if self.model is None:
            raise RuntimeError("the bare bot has no model; call init_and_train() first")
        # Its own endpoints.yml: no action server, in-memory tracker store (rasa init's defaults).
        self.rasa = spawn(
            "bare-rasa",
            _rasa_run_command(
                self.model,
                self.port,
                self.project_dir / "credentials.yml",
                self.project_dir / "endpoints.yml",
                self.auth_token,
            ),
            self.project_dir,
            self.env(),
            self.project_dir.parent,
        )
        wait_until_up(f"{self.url}/", [self.rasa])

    def stop(self) -> None:
        if self.rasa is not None:
            self.rasa.stop()


def train_full_model(output_dir: Path, log_path: Path) -> tuple[Path, TimedRun]:
    """Train the project's model from scratch in a subprocess (as ``bot train`` would); timed."""
    output_dir.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys; from pathlib import Path; from bot.training import train_model; "
        "print(train_model(Path(sys.argv[1]), 'bench-model'))"
    )
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), **QUIET_ENV)
    timed = run_timed([sys.executable, "-c", code, str(output_dir)], PROJECT_ROOT, env, log_path)
    model = output_dir / "bench-model.tar.gz"
    if timed.returncode != 0 or not model.exists():
        raise RuntimeError(f"training failed (code {timed.returncode}):\n{tail(log_path)}")
    return model, timed
