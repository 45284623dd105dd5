"""Rasa 3.6 graph components: Indonesian tokenizer, rule-based entities, language detection.

Use them in config.yml by module path:

    - name: bot.nlp.components.IndonesianTokenizer
    - name: bot.nlp.components.RuleEntityExtractor      # patterns_dir: data/entities
                                                        # gazetteer_dir: data/gazetteer
    - name: bot.nlp.components.LanguageDetector

No spaCy model is loaded or downloaded: ``spacy.blank("id")`` ships with spaCy itself.
The entity patterns and the place gazetteer are copied into the trained model (so a model
runs without the ``data/`` folder), and their content is part of the training fingerprint,
so editing a pattern or gazetteer file retrains the extractor.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import PROJECT_ROOT
from bot.nlp import gazetteer
from bot.nlp.entities import EntityRecognizer, patterns_fingerprint, read_patterns
from bot.nlp.language import detect_language

logger = logging.getLogger(__name__)

LANGUAGE_ENTITY = "language"


def _resolve(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else PROJECT_ROOT / candidate


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class IndonesianTokenizer(Tokenizer):
    """Tokenizes with ``spacy.blank("id")``: Indonesian rules for clitics such as "-nya",
    reduplication ("alat-alat") and abbreviations, without any trained model."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy"]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        import spacy

        self._tokenizer = spacy.blank("id").tokenizer

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        tokens = [
            Token(t.text, t.idx)
            for t in self._tokenizer(text)
            # Punctuation and whitespace carry no intent signal; like Rasa's tokenizers, drop them.
            if t.text.strip() and not (t.is_punct and len(t.text) == 1)
        ]
        if not tokens:
            tokens = [Token(text, 0)]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class RuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Entities from spaCy EntityRuler patterns and the parsers (see bot/nlp/entities.py)."""

    PATTERNS_FILE = "entity_patterns.json"
    GAZETTEER_FILE = "gazetteer.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"patterns_dir": "data/entities", "gazetteer_dir": "data/gazetteer"}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # The pattern and gazetteer files are not graph inputs; without this an edited file
        # would be ignored because Rasa would reuse the cached trained component.
        directory = _resolve(config.get("patterns_dir", "data/entities"))
        if not directory.exists():
            return None
        places = _resolve(config.get("gazetteer_dir", "data/gazetteer"))
        digest = hashlib.sha256(patterns_fingerprint(directory).encode())
        for path in gazetteer.source_files(places):
            if path.exists():
                digest.update(path.read_bytes())
        return digest.hexdigest()

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "phonenumbers", "email_validator"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        patterns: dict[str, list[dict[str, Any]]] | None = None,
        places: gazetteer.Gazetteer | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._patterns = patterns
        self._recognizer = EntityRecognizer(patterns, places) if patterns else None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """'Training' copies the pattern files and the gazetteer into the model."""
        patterns = read_patterns(_resolve(self._config["patterns_dir"]))
        places = gazetteer.Gazetteer.from_dir(_resolve(self._config["gazetteer_dir"]))
        self._patterns = patterns
        self._recognizer = EntityRecognizer(patterns, places)
        with self._model_storage.write_to(self._resource) as model_path:
            rasa.shared.utils.io.dump_obj_as_json_to_file(model_path / self.PATTERNS_FILE, patterns)
            rasa.shared.utils.io.dump_obj_as_json_to_file(
                model_path / self.GAZETTEER_FILE, places.source()
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RuleEntityExtractor:
        with model_storage.read_from(resource) as model_path:
            patterns = rasa.shared.utils.io.read_json_file(model_path / cls.PATTERNS_FILE)
            places_file = model_path / cls.GAZETTEER_FILE
            places = (
                gazetteer.Gazetteer(rasa.shared.utils.io.read_json_file(places_file))
                if places_file.exists()
                else None  # a model trained before the gazetteer: use data/gazetteer
            )
        return cls(config, model_storage, resource, patterns, places)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._recognizer is None:
            raise RuntimeError("RuleEntityExtractor used before training/loading")
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            extracted = [e.as_rasa() for e in self._recognizer.extract(text)]
            for entity in extracted:
                entity["confidence_entity"] = 1.0
            extracted = self.add_extractor_name(extracted)
            message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a ``language`` entity (id/en) when the message is clearly in one language.

    Undecidable messages ("ok", "12", "thanks") get no entity, so the ``language`` slot
    keeps its previous value. The entity is zero-width (start=end=0): it describes the
    whole message, not a span, and so stays out of span-based entity evaluation.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            language = detect_language(text) if isinstance(text, str) else None
            if not language:
                continue
            entity = {
                "entity": LANGUAGE_ENTITY,
                "start": 0,
                "end": 0,
                "value": language,
                "confidence_entity": 1.0,
            }
            self.add_extractor_name([entity])
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages
