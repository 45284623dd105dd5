"""Fixtures for the CRM tests: every ``crm_url`` test runs on SQLite AND on PostgreSQL.

PostgreSQL: one throw-away database per test session (``crm_test_<random>``), migrated
once, its tables emptied before each test, dropped at the end. When the server cannot be
reached the PostgreSQL variants are skipped with the reason shown, except in CI
(``CI`` set), where they fail: CI must test both databases.

``crm_url`` is meant to be shared with other areas (actions, desk): it also points
CRM_DATABASE_URL at the fresh database, so code using the default URL finds it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa

from bot.crm.db import dispose_engine, mask_url
from bot.crm.migrate import upgrade
from bot.crm.models import Base
from tests.conftest import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database

T = TypeVar("T")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _admin_engine() -> sa.engine.Engine:
    return sa.create_engine(
        POSTGRES_ADMIN_URL,
        isolation_level="AUTOCOMMIT",
        future=True,
        connect_args={"connect_timeout": 5},
    )


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The server's admin URL; unreachable server: skip locally, fail in CI."""
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        reason = (
            f"PostgreSQL unreachable at {mask_url(POSTGRES_ADMIN_URL)}: {str(exc).splitlines()[0]}"
        )
        if in_ci():
            pytest.fail(reason + " (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    finally:
        engine.dispose()
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="session")
def postgres_crm_url(postgres_admin_url: str) -> Iterator[str]:
    """A migrated throw-away PostgreSQL database for the whole test session."""
    url = create_postgres_database("crm_test")  # postgres_admin_url: skip/fail when unreachable
    try:
        upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("crm-template") / "crm.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    dispose_engine(url)  # closes the connections, which checkpoints the WAL into the file
    return path


def _empty_tables(url: str) -> None:
    from bot.crm.db import get_engine

    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with get_engine(url).begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crm_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """URL of an empty, migrated CRM database (SQLite file or PostgreSQL), also set as CRM_DATABASE_URL."""
    from bot.config import get_settings

    if request.param == "sqlite":
        path = tmp_path / "crm.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_crm_url")
        _empty_tables(url)
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if request.param == "sqlite":
        dispose_engine(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database that does not have the schema yet (SQLite: not even the file/dir)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'not' / 'yet' / 'crm.sqlite3'}"
        yield url
        dispose_engine(url)
    else:
        request.getfixturevalue("postgres_admin_url")  # skip locally / fail in CI when unreachable
        url = create_postgres_database("crm_test")
        try:
            yield url
        finally:
            drop_postgres_database(url)


@pytest.fixture
def race() -> Callable[[Callable[[int], T], int], list[T]]:
    """Run ``work(i)`` for i in range(n) in n threads released at the same instant."""

    def run(work: Callable[[int], T], n: int) -> list[T]:
        barrier = threading.Barrier(n)

        def start(i: int) -> T:
            barrier.wait(timeout=30)
            return work(i)

        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(start, range(n)))

    return run
