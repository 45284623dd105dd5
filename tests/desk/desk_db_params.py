"""``desk_db`` on SQLite and PostgreSQL, for desk HTTP tests whose point is shared state.

Session revocation, ownership checks and login throttling must hold across replicas, so
they are checked against both databases. Import ``desk_db`` from here into a test module
to override the SQLite-only conftest fixture there (``desk_server`` then uses it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def desk_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    from bot.config import get_settings
    from bot.crm.db import dispose_engine, get_engine
    from bot.crm.models import Base

    if request.param == "sqlite":
        path = tmp_path / "crm.sqlite3"
        shutil.copyfile(request.getfixturevalue("_desk_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_desk_postgres_url")
        names = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with get_engine(url).begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE")
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if request.param == "sqlite":
        dispose_engine(url)
