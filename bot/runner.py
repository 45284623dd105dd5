"""One way to start the servers: the product, the tests and the benchmark all come through here.

``python -m bot run`` starts the action server, the Rasa server and the demo page, waits until
they answer, prints where to talk to them, and stops them all on Ctrl-C or when one dies.
``tests/conftest.py`` (``StackProcesses``), ``tests/nlu/conftest.py`` and ``bench/stack.py``
start the same processes from the same ``ProcessSpec`` builders, so the flags a test runs
with are the flags production runs with (CORS origins included: tests that need another
origin set ``WEB_ORIGINS`` in the environment they pass).

Every process is described by a ``ProcessSpec`` (name, command, health URL, start-up
timeout); ``start_process`` / ``wait_until_up`` / ``stop`` run any list of them, so another
process (e.g. a worker) is one more spec in ``product_specs``. No secret is ever part of a
command: the servers read their tokens from the environment or ``var/`` (bot/serve.py).

Training runs in a child process (``python -m bot train``): TensorFlow stays out of this
long-lived supervisor's memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from bot import PROJECT_ROOT
from bot.config import Settings, get_channel_settings, get_settings, rasa_bind_host
from bot.errors import StartupError
from bot.private_files import private_dir, private_file

CREDENTIALS = PROJECT_ROOT / "credentials.yml"


# --- what to start -----------------------------------------------------------------------
@dataclass(frozen=True)
class ProcessSpec:
    """One server process: its command line (never a secret in it) and how to see it is up."""

    name: str
    command: tuple[str, ...]
    health_url: str | None = None
    startup_timeout: float = 120.0


def _connect_host(listen_host: str) -> str:
    """Where a local client reaches a server listening on ``listen_host``."""
    return "127.0.0.1" if listen_host in ("", "0.0.0.0", "::") else listen_host


def action_server_spec(settings: Settings) -> ProcessSpec:
    return ProcessSpec(
        name="action-server",
        command=(
            sys.executable,
            "-m",
            "bot",
            "serve-actions",
            "--host",
            settings.action_host,
            "--port",
            str(settings.action_port),
        ),
        health_url=f"http://{_connect_host(settings.action_host)}:{settings.action_port}/health",
        startup_timeout=120,
    )


def rasa_server_spec(
    settings: Settings, model: Path, endpoints: Path, credentials: Path = CREDENTIALS
) -> ProcessSpec:
    """``rasa run`` through ``python -m bot serve-rasa`` (patches, API token from env/var)."""
    return ProcessSpec(
        name="rasa",
        command=(
            sys.executable,
            "-m",
            "bot",
            "serve-rasa",
            "--model",
            str(model),
            "--interface",
            rasa_bind_host(settings.env),  # loopback by default; the REST channel trusts only that
            "--port",
            str(settings.rasa_port),
            "--credentials",
            str(credentials),
            "--endpoints",
            str(endpoints),
            "--cors",
            *get_channel_settings(settings.env).web_origins,
        ),
        health_url=f"http://{_connect_host(rasa_bind_host(settings.env))}:{settings.rasa_port}/",
        startup_timeout=420,
    )


def web_spec(settings: Settings) -> ProcessSpec:
    return ProcessSpec(
        name="web",
        command=(sys.executable, "-m", "bot", "web"),
        health_url=f"http://{_connect_host(settings.web_host)}:{settings.web_port}/healthz",
        startup_timeout=60,
    )


def worker_spec(settings: Settings) -> ProcessSpec:
    """The notification worker (``python -m bot worker``); its health URL only when
    WORKER_METRICS_PORT gives it the small HTTP server (bot/observability.py)."""
    port = settings.worker_metrics_port
    health = (
        f"http://{_connect_host(settings.worker_metrics_host)}:{port}/healthz"
        if port is not None
        else None
    )
    return ProcessSpec(
        name="worker", command=(sys.executable, "-m", "bot", "worker"), health_url=health
    )


def product_specs(settings: Settings, model: Path, endpoints: Path) -> list[ProcessSpec]:
    """What ``python -m bot run`` starts, in start order."""
    return [
        action_server_spec(settings),
        rasa_server_spec(settings, model, endpoints),
        web_spec(settings),
        worker_spec(settings),
    ]


def process_env(base: Mapping[str, str] | None = None, /, **extra: str) -> dict[str, str]:
    """The environment for a child process: ``base`` (default ours) plus the project path."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env.update(extra)
    return env


