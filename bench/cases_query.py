"""How fast are the back office's case lists with 100,000 cases? p50/p95 per typical query.

    .venv/bin/python -m bench.cases_query                    # scratch PostgreSQL DB, 100,000 cases
    .venv/bin/python -m bench.cases_query --count 20000 --repeat 30
    .venv/bin/python -m bench.cases_query --url postgresql+psycopg2://...  # an existing seeded DB

Creates a throw-away database on the PostgreSQL server of ``CRM_TEST_POSTGRES_URL`` (default
postgresql+psycopg2://postgres@127.0.0.1:5432/test), migrates and seeds it
(``bot.cases.seed``), runs ANALYZE, then times each query through the same functions the
desk and the API call (``bot.cases.queries``), and drops the database. Times include the
Python side (ORM rows to records, labels), not only SQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.cases.queries import CaseFilter, export_csv, list_cases, stage_counts
from bot.cases.types import Actor
from bot.crm.db import dispose_engine, get_engine, mask_url
from bot.crm.migrate import upgrade
from bot.crm.scratch import create_scratch_database, drop_scratch_database

ADMIN_URL = os.environ.get(
    "CRM_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


def _queries(agent_id: int) -> dict[str, Callable[[str], Any]]:
    me = Actor(agent_id, "agent")
    boss = Actor(agent_id, "supervisor")
    today = datetime.now(UTC).date()

    def page(flt: CaseFilter, **kw: Any) -> Callable[[str], Any]:
        return lambda url: list_cases(flt, actor=me, url=url, **kw)

    return {
        "open cases, newest first (page 1 of 50)": page(CaseFilter(open=True)),
        "calibration at one stage": page(CaseFilter(type="calibration", stages=("scheduled",))),
        "mine, open, by due time": page(CaseFilter(mine=True, open=True), sort="due"),
        "overdue, by due time": page(CaseFilter(overdue=True), sort="due"),
        "search company 'sinar abadi'": page(CaseFilter(q="sinar abadi")),
        "search phone '0812 3'": page(CaseFilter(q="0812 3")),
        "search reference 'KAL-2025-0012'": page(CaseFilter(q="KAL-2025-0012")),
        "whatsapp, last 30 days": page(
            CaseFilter(
                channel="whatsapp", created_from=today - timedelta(days=30), created_to=today
            )
        ),
        "escalated complaints (supervisor)": lambda url: list_cases(
            CaseFilter(type="complaint", escalated=True, open=True), actor=boss, url=url
        ),
        "page 100 (offset 4950)": page(CaseFilter(), offset=4950),
        "counts per stage, all types": lambda url: stage_counts(CaseFilter(), actor=me, url=url),
        "counts per stage, calibration overdue": lambda url: stage_counts(
            CaseFilter(type="calibration", overdue=True), actor=me, url=url
        ),
        "CSV export, financing created in the last 30 days": lambda url: export_csv(
            CaseFilter(type="financing", created_from=today - timedelta(days=30)), actor=me, url=url
        ),
    }


def measure(url: str, repeat: int) -> list[dict[str, Any]]:
    with get_engine(url).connect() as connection:
        agent_id = connection.execute(
            sa.text(
                "SELECT id FROM agents WHERE username LIKE 'seed-%' ORDER BY id LIMIT 1 OFFSET 5"
            )
        ).scalar_one()
    results = []
    for name, run in _queries(int(agent_id)).items():
        run(url)  # warm the cache and the plan
        times = []
        rows = None
        for _ in range(repeat):
            started = time.perf_counter()
            out = run(url)
            times.append((time.perf_counter() - started) * 1000)
            if isinstance(out, str):  # CSV: data lines
                rows = out.count("\n") - 1
            else:
                rows = len(out) if isinstance(out, list) else getattr(out, "total", None)
        times.sort()
        results.append(
            {
                "query": name,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                "result": rows,
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--url", help="an already seeded database (nothing created or dropped)")
    args = parser.parse_args()
    url = args.url
    scratch = url is None
    if scratch:
        url = create_scratch_database(ADMIN_URL, "cases_bench")
    try:
        if scratch:
            upgrade(url)
            from bot.cases.seed import seed_cases

            started = time.perf_counter()
            seed_cases(url, args.count)
            print(f"seeded {args.count} cases in {time.perf_counter() - started:.0f} s")
            with get_engine(url).connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "ANALYZE"
                )
        with get_engine(url).connect() as connection:
            total = connection.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
            trgm = connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_cases_search_text_trgm'"
                )
            ).scalar_one()
        print(f"{total} cases in {mask_url(url)}; trigram index: {'yes' if trgm else 'no'}")
        print(f"{'query':55} {'p50 ms':>8} {'p95 ms':>8} {'matches':>8}")
        for row in measure(url, args.repeat):
            print(
                f"{row['query']:55} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['result']!s:>8}"
            )
        print(f"measured {date.today().isoformat()}, {args.repeat} runs per query")
    finally:
        if scratch:
            dispose_engine(url)
            drop_scratch_database(url, ADMIN_URL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
