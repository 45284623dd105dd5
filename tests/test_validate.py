"""scripts/validate.py: Rasa's validation, strict, with the uses Rasa's validator cannot see."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from bot import PROJECT_ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate", PROJECT_ROOT / "scripts/validate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DOMAIN = """version: "3.1"
intents: [greet, inform]
responses:
  utter_greet:
    - text: "Halo"
      buttons: [{title: "Satu", payload: '/inform{{"choice": "1"}}'}]
  utter_sent_by_an_action:
    - text: "Baik"
actions: [action_reply]
"""
DATA = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - halo
      - hai
  - intent: inform
    examples: |
      - satu
      - dua
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
"""


def _project(tmp_path: Path, action_code: str) -> Path:
    (tmp_path / "actions").mkdir()
    (tmp_path / "actions" / "reply.py").write_text(action_code)
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "core.yml").write_text(DOMAIN)
    (tmp_path / "data.yml").write_text(DATA)
    (tmp_path / "config.yml").write_text(
        "recipe: default.v1\nlanguage: id\nassistant_id: test\npolicies: [{name: RulePolicy}]\n"
        "pipeline: []\n"
    )
    return tmp_path


def _check(root: Path) -> int:
    check = _script().ProjectCheck(
        str(root / "domain"), [str(root / "data.yml")], str(root / "config.yml"), root
    )
    return int(check.main())


@pytest.mark.parametrize(
    ("code", "result"),
    [
        # Sent by a custom action; `inform` is used by a button of the bot: all is used.
        ('RESPONSE = "utter_sent_by_an_action"\n', 0),
        # Nobody sends it any more: Rasa's warning stands.
        ("RESPONSE = None\n", 1),
        # The code sends a response the domain does not have.
        ('RESPONSES = ["utter_sent_by_an_action", "utter_typo"]\n', 1),
    ],
)
def test_only_real_uses_silence_rasa_warnings(tmp_path: Path, code: str, result: int) -> None:
    assert _check(_project(tmp_path, code)) == result


def test_the_project_passes() -> None:
    """What `make validate` checks, also run by the tests."""
    root = PROJECT_ROOT
    check = _script().ProjectCheck(
        str(root / "domain"), [str(root / "data")], str(root / "config.yml")
    )
    assert check.main() == 0
