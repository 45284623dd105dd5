"""Fixtures for the flow tests. ``crm_url`` (SQLite and PostgreSQL) is a shared fixture
(tests/fixtures/databases.py); helpers are in helpers.py."""

from __future__ import annotations

import pytest

from bot.flows.base import Context
from bot.profile import get_profile
from tests.flows.helpers import TODAY, Records


@pytest.fixture
def ctx() -> Context:
    return Context(language="id", today=TODAY, profile=get_profile())


@pytest.fixture
def ctx_en() -> Context:
    return Context(language="en", today=TODAY, profile=get_profile())


@pytest.fixture
def records(crm_url: str) -> Records:
    return Records()
