"""Rasa test stories of the transactional flows (tests/test_stories.yml), on the session's model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import PROJECT_ROOT

pytestmark = pytest.mark.model


def test_flow_test_stories_pass(trained_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "core-results"
    command = [
        sys.executable,
        "-m",
        "rasa",
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        str(PROJECT_ROOT / "tests" / "test_stories.yml"),
        "--out",
        str(out),
        "--no-plot",
    ]
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1200
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    failed = (out / "failed_test_stories.yml").read_text()
    assert "None of the test stories failed" in failed, failed
