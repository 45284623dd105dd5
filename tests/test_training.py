"""The model's file name follows every training input, including each file of domain/."""

from __future__ import annotations

from pathlib import Path

from bot.training import fingerprint, training_inputs


def _project(root: Path) -> Path:
    (root / "domain").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "config.yml").write_text("language: id\n")
    (root / "domain" / "core.yml").write_text('version: "3.1"\nintents: [greet]\n')
    (root / "domain" / "handoff.yml").write_text('version: "3.1"\nresponses: {}\n')
    return root


def test_editing_any_domain_file_changes_the_fingerprint(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = fingerprint(training_inputs(root), root)
    (root / "domain" / "handoff.yml").write_text('version: "3.1"\nresponses: {utter_x: []}\n')
    assert fingerprint(training_inputs(root), root) != before


def test_a_new_domain_file_changes_the_fingerprint(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = fingerprint(training_inputs(root), root)
    (root / "domain" / "verification.yml").write_text('version: "3.1"\nintents: [verify]\n')
    assert fingerprint(training_inputs(root), root) != before
