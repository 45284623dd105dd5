"""The house rule on layers, checked on the source: business logic never imports the web side.

``bot/flows``, ``bot/crm`` and ``bot/handoff`` run in the action server (and in tests) without
Rasa, rasa_sdk or Sanic, and never reach into the Rasa-server web app (``bot/desk``,
``bot/channels``). ``bot/`` never imports the test/benchmark helpers in ``testkit``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import PROJECT_ROOT

LOGIC_PACKAGES = ["bot/flows", "bot/crm", "bot/handoff", "bot/analytics"]
FORBIDDEN_IN_LOGIC = ("rasa", "rasa_sdk", "sanic", "bot.desk", "bot.channels", "actions")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize("package", LOGIC_PACKAGES)
def test_business_logic_stays_free_of_rasa_and_the_web_side(package: str) -> None:
    files = sorted((PROJECT_ROOT / package).rglob("*.py"))
    assert files
    assert _violations(files, FORBIDDEN_IN_LOGIC) == []


def test_the_product_never_imports_test_helpers() -> None:
    files = sorted((PROJECT_ROOT / "bot").rglob("*.py")) + sorted(
        (PROJECT_ROOT / "actions").rglob("*.py")
    )
    assert _violations(files, ("testkit", "tests")) == []
