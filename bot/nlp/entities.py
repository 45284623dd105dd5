"""Rule-based entity extraction: spaCy ``blank("id")`` + EntityRuler, plus the parsers.

Two sources, merged without overlaps:

1. Structured values found by :mod:`bot.nlp.parsers` (reference, email, phone, amount,
   quantity) — their normalised value is what the forms store.
2. Vocabulary from the spaCy pattern files in ``data/entities/*.jsonl`` (EntityRuler
   format; the pattern ``id`` is the normalised entity value): instrument_type,
   instrument_spec, service_type, service_location, product_type, vehicle_condition.
3. Cities from the gazetteer (:mod:`bot.nlp.gazetteer`: every province and kabupaten/kota
   plus the abbreviations customers use); the value is the place's short name.
   ``vehicle_condition_contextual.jsonl`` holds ambiguous words ("baru", "new", "second",
   "used") that only count right next to a product mention ("mobil baru", "used car").

:func:`EntityRecognizer.extract` is a plain function over text, so it is unit-tested
without Rasa; the Rasa graph component in :mod:`bot.nlp.components` wraps it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bot import PROJECT_ROOT
from bot.nlp import parsers
from bot.nlp.gazetteer import Gazetteer, default_gazetteer

if TYPE_CHECKING:
    from spacy.pipeline import EntityRuler

DEFAULT_PATTERNS_DIR = PROJECT_ROOT / "data" / "entities"
CONTEXTUAL_FILE = "vehicle_condition_contextual.jsonl"
# Words that say a bare number right before them is a count ("jumlahnya 12" is handled by forms).
_PRODUCT_LIKE = ("instrument_type", "product_type")


@dataclass(frozen=True)
class Entity:
    entity: str
    start: int
    end: int
    value: str
    text: str

    def as_rasa(self) -> dict[str, Any]:
        return {"entity": self.entity, "start": self.start, "end": self.end, "value": self.value}


def pattern_files(patterns_dir: Path) -> list[Path]:
    return sorted(Path(patterns_dir).glob("*.jsonl"))


def read_patterns(patterns_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """All pattern files of ``patterns_dir`` as {file name: [pattern, ...]}."""
    result: dict[str, list[dict[str, Any]]] = {}
    for path in pattern_files(patterns_dir):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        try:
            result[path.name] = [json.loads(line) for line in lines]
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: invalid JSON line: {exc}") from exc
    if not result:
        raise ValueError(f"no entity pattern files (*.jsonl) in {patterns_dir}")
    return result


def patterns_fingerprint(patterns_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in pattern_files(patterns_dir):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    return any(parsers.overlaps(span, other) for other in taken)


class EntityRecognizer:
    """Finds the project's entities in a text. Build once; ``extract`` is cheap."""

    def __init__(
        self, patterns: dict[str, list[dict[str, Any]]], gazetteer: Gazetteer | None = None
    ) -> None:
        import spacy
        from spacy.matcher import Matcher

        self.patterns = patterns
        self.gazetteer = gazetteer if gazetteer is not None else default_gazetteer()
        self.nlp = spacy.blank("id")
        ruler = cast(  # the "entity_ruler" factory builds an EntityRuler
            "EntityRuler",
            self.nlp.add_pipe(
                "entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": True}
            ),
        )
        ruler.add_patterns(
            [p for name, items in patterns.items() if name != CONTEXTUAL_FILE for p in items]
        )
        self._contextual = Matcher(self.nlp.vocab, validate=True)
        self._contextual_values: dict[int, str] = {}
        for index, item in enumerate(patterns.get(CONTEXTUAL_FILE, [])):
            key = f"ctx_{index}"
            pattern = item["pattern"]
            if isinstance(pattern, str):
                pattern = [{"LOWER": token.lower()} for token in pattern.split()]
            self._contextual.add(key, [pattern])
            self._contextual_values[self.nlp.vocab.strings[key]] = item["id"]

    @classmethod
    def from_dir(
        cls, patterns_dir: Path = DEFAULT_PATTERNS_DIR, gazetteer: Gazetteer | None = None
    ) -> EntityRecognizer:
        return cls(read_patterns(patterns_dir), gazetteer)

    def extract(self, text: str) -> list[Entity]:
        """Entities in ``text``, sorted by position, never overlapping."""
        if not text or not text.strip():
            return []
        found: list[Entity] = []
        taken: list[tuple[int, int]] = []

        def add(kind: str, start: int, end: int, value: str) -> None:
            if _overlaps((start, end), taken):
                return
            found.append(Entity(kind, start, end, value, text[start:end]))
            taken.append((start, end))

        # Structured values first: their digits must not become quantities or cities.
        for span in parsers.find_references(text):
            add("reference", span.start, span.end, span.value)
        for span in parsers.find_emails(text):
            add("email", span.start, span.end, span.value)
        for span in parsers.find_phones(text):
            add("phone", span.start, span.end, span.value)
        for span in parsers.find_amounts(text, require_marker=True):
            add("amount", span.start, span.end, span.value)

        doc = self.nlp(text)
        vocabulary: list[Entity] = []
        for ent in doc.ents:
            value = ent.ent_id_ or ent.text.lower()
            if not _overlaps((ent.start_char, ent.end_char), taken):
                vocabulary.append(Entity(ent.label_, ent.start_char, ent.end_char, value, ent.text))
        for entity in vocabulary:
            add(entity.entity, entity.start, entity.end, entity.value)
        for place in self.gazetteer.find(text):
            add("city", place.start, place.end, place.value)

        products = [e for e in vocabulary if e.entity == "product_type"]
        contextual = self._contextual(doc) if self._contextual_values else []
        for match_id, start, end in contextual:
            matched = doc[start:end]
            if any(
                self._adjacent(text, (matched.start_char, matched.end_char), (p.start, p.end))
                for p in products
            ):
                add(
                    "vehicle_condition",
                    matched.start_char,
                    matched.end_char,
                    self._contextual_values[match_id],
                )

        # A number is a quantity when it has a unit word or directly precedes an
        # instrument or vehicle mention ("12 pressure gauge", "2 mobil").
        heads = [e for e in vocabulary if e.entity in _PRODUCT_LIKE]
        for span in parsers.find_quantities(text):
            has_unit = (
                text[span.start : span.end].split()[-1].lower().strip(".,")
                in parsers.QUANTITY_UNITS
            )
            precedes = any(0 <= h.start - span.end <= 1 for h in heads)
            if has_unit or precedes:
                add("quantity", span.start, span.end, span.value)

        found.sort(key=lambda e: e.start)
        return found

    @staticmethod
    def _adjacent(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """``a`` and ``b`` are separated only by spaces (or 'yang'/'yg')."""
        left, right = (a, b) if a[0] < b[0] else (b, a)
        gap = text[left[1] : right[0]].strip().lower()
        return gap in ("", "yang", "yg")


_default: EntityRecognizer | None = None


def default_recognizer() -> EntityRecognizer:
    """A recognizer over ``data/entities`` (built on first use; for validators and tests)."""
    global _default
    if _default is None:
        _default = EntityRecognizer.from_dir(DEFAULT_PATTERNS_DIR)
    return _default


def extract_entities(text: str) -> list[Entity]:
    return default_recognizer().extract(text)
