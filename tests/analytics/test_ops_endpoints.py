"""/healthz, /readyz and /metrics of the action server and the worker (bot/observability.py),
on the real processes started as ``python -m bot run`` starts them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot import observability
from bot.config import Settings, get_settings, load_settings
from bot.runner import (
    RunningProcess,
    action_server_spec,
    process_env,
    start_all,
    stop,
    worker_spec,
)
from testkit.ports import free_port

METRICS_TOKEN = f"metrics-{uuid.uuid4().hex}"


@dataclass
class Stack:
    settings: Settings
    action_url: str
    worker_url: str
    processes: list[RunningProcess]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer, parsed with Prometheus's own text parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from bot.crm.db import dispose_engine
    from bot.crm.migrate import upgrade

    var_dir = tmp_path_factory.mktemp("ops")
    crm_url = f"sqlite:///{var_dir / 'crm.sqlite3'}"
    upgrade(crm_url)
    dispose_engine(crm_url)
    worker_port = free_port()
    env = process_env(
        BOT_VAR_DIR=str(var_dir),
        CRM_DATABASE_URL=crm_url,
        ACTION_PORT=str(free_port()),
        WORKER_METRICS_PORT=str(worker_port),
        METRICS_TOKEN=METRICS_TOKEN,
    )
    for name in ("ACTION_HOST", "ACTION_SERVER_TOKEN", "REDIS_URL", "SMTP_HOST"):
        env.pop(name, None)
    settings = load_settings(env)
    processes: list[RunningProcess] = []
    try:
        # The worker's spec waits for its /healthz when WORKER_METRICS_PORT is set.
        processes = start_all([action_server_spec(settings), worker_spec(settings)], env, var_dir)
        worker_url = f"http://127.0.0.1:{worker_port}"
        yield Stack(settings, f"http://127.0.0.1:{settings.action_port}", worker_url, processes)
    finally:
        stop(processes)


def _action_call(action: str) -> dict:
    sender = f"ops-{uuid.uuid4().hex[:6]}"
    return {
        "next_action": action,
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


def test_action_server_health_readiness_and_metrics(stack: Stack) -> None:
    base = stack.action_url
    assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{base}/readyz", timeout=10)
    assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok"})
    # /metrics needs the metrics token (not the action credential).
    assert requests.get(f"{base}/metrics", timeout=10).status_code == 403
    credential = {"Authorization": f"Bearer {stack.settings.action_server_token}"}
    assert requests.get(f"{base}/metrics", headers=credential, timeout=10).status_code == 403

    for action, expected in (("action_session_start", 200), ("action_that_does_not_exist", 404)):
        answer = requests.post(f"{base}/webhook", json=_action_call(action), headers=credential)
        assert answer.status_code == expected, answer.text
    scraped = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert scraped.status_code == 200
    values = samples(scraped.text)
    ok = (("action", "action_session_start"),)
    missing = (("action", "action_that_does_not_exist"),)
    assert values[("layanan_action_latency_seconds_count", ok)] == 1
    assert values[("layanan_action_latency_seconds_count", missing)] == 1
    assert values[("layanan_action_errors_total", missing)] == 1
    assert ("layanan_action_errors_total", ok) not in values
    assert values[("layanan_handoff_queue_length", ())] == 0
    assert values[("layanan_outbox_backlog", (("status", "pending"),))] == 0


def test_worker_health_readiness_and_metrics(stack: Stack) -> None:
    base = stack.worker_url
    assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{base}/readyz", timeout=10)
    assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok"})
    assert requests.get(f"{base}/metrics", timeout=10).status_code == 403
    scraped = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    values = samples(scraped.text)
    assert values[("layanan_outbox_failures", (("status", "dead"),))] == 0
    assert values[("layanan_handoff_oldest_wait_seconds", ())] == 0


# --- in-process: readiness failures and the loopback rule -------------------------------------
def test_readiness_names_the_dependency_that_is_down(sqlite_crm_url: str) -> None:
    ready, body = observability.readiness(sqlite_crm_url, "redis://127.0.0.1:6379/0")
    assert (ready, body["checks"]) == (True, {"database": "ok", "redis": "ok"})
    closed = f"redis://127.0.0.1:{free_port()}/0"
    ready, body = observability.readiness(sqlite_crm_url, closed)
    assert ready is False
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")
    down = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/nothing"
    ready, body = observability.readiness(down, "")
    assert ready is False and body["checks"]["database"].startswith("error")


def test_without_a_token_metrics_are_for_loopback_callers_not_proxied_ones(
    sqlite_crm_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    server = observability.start_http_server("127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        direct = requests.get(f"{base}/metrics", timeout=10)
        assert direct.status_code == 200
        assert ("layanan_handoff_queue_length", ()) in samples(direct.text)
        proxied = requests.get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403
        assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    assert observability.metrics_allowed(None, "10.0.0.5") is False


def test_metrics_collector_sees_a_waiting_customer(sqlite_crm_url: str) -> None:
    from bot.crm import handoffs

    observability.register_database_collector(sqlite_crm_url)
    handoffs.open_handoff("web-ops", "socketio", None, "customer_request", {}, [], "ops-1")
    body, _ = observability.render_metrics()
    values = samples(body.decode())
    assert values[("layanan_handoff_queue_length", ())] == 1
    assert values[("layanan_handoff_oldest_wait_seconds", ())] >= 0
    observability.register_database_collector(None)
