"""The back-office tests' fixtures (helpers live in helpers.py)."""

from tests.cases.helpers import staff  # noqa: F401 - the fixture, by name
