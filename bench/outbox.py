"""Outbox benchmark (run by hand): notification throughput and commit-to-send latency.

    .venv/bin/python -m bench.outbox [--burst 1000] [--trickle 300] [--rate 20] [--poll 1.0]
        [--provider-delay 0.0] [--workers 1 2]

For 1 and then 2 ``python -m bot worker`` processes on a throw-away PostgreSQL database
(CRM_TEST_POSTGRES_URL, default postgresql+psycopg2://postgres@127.0.0.1:5432/test), with a
local fake WhatsApp Cloud API and a local SMTP server (aiosmtpd; tests/notify/fakes.py), half
of the notifications by e-mail and half by WhatsApp:

* burst: ``--burst`` rows committed at once; throughput = rows / (last arrival at a fake
  provider - commit);
* trickle: ``--trickle`` rows committed one by one at ``--rate`` per second (below capacity);
  latency = arrival at the fake provider - the row's commit, p50/p95.

Idle workers poll every ``--poll`` seconds (NOTIFY_POLL_SECONDS), which bounds the trickle
latency: expect p50 around half of it. No network: everything is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot import PROJECT_ROOT
from bot.crm.db import dispose_engine, session_scope
from bot.crm.migrate import upgrade
from bot.notify.outbox import enqueue
from testkit.ports import free_port
from testkit.scratch import create_scratch_database, drop_scratch_database
from tests.fixtures.databases import POSTGRES_ADMIN_URL
from tests.notify.fakes import ACCESS_TOKEN, PHONE_NUMBER_ID, start_fake_graph, start_fake_smtp

from .metrics import percentiles_ms


def _recipient(i: int, by_mail: bool) -> str:
    return f"b{i}@example.com" if by_mail else f"6281{i:09d}"


def _arrivals(graph, smtp) -> dict[str, float]:
    return {to: t for t, to in [*graph.arrivals, *smtp.recorder.arrivals]}


def _wait(graph, smtp, n: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while len(graph.arrivals) + len(smtp.recorder.arrivals) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {len(graph.arrivals) + len(smtp.recorder.arrivals)}/{n}")
        time.sleep(0.01)


def run_level(workers: int, args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    url = create_scratch_database(POSTGRES_ADMIN_URL, "bench_outbox")
    graph = start_fake_graph()
    graph.delay = args.provider_delay
    smtp = start_fake_smtp(free_port())
    procs: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(url)
        env = dict(os.environ) | {
            "CRM_DATABASE_URL": url,
            "BOT_VAR_DIR": str(tmp),
            "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_GRAPH_BASE_URL": graph.base_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "0",
            "NOTIFY_POLL_SECONDS": str(args.poll),
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)
        for i in range(workers):
            log = open(tmp / f"worker-{workers}-{i}.log", "wb")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "worker"],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        time.sleep(3)  # let every worker start and go idle before the clock starts

        # Burst: everything committed at once.
        with session_scope(url) as session:
            for i in range(args.burst):
                by_mail = i % 2 == 0
                enqueue(
                    session,
                    kind="stage_changed",
                    channel="email" if by_mail else "whatsapp",
                    recipient=_recipient(i, by_mail),
                    idempotency_key=f"burst:{i}",
                    reference=f"KAL-2026-{i:04d}",
                    payload={"stage": "certificate_issued"},
                )
        committed = time.time()
        _wait(graph, smtp, args.burst)
        last = max(_arrivals(graph, smtp).values())
        throughput = args.burst / (last - committed)

        # Trickle: one row per transaction at a steady rate, below capacity.
        commit_times: dict[str, float] = {}
        start = time.monotonic()
        for j in range(args.trickle):
            i = args.burst + j
            by_mail = i % 2 == 0
            with session_scope(url) as session:
                enqueue(
                    session,
                    kind="stage_changed",
                    channel="email" if by_mail else "whatsapp",
                    recipient=_recipient(i, by_mail),
                    idempotency_key=f"trickle:{i}",
                    reference=f"KAL-2026-{i:04d}",
                    payload={"stage": "certificate_issued"},
                )
            commit_times[_recipient(i, by_mail)] = time.time()
            pause = start + (j + 1) / args.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        _wait(graph, smtp, args.burst + args.trickle)
        arrivals = _arrivals(graph, smtp)
        latencies = [arrivals[to] - t for to, t in commit_times.items()]
        sent_total = len(graph.arrivals) + len(smtp.recorder.arrivals)
        return {
            "workers": workers,
            "burst": args.burst,
            "throughput_per_s": round(throughput, 1),
            "trickle": args.trickle,
            "rate_per_s": args.rate,
            "poll_s": args.poll,
            "provider_delay_s": args.provider_delay,
            "concurrency": int(os.environ.get("NOTIFY_CONCURRENCY", "4")),
            "latency": percentiles_ms(latencies),
            "deliveries": sent_total,
            "duplicates": sent_total - len(arrivals),
        }
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        smtp.stop()
        assert graph.server is not None
        graph.server.shutdown()
        dispose_engine(url)
        drop_scratch_database(url, POSTGRES_ADMIN_URL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--trickle", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--provider-delay",
        type=float,
        default=0.0,
        help="seconds the fake Graph API takes per message (Meta: typically 0.2-0.5)",
    )
    args = parser.parse_args(argv)
    tmp = PROJECT_ROOT / "var" / "bench-outbox"
    tmp.mkdir(parents=True, exist_ok=True)
    for workers in args.workers:
        print(json.dumps(run_level(workers, args, tmp)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
