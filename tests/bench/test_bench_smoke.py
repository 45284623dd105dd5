"""CI smoke version of the benchmark: one concurrency level, a few conversations.

It keeps ``python -m bot bench`` working end to end (bare ``rasa init`` bot, full stack on
SQLite and PostgreSQL, scripted flows, record counting, result files). It asserts no figures:
timing is for the real benchmark, not for tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Same server as the other PostgreSQL tests (tests/conftest.py); CI sets it.
POSTGRES_ADMIN_URL = os.environ.get(
    "CRM_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


@pytest.mark.model
@pytest.mark.postgres
def test_benchmark_smoke_run_stores_every_confirmed_form_once(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.run import main

    # The benchmark's PostgreSQL pass creates a throw-away database on this server.
    monkeypatch.setenv("CRM_DATABASE_URL", POSTGRES_ADMIN_URL)
    out = tmp_path / "results"
    code = main(
        [
            "--levels",
            "2",
            "--conversations",
            "10",
            "--databases",
            "sqlite,postgresql",
            "--model",
            str(trained_model),
            "--out",
            str(out),
            "--work-dir",
            str(tmp_path / "work"),
            "--warmup",
            "2",
        ]
    )

    result = json.loads((out / "latest.json").read_text())
    assert (out / "latest.md").read_text().startswith("# Benchmark results")
    assert (out / "latency.png").stat().st_size > 0
    assert set(result["stacks"]) == {"sqlite", "postgresql"}
    for db, stack in result["stacks"].items():
        (level,) = stack["levels"]
        samples = level["error_samples"] + stack["setup"]["error_samples"]
        assert level["errors"] == 0 and stack["setup"]["errors"] == 0, (db, samples)
        assert level["conversations"] == 10
        # 10 conversations: 5 FAQ, 2 calibration, 1 financing, 1 complaint, 1 status check.
        assert level["conversations_by_kind"] == {
            "faq": 5,
            "calibration": 2,
            "financing": 1,
            "complaint": 1,
            "status": 1,
        }
        records = {r["prefix"]: r for r in stack["records"]}
        # Calibration: 2 in the level + 1 created for the status check.
        assert {p: records[p]["expected"] for p in ("KAL", "FIN", "CMP")} == {
            "KAL": 3,
            "FIN": 1,
            "CMP": 1,
        }
        assert all(r["ok"] and r["actual"] == r["expected"] for r in records.values()), records
        # The bare bot got the same messages, so every figure has its ratio.
        assert level["bare"]["messages"] == level["messages"]
        assert level["ratio_to_bare"]["p95_ms"] is not None
    assert code == 0
