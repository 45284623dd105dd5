"""Fixtures for the action tests (helpers in helpers.py; ``crm_url`` is a shared fixture)."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
