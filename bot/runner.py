"""``python -m bot run``: the whole product on one machine, on the embedded default.

Starts three processes (action server, Rasa server, demo page), waits until they answer,
prints where to talk to them, and stops them all on Ctrl-C or when one dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from bot import PROJECT_ROOT
from bot.config import VAR_DIR, Settings, get_channel_settings, get_settings, rasa_bind_host
from bot.errors import StartupError
from bot.private_files import open_private, private_dir, private_file


def write_runtime_endpoints(settings: Settings, target: Path) -> Path:
    """endpoints.yml with this run's action URL, and a Redis lock store when REDIS_URL is set."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {"url": settings.action_endpoint_url}
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
    target.parent.mkdir(parents=True, exist_ok=True)
    private_file(target)  # may hold the Redis password
    target.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return target


def rasa_server_command(settings: Settings, model: Path, endpoints: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        str(model),
        "--interface",
        rasa_bind_host(),  # loopback by default; the REST channel trusts only that
        "--port",
        str(settings.rasa_port),
        "--credentials",
        str(PROJECT_ROOT / "credentials.yml"),
        "--endpoints",
        str(endpoints),
        # The HTTP API is on only behind a token: without it anyone could read every tracker.
        "--enable-api",
        "--auth-token",
        settings.rasa_auth_token,
        "--cors",
        *get_channel_settings().web_origins,
    ]


def action_server_command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.action_port),
    ]


def _wait_until_up(url: str, processes: dict[str, subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in processes.items():
            if proc.poll() is not None:
                raise StartupError(f"{name} exited with code {proc.returncode}; see {VAR_DIR}/logs")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise StartupError(f"{url} did not answer within {int(timeout)} s; see {VAR_DIR}/logs")


def _start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    log_dir = VAR_DIR / "logs"
    private_dir(VAR_DIR, tighten=True)
    private_dir(log_dir, tighten=True)
    log = open_private(log_dir / f"{name}.log")  # 0600: logs hold conversation details
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for proc in processes.values():
        if proc.poll() is None:
            proc.terminate()
    for proc in processes.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(train: bool = True, model: Path | None = None) -> int:
    from bot.crm.migrate import upgrade
    from bot.training import model_path_for_current_data, train_if_needed

    settings = get_settings()
    upgrade()  # first run creates the database; a bad CRM_DATABASE_URL stops here, in one line
    if model is None:
        model = train_if_needed() if train else model_path_for_current_data()
    if not model.exists():
        raise StartupError(f"no model at {model}; run `python -m bot train` first")

    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    env["RASA_AUTH_TOKEN"] = settings.rasa_auth_token
    endpoints = write_runtime_endpoints(settings, VAR_DIR / "endpoints.runtime.yml")
    processes: dict[str, subprocess.Popen] = {}
    try:
        processes["action-server"] = _start("action-server", action_server_command(settings), env)
        processes["rasa"] = _start("rasa", rasa_server_command(settings, model, endpoints), env)
        processes["web"] = _start("web", [sys.executable, "-m", "bot", "web"], env)
        _wait_until_up(f"http://localhost:{settings.action_port}/health", processes, 120)
        _wait_until_up(f"{settings.rasa_url}/", processes, 300)
        _wait_until_up(f"http://localhost:{settings.web_port}/", processes, 60)
        print(
            "\nThe assistant is running (embedded database: "
            f"{'SQLite' if settings.database_url.startswith('sqlite') else 'PostgreSQL'}).\n"
            f"  Website demo with chat widget: http://localhost:{settings.web_port}/\n"
            f"  Agent desk:                    {settings.rasa_url}/desk/\n"
            f"  REST channel:                  curl -XPOST {settings.rasa_url}/webhooks/rest/webhook "
            '-d \'{"sender":"t1","message":"halo"}\'\n'
            f"  Rasa HTTP API token:           in RASA_AUTH_TOKEN or {VAR_DIR}/rasa_auth_token\n"
            f"  Logs:                          {VAR_DIR}/logs/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(proc.poll() is None for proc in processes.values()):
            time.sleep(1)
        dead = [name for name, proc in processes.items() if proc.poll() is not None]
        raise StartupError(f"{', '.join(dead)} stopped; see {VAR_DIR}/logs")
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(processes)


def shell() -> int:
    """``rasa shell`` against the current model, with the action server running beside it."""
    from bot.crm.migrate import upgrade
    from bot.training import train_if_needed

    settings = get_settings()
    upgrade()
    model = train_if_needed()
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    endpoints = write_runtime_endpoints(settings, VAR_DIR / "endpoints.runtime.yml")
    actions = {"action-server": _start("action-server", action_server_command(settings), env)}
    try:
        _wait_until_up(f"http://localhost:{settings.action_port}/health", actions, 120)
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
        _stop(actions)
