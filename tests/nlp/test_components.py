"""The Rasa graph components, run through Rasa's component API without training a model."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import PROJECT_ROOT
from bot.nlp.components import IndonesianTokenizer, LanguageDetector, RuleEntityExtractor


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def _context() -> ExecutionContext:
    return ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]


def test_tokenizer_splits_indonesian_clitics_and_drops_punctuation() -> None:
    tokenizer = IndonesianTokenizer(IndonesianTokenizer.get_default_config())
    message = Message.build("pressure gauge-nya 2 unit, kak!")
    tokenizer.process([message])
    tokens = [t.text for t in message.get("text_tokens")]
    assert tokens == ["pressure", "gauge", "-nya", "2", "unit", "kak"]
    text = message.get("text")
    assert all(text[t.start : t.end] == t.text for t in message.get("text_tokens"))


def test_extractor_persists_patterns_in_the_model_and_loads_them(
    storage: LocalModelStorage,
) -> None:
    resource = Resource("entities")
    config = {"patterns_dir": str(PROJECT_ROOT / "data" / "entities")}
    trained = RuleEntityExtractor.create(config, storage, resource, _context())
    trained.train(TrainingData())
    loaded = RuleEntityExtractor.load(config, storage, resource, _context())
    message = Message.build("mau kalibrasi 12 pressure gauge di Cikarang")
    loaded.process([message])
    entities = {(e["entity"], e["value"], e["extractor"]) for e in message.get("entities")}
    assert ("instrument_type", "pressure_gauge", "RuleEntityExtractor") in entities
    assert ("quantity", "12", "RuleEntityExtractor") in entities
    assert ("city", "Cikarang", "RuleEntityExtractor") in entities


def test_edited_pattern_files_change_the_training_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "city.jsonl").write_text('{"label": "city", "pattern": "medan", "id": "Medan"}\n')
    before = RuleEntityExtractor.fingerprint_addon({"patterns_dir": str(tmp_path)})
    (tmp_path / "city.jsonl").write_text('{"label": "city", "pattern": "binjai", "id": "Binjai"}\n')
    assert RuleEntityExtractor.fingerprint_addon({"patterns_dir": str(tmp_path)}) != before


def test_edited_gazetteer_changes_the_training_fingerprint(tmp_path: Path) -> None:
    patterns = tmp_path / "entities"
    patterns.mkdir()
    (patterns / "x.jsonl").write_text('{"label": "x", "pattern": "x", "id": "x"}\n')
    places = tmp_path / "gazetteer"
    places.mkdir()
    (places / "regions.csv").write_text("code,kind,province,name,value\n")
    (places / "aliases.yml").write_text("places: {Cikarang: [ckr]}\n")
    config = {"patterns_dir": str(patterns), "gazetteer_dir": str(places)}
    before = RuleEntityExtractor.fingerprint_addon(config)
    (places / "aliases.yml").write_text("places: {Cikarang: [ckr, cikarang]}\n")
    assert RuleEntityExtractor.fingerprint_addon(config) != before


@pytest.mark.parametrize(
    ("text", "language"),
    [("jam buka kantor kapan kak?", "id"), ("what are your opening hours?", "en")],
)
def test_language_entity_when_sure(text: str, language: str) -> None:
    message = Message.build(text)
    LanguageDetector().process([message])
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("language", language)]


def test_no_language_entity_for_neutral_text() -> None:
    message = Message.build("ok")
    LanguageDetector().process([message])
    assert not message.get("entities")
