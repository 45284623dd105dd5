"""Operational metrics (Prometheus) and health checks for every process (issue 17).

Why one module: the Rasa server (desk blueprint), the action server and the worker expose
the same three endpoints with the same rules, so the rules live here and each server only
mounts them:

* ``/healthz`` - liveness: the process answers (no dependency checked, so a database outage
  does not get every replica restarted);
* ``/readyz`` - readiness: the database answers ``SELECT 1`` and, when ``REDIS_URL`` is set,
  Redis answers ``PING``; 503 with the failing check otherwise;
* ``/metrics`` - Prometheus text format (``prometheus_client``). Protected: with
  ``METRICS_TOKEN`` set it needs ``Authorization: Bearer <METRICS_TOKEN>``; without it only
  loopback clients get it (a scraper on the same host or a sidecar).

Gauges that describe the shared database (handoff queue, outbox) are read at scrape time by a
collector, so every replica reports the same truth instead of a number kept in its memory.
No web framework is imported here: the servers adapt these functions.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.config import is_loopback_host

logger = logging.getLogger(__name__)

MESSAGES = Counter(
    "layanan_messages", "Customer messages received by the bot, by channel", ["channel"]
)
RESPONSE_LATENCY = Histogram(
    "layanan_response_latency_seconds",
    "Time from a customer message to the bot's first answer (Rasa server)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
ACTION_LATENCY = Histogram(
    "layanan_action_latency_seconds",
    "Custom action run time on the action server, by action",
    ["action"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
ACTION_ERRORS = Counter(
    "layanan_action_errors", "Custom action calls that failed (HTTP 4xx/5xx), by action", ["action"]
)
ANALYTICS_EVENTS = Counter(
    "layanan_analytics_events", "Tracker events stored in analytics_events (new rows)"
)
ANALYTICS_ERRORS = Counter(
    "layanan_analytics_errors", "Batches of tracker events the analytics capture failed to store"
)


class DatabaseCollector(Collector):
    """Handoff queue, outbox and connection pool, read from the shared database per scrape."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering must not query the database (it may not be migrated yet).
        return iter(())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        import sqlalchemy as sa

        from bot.crm.db import get_engine
        from bot.crm.models import Handoff, Notification

        try:
            engine = get_engine(self.url)
            with engine.connect() as connection:
                waiting, oldest = connection.execute(
                    sa.select(sa.func.count(), sa.func.min(Handoff.queued_at)).where(
                        Handoff.status == "waiting"
                    )
                ).one()
                outbox: dict[str, int] = {
                    str(status): int(count)
                    for status, count in connection.execute(
                        sa.select(Notification.status, sa.func.count()).group_by(
                            Notification.status
                        )
                    ).all()
                }
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail on a database outage
            logger.warning("metrics: the database could not be read (%s)", type(exc).__name__)
            return
        yield GaugeMetricFamily(
            "layanan_handoff_queue_length", "Customers waiting for an agent", value=waiting
        )
        wait = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            wait = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        yield GaugeMetricFamily(
            "layanan_handoff_oldest_wait_seconds",
            "How long the longest-waiting customer has waited (0: nobody waits)",
            value=wait,
        )
        backlog = GaugeMetricFamily(
            "layanan_outbox_backlog", "Notifications not sent yet, by status", labels=["status"]
        )
        for status in ("pending", "sending", "held"):
            backlog.add_metric([status], outbox.get(status, 0))
        yield backlog
        failures = GaugeMetricFamily(
            "layanan_outbox_failures",
            "Notifications that failed (retrying) or were dead-lettered, by status",
            labels=["status"],
        )
        for status in ("failed", "dead"):
            failures.add_metric([status], outbox.get(status, 0))
        yield failures
        pool = getattr(engine.pool, "checkedout", None)
        if callable(pool):
            yield GaugeMetricFamily(
                "layanan_db_pool_in_use", "Database connections checked out", value=pool()
            )


