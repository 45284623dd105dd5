"""Secrets, databases and logs are readable by their owner only (0600 files, 0700 dirs).

With the usual umask (022) they were created 0644/0755: any account on the machine could
read the CRM, the conversations and the session-signing key.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import bot.config

    var = tmp_path / "var"
    monkeypatch.setattr(bot.config, "VAR_DIR", var)
    monkeypatch.setenv("BOT_VAR_DIR", str(var))
    bot.config.get_settings.cache_clear()
    yield var
    bot.config.get_settings.cache_clear()


def test_generated_secret_and_var_dir(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import _secret

    monkeypatch.delenv("TEST_ONLY_SECRET", raising=False)
    value = _secret("TEST_ONLY_SECRET", "test_only_secret", os.environ, var_dir)
    assert (var_dir / "test_only_secret").read_text() == value
    assert mode(var_dir / "test_only_secret") == 0o600
    assert mode(var_dir) == 0o700


def test_an_old_world_readable_var_dir_is_tightened(var_dir: Path) -> None:
    from bot.config import _secret

    var_dir.mkdir(mode=0o755)
    var_dir.chmod(0o755)
    _secret("TEST_ONLY_SECRET_2", "other_secret", os.environ, var_dir)
    assert mode(var_dir) == 0o700


def test_sqlite_crm_database_files(var_dir: Path) -> None:
    import sqlalchemy as sa

    from bot.crm.db import dispose_engine, session_scope
    from bot.crm.migrate import upgrade

    url = f"sqlite:///{var_dir / 'crm.sqlite3'}"
    upgrade(url)
    with session_scope(url) as session:
        session.execute(sa.text("SELECT 1"))
        assert mode(var_dir / "crm.sqlite3") == 0o600
        wal = var_dir / "crm.sqlite3-wal"
        if wal.exists():
            assert mode(wal) == 0o600
    assert mode(var_dir) == 0o700
    dispose_engine(url)


def test_sqlite_tracker_database_file(var_dir: Path) -> None:
    from bot.tracker_store import CrmSqlTrackerStore

    url = f"sqlite:///{var_dir / 'tracker.sqlite3'}"
    store = CrmSqlTrackerStore(host=url)
    try:
        assert mode(var_dir / "tracker.sqlite3") == 0o600
        assert store.engine.hide_parameters  # event JSON never in an error text
    finally:
        store.engine.dispose()


def test_process_logs_of_python_m_bot_run(var_dir: Path) -> None:
    from bot.runner import ProcessSpec, start_process

    spec = ProcessSpec(name="unit", command=(sys.executable, "-c", "print('started')"))
    proc = start_process(spec, dict(os.environ), var_dir / "logs")
    assert proc.popen.wait(timeout=60) == 0
    log = var_dir / "logs" / "unit.log"
    assert "started" in log.read_text()
    assert mode(log) == 0o600
    assert mode(var_dir / "logs") == 0o700
    assert mode(var_dir) == 0o700
