"""Start and stop the servers the benchmark drives: the full stack and the bare ``rasa init`` bot.

The full stack is started from ``bot.runner``'s process specs (the commands of
``python -m bot run`` and ``tests/conftest.py::StackProcesses``), outside pytest, on its own
ports, var dir and database.
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

from bot import PROJECT_ROOT
from bot.runner import (
    ProcessSpec,
    RunningProcess,
    action_server_spec,
    process_env,
    rasa_server_spec,
    start_all,
    start_process,
    stop,
    wait_until_up,
    write_runtime_endpoints,
)
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
class FullStack:
    """The assistant: action server + Rasa server on one database, in their own var dir.

    Started from ``bot.runner``'s specs, exactly as ``python -m bot run`` starts them."""

    model: Path
    database_url: str
    var_dir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    auth_token: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex}")
    rasa: RunningProcess | None = None
    actions: RunningProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def env(self) -> dict[str, str]:
        return process_env(
            BOT_VAR_DIR=str(self.var_dir),
            CRM_DATABASE_URL=self.database_url,
            RASA_PORT=str(self.rasa_port),
            ACTION_PORT=str(self.action_port),
            RASA_AUTH_TOKEN=self.auth_token,
            DESK_SECRET_KEY=f"bench-{uuid.uuid4().hex}",
            ACTION_SERVER_TOKEN=f"bench-{uuid.uuid4().hex}",
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            **QUIET_ENV,
        )

    def start(self) -> None:
        from bot.config import load_settings
        from bot.crm.migrate import upgrade

        self.var_dir.mkdir(parents=True, exist_ok=True)
        env = self.env()
        settings = load_settings(env)
        upgrade(self.database_url)
        endpoints = write_runtime_endpoints(settings, self.var_dir / "endpoints.yml")
        self.actions, self.rasa = start_all(
            [action_server_spec(settings), rasa_server_spec(settings, self.model, endpoints)],
            env,
            self.var_dir,
        )

    def stop(self) -> None:
        stop([server for server in (self.rasa, self.actions) if server is not None])


@dataclass
class BareBot:
    """A ``rasa init`` project in a temporary folder: same framework, no actions, no database."""

    project_dir: Path
    port: int = field(default_factory=free_port)
    rasa: RunningProcess | None = None
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
        # Its own endpoints.yml: no action server, in-memory tracker store (rasa init's defaults);
        # no HTTP API (the benchmark only talks to the REST channel): no token needed.
        spec = ProcessSpec(
            name="bare-rasa",
            command=(
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--model",
                str(self.model),
                "--port",
                str(self.port),
                "--credentials",
                str(self.project_dir / "credentials.yml"),
                "--endpoints",
                str(self.project_dir / "endpoints.yml"),
            ),
            health_url=f"{self.url}/",
            startup_timeout=300,
        )
        self.rasa = start_process(spec, self.env(), self.project_dir.parent, cwd=self.project_dir)
        try:
            wait_until_up(self.rasa)
        except BaseException:
            stop([self.rasa])
            raise

    def stop(self) -> None:
        if self.rasa is not None:
            stop([self.rasa])


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