def _write_private(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` with mode 0600 from the first byte (atomic replace)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)  # in case a stale temporary file had another mode
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_runtime_endpoints(settings: Settings, target: Path) -> Path:
    """endpoints.yml for this run: the action URL with its credential, and a Redis lock store
    when REDIS_URL is set. Holds a secret, so it is created with mode 0600."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {
        "url": settings.action_endpoint_url,
        # Rasa's EndpointConfig sends these headers with every action call.
        "headers": {"Authorization": f"Bearer {settings.action_server_token}"},
    }
    if settings.redis_url:
        # Two Rasa replicas must process one conversation's messages in order. Rasa's
        # RedisLockStore takes host/port/db/password (its `url` key means the host name).
        redis = urlsplit(settings.redis_url)
        lock_store: dict[str, object] = {
            "type": "redis",
            "url": redis.hostname or "localhost",
            "port": redis.port or 6379,
            "db": int(redis.path.lstrip("/") or 0),
            "key_prefix": "layanan",
        }
        if redis.password:
            lock_store["password"] = redis.password
        endpoints["lock_store"] = lock_store
    _write_private(target, yaml.safe_dump(endpoints, sort_keys=False))
    return target


# --- running processes ---------------------------------------------------------------------
@dataclass
class RunningProcess:
    spec: ProcessSpec
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def start_process(
    spec: ProcessSpec, env: Mapping[str, str], log_dir: Path, cwd: Path = PROJECT_ROOT
) -> RunningProcess:
    """Start ``spec`` with its output appended to ``log_dir/<name>.log``."""
    private_dir(log_dir, tighten=True)  # logs hold conversation details: 0700 / 0600
    log_path = private_file(log_dir / f"{spec.name}.log")
    with open(log_path, "ab") as log:  # the child keeps its own descriptor
        popen = subprocess.Popen(
            list(spec.command), cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    return RunningProcess(spec=spec, popen=popen, log_path=log_path)


def wait_until_up(
    process: RunningProcess,
    watch: Iterable[RunningProcess] = (),
    timeout: float | None = None,
    url: str | None = None,
) -> None:
    """Wait until ``process`` answers its health URL below 500; StartupError (with the log's
    tail) if it or any of ``watch`` exits first, or on timeout."""
    url = url or process.spec.health_url
    if url is None:
        return
    watched = [process, *[p for p in watch if p is not process]]
    timeout = process.spec.startup_timeout if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in watched:
            if not proc.alive():
                raise StartupError(
                    f"{proc.name} exited with code {proc.popen.returncode}; "
                    f"see {proc.log_path}:\n{proc.log_tail()}"
                )
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise StartupError(
        f"{process.name} ({url}) did not answer within {int(timeout)} s; see {process.log_path}"
    )


def stop(processes: Iterable[RunningProcess], timeout: float = 20) -> None:
    """SIGTERM each process, then SIGKILL what is still running after ``timeout``."""
    processes = list(processes)
    for proc in processes:
        if proc.alive():
            proc.popen.terminate()
    for proc in processes:
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(timeout=10)


def start_all(
    specs: Sequence[ProcessSpec], env: Mapping[str, str], log_dir: Path
) -> list[RunningProcess]:
    """Start every spec, then wait for each to be up; on any failure stop them all."""
    running: list[RunningProcess] = []
    try:
        for spec in specs:
            started = start_process(spec, env, log_dir)
            running.append(started)  # before the next start: a failure stops this one too
        for proc in running:
            wait_until_up(proc, running)
    except BaseException:
        stop(running)
        raise
    return running


# --- python -m bot run | shell -------------------------------------------------------------
def train_in_child(env: Mapping[str, str]) -> Path:
    """``python -m bot train`` in a child process; the model for the current data."""
    from bot.training import model_path_for_current_data

    code = subprocess.call([sys.executable, "-m", "bot", "train"], cwd=PROJECT_ROOT, env=dict(env))
    if code != 0:
        raise StartupError(f"training failed (exit code {code}); see the output above")
    return model_path_for_current_data()


def _prepare(train: bool, model: Path | None) -> tuple[Settings, dict[str, str], Path, Path]:
    from bot.crm.migrate import upgrade
    from bot.training import model_path_for_current_data

    settings = get_settings()
    upgrade()  # first run creates the database; a bad CRM_DATABASE_URL stops here, in one line
    env = process_env()
    if model is None:
        model = train_in_child(env) if train else model_path_for_current_data()
    if not model.exists():
        raise StartupError(f"no model at {model}; run `python -m bot train` first")
    endpoints = write_runtime_endpoints(settings, settings.var_dir / "endpoints.runtime.yml")
    return settings, env, model, endpoints


def run(train: bool = True, model: Path | None = None) -> int:
    settings, env, model, endpoints = _prepare(train, model)
    log_dir = settings.var_dir / "logs"
    running: list[RunningProcess] = []
    try:
        running = start_all(product_specs(settings, model, endpoints), env, log_dir)
        print(
            "\nThe assistant is running (embedded database: "
            f"{'SQLite' if settings.database_url.startswith('sqlite') else 'PostgreSQL'}).\n"
            f"  Website demo with chat widget: http://localhost:{settings.web_port}/\n"
            f"  Agent desk:                    {settings.rasa_url}/desk/\n"
            f"  REST channel:                  curl -XPOST {settings.rasa_url}/webhooks/rest/webhook "
            '-d \'{"sender":"t1","message":"halo"}\'\n'
            f"  Rasa HTTP API token:           in RASA_AUTH_TOKEN or {settings.var_dir}/rasa_auth_token\n"
            f"  Logs:                          {log_dir}/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(proc.alive() for proc in running):
            time.sleep(1)
        dead = [proc.name for proc in running if not proc.alive()]
        raise StartupError(f"{', '.join(dead)} stopped; see {log_dir}")
    except KeyboardInterrupt:
        return 0
    finally:
        stop(running)


def shell() -> int:
    """``rasa shell`` against the current model, with the action server running beside it."""
    settings, env, model, endpoints = _prepare(True, None)
    running: list[RunningProcess] = []
    try:
        running = start_all([action_server_spec(settings)], env, settings.var_dir / "logs")
        command = [
            sys.executable,
            "-m",
            "rasa",
            "shell",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
        ]
        return subprocess.call(command, cwd=PROJECT_ROOT, env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        stop(running)