_collector_lock = threading.Lock()
_collector: DatabaseCollector | None = None


def register_database_collector(url: str | None = None) -> None:
    """Once per process (the default registry refuses a second copy of the same names)."""
    global _collector
    with _collector_lock:
        if _collector is None:
            _collector = DatabaseCollector(url)
            REGISTRY.register(_collector)
        else:
            _collector.url = url


def render_metrics() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def metrics_allowed(
    authorization: str | None, client_ip: str | None, forwarded: bool = False
) -> bool:
    """Bearer METRICS_TOKEN when set; otherwise only loopback clients that did not come
    through a reverse proxy (a proxied request carries X-Forwarded-For / Forwarded: its
    socket peer is the proxy on this host, not the caller)."""
    from bot.config import get_settings

    token = get_settings().metrics_token
    if token:
        expected = f"Bearer {token}".encode()
        return hmac.compare_digest((authorization or "").encode(), expected)
    return not forwarded and bool(client_ip) and is_loopback_host(str(client_ip))


# --- health --------------------------------------------------------------------------------------
def liveness() -> dict[str, Any]:
    return {"status": "ok"}


def _check_database(url: str | None) -> None:
    from bot.crm.db import get_engine

    with get_engine(url).connect() as connection:
        connection.exec_driver_sql("SELECT 1")


def _check_redis(url: str, timeout: float = 2.0) -> None:
    """PING over RESP with a plain socket (no client library needed for one command)."""
    parts = urlsplit(url)
    with socket.create_connection(
        (parts.hostname or "localhost", parts.port or 6379), timeout
    ) as s:
        commands = b""
        if parts.password:
            user = parts.username or "default"
            commands += _resp("AUTH", user, parts.password)
        commands += _resp("PING")
        s.sendall(commands)
        answer = b""
        deadline = time.monotonic() + timeout
        while b"PONG" not in answer and time.monotonic() < deadline:
            chunk = s.recv(1024)
            if not chunk:
                break
            answer += chunk
            if answer.startswith(b"-"):
                break
        if b"+PONG" not in answer:
            raise ConnectionError("Redis did not answer PING")


def _resp(*args: str) -> bytes:
    out = f"*{len(args)}\r\n".encode()
    for arg in args:
        data = arg.encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def readiness(url: str | None = None, redis_url: str | None = None) -> tuple[bool, dict[str, Any]]:
    """(ready, body): every dependency checked; the body names what failed (no secrets)."""
    from bot.config import get_settings

    if redis_url is None:
        redis_url = get_settings().redis_url
    checks: dict[str, str] = {}
    try:
        _check_database(url)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
    if redis_url:
        try:
            _check_redis(redis_url)
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks}


# --- the worker's tiny HTTP server -------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        import json

        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._send(200, json.dumps(liveness()).encode(), "application/json")
        elif path == "/readyz":
            ready, checks = readiness()
            self._send(200 if ready else 503, json.dumps(checks).encode(), "application/json")
        elif path == "/metrics":
            forwarded = bool(self.headers.get("X-Forwarded-For") or self.headers.get("Forwarded"))
            if not metrics_allowed(
                self.headers.get("Authorization"), self.client_address[0], forwarded
            ):
                self._send(403, b'{"error": "forbidden"}', "application/json")
                return
            text, content_type = render_metrics()
            self._send(200, text, content_type)
        else:
            self._send(404, b'{"error": "not_found"}', "application/json")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("metrics server: " + format, *args)


def start_http_server(host: str, port: int) -> ThreadingHTTPServer:
    """Serve /healthz, /readyz, /metrics in a daemon thread; ``shutdown()`` stops it."""
    register_database_collector()
    server = ThreadingHTTPServer((host, port), _Handler)
    thread = threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True)
    thread.start()
    logger.info("Worker health and metrics on http://%s:%s/", host, server.server_address[1])
    return server
