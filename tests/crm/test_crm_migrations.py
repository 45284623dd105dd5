"""Alembic migrations: apply on an empty database, re-apply safely, match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.crm.db import get_engine
from bot.crm.migrate import current_revision, ensure_schema, head_revision, upgrade
from bot.crm.models import Base


def test_upgrade_creates_everything_and_is_safe_to_repeat(fresh_url: str) -> None:
    upgrade(fresh_url)
    upgrade(fresh_url)  # second start: nothing to do, no error
    ensure_schema(fresh_url)
    assert current_revision(fresh_url) == head_revision()
    tables = set(sa.inspect(get_engine(fresh_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrated_schema_matches_the_models(crm_url: str) -> None:
    with get_engine(crm_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_concurrent_first_starts_do_not_collide(fresh_url: str, race) -> None:
    race(lambda _: upgrade(fresh_url), 4)
    assert current_revision(fresh_url) == head_revision()
