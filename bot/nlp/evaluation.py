"""Held-out NLU evaluation: intent macro-F1, FAQ topic accuracy, out-of-scope safety, language.

Used by tests/nlu/test_heldout.py and runnable by hand:

    python -m bot.nlp.evaluation MODEL.tar.gz [tests/nlu/heldout.yml]

``rasa test nlu --nlu tests/nlu/heldout.yml --model MODEL`` gives Rasa's usual reports and
confusion matrix; this module adds the two product gates that report does not compute:
how often out-of-scope text is taken for a business intent, and per-language figures.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import PROJECT_ROOT

HELDOUT_PATH = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
# Predictions that do not start a business action for out-of-scope text.
SAFE_FOR_OUT_OF_SCOPE = frozenset(
    {"out_of_scope", "nlu_fallback", "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge"}
)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # base intent ("faq" for "faq/office_hours")
    response_key: str | None  # "faq/office_hours" or None
    language: str | None
    entities: tuple[tuple[str, str], ...]  # (entity, annotated text)


@dataclass(frozen=True)
class Prediction:
    example: Example
    intent: str
    confidence: float
    response_key: str | None
    language: str | None
    entities: tuple[tuple[str, str], ...]


@dataclass
class Report:
    predictions: list[Prediction]
    macro_f1: float
    macro_f1_strict: float
    accuracy: float
    oos_total: int
    oos_business: int
    faq_total: int
    faq_topic_correct: int
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    language_detection: dict[str, dict[str, int]] = field(default_factory=dict)
    entity_recall: float = 0.0

    @property
    def oos_business_rate(self) -> float:
        return self.oos_business / self.oos_total if self.oos_total else 0.0

    @property
    def faq_topic_accuracy(self) -> float:
        return self.faq_topic_correct / self.faq_total if self.faq_total else 0.0

    def errors(self) -> list[str]:
        lines = []
        for p in self.predictions:
            ok_intent = _comparable(p.example.intent, p.intent) == p.example.intent
            ok_topic = p.example.response_key is None or p.response_key == p.example.response_key
            if not (ok_intent and ok_topic):
                lines.append(
                    f"{p.example.text!r}: expected {p.example.response_key or p.example.intent}, "
                    f"got {p.response_key if p.intent == 'faq' else p.intent} ({p.confidence:.2f})"
                )
        return lines

    def summary(self) -> dict[str, Any]:
        return {
            "examples": len(self.predictions),
            "intent_macro_f1": round(self.macro_f1, 4),
            "intent_macro_f1_strict": round(self.macro_f1_strict, 4),
            "intent_accuracy": round(self.accuracy, 4),
            "faq_topic_accuracy": round(self.faq_topic_accuracy, 4),
            "oos_examples": self.oos_total,
            "oos_taken_as_business_intent": self.oos_business,
            "oos_business_rate": round(self.oos_business_rate, 4),
            "per_language": self.per_language,
            "language_detection": self.language_detection,
            "entity_recall": round(self.entity_recall, 4),
        }


def load_examples(path: Path = HELDOUT_PATH) -> list[Example]:
    """Read a Rasa NLU YAML file (with optional intent-level ``metadata.language``)."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        metadata = message.get("metadata") or {}
        language = (metadata.get("intent") or {}).get("language")
        text = message.get("text")
        entities = tuple(
            (e["entity"], text[e["start"] : e["end"]]) for e in message.get("entities") or []
        )
        examples.append(
            Example(
                text=text,
                intent=message.get("intent"),
                response_key=message.get("intent_response_key")
                if "/" in (message.get("intent_response_key") or "")
                else None,
                language=language,
                entities=entities,
            )
        )
    return examples


def _comparable(expected: str, predicted: str) -> str:
    # Falling back on out-of-scope text is the right outcome, not an error.
    if expected == "out_of_scope" and predicted == "nlu_fallback":
        return "out_of_scope"
    return predicted


def macro_f1(pairs: Sequence[tuple[str, str]], strict: bool = False) -> float:
    """Macro-averaged F1 over the intents of the test set (sklearn's ``labels=gold``).

    A wrong prediction, ``nlu_fallback`` included, still costs the gold intent its recall
    and the predicted intent its precision. ``strict`` also averages in labels that are
    only ever predicted (so ``nlu_fallback`` enters as a class with F1 0).
    """
    labels = {t for t, _ in pairs} | ({p for _, p in pairs} if strict else set())
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for truth, pred in pairs:
        if truth == pred:
            tp[truth] += 1
        else:
            fp[pred] += 1
            fn[truth] += 1
    scores = []
    for label in labels:
        precision = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        recall = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


async def _predict(model_path: Path, examples: Sequence[Example]) -> list[Prediction]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    predictions = []
    for example in examples:
        parsed = await agent.parse_message(example.text)
        selector = ((parsed.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        entities = parsed.get("entities") or []
        predictions.append(
            Prediction(
                example=example,
                intent=parsed["intent"]["name"],
                confidence=float(parsed["intent"].get("confidence") or 0.0),
                response_key=selector.get("intent_response_key"),
                language=next((e["value"] for e in entities if e["entity"] == "language"), None),
                entities=tuple(
                    (e["entity"], example.text[e["start"] : e["end"]])
                    for e in entities
                    if e["entity"] != "language"
                ),
            )
        )
    return predictions


def build_report(predictions: list[Prediction]) -> Report:
    pairs = [(p.example.intent, _comparable(p.example.intent, p.intent)) for p in predictions]
    correct = sum(1 for t, p in pairs if t == p)
    oos = [p for p in predictions if p.example.intent == "out_of_scope"]
    faq = [p for p in predictions if p.example.response_key]
    faq_ok = sum(1 for p in faq if p.intent == "faq" and p.response_key == p.example.response_key)

    per_language: dict[str, dict[str, float]] = {}
    detection: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_lang: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        lang = p.example.language or "unknown"
        by_lang[lang].append(p)
        detection[lang][p.language or "none"] += 1
    for lang, items in by_lang.items():
        lang_pairs = [(p.example.intent, _comparable(p.example.intent, p.intent)) for p in items]
        per_language[lang] = {
            "examples": len(items),
            "macro_f1": round(macro_f1(lang_pairs), 4),
            "accuracy": round(sum(1 for t, q in lang_pairs if t == q) / len(items), 4),
        }

    annotated = [(p, ent) for p in predictions for ent in p.example.entities]
    found = sum(1 for p, ent in annotated if ent in p.entities)
    return Report(
        predictions=predictions,
        macro_f1=macro_f1(pairs),
        macro_f1_strict=macro_f1(pairs, strict=True),
        accuracy=correct / len(pairs) if pairs else 0.0,
        oos_total=len(oos),
        oos_business=sum(1 for p in oos if p.intent not in SAFE_FOR_OUT_OF_SCOPE),
        faq_total=len(faq),
        faq_topic_correct=faq_ok,
        per_language=per_language,
        language_detection={k: dict(v) for k, v in detection.items()},
        entity_recall=found / len(annotated) if annotated else 0.0,
    )


def _quiet_rasa() -> None:
    """Rasa logs every parse at debug level through structlog; keep reports readable."""
    import logging

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)


def evaluate(model_path: Path, heldout_path: Path = HELDOUT_PATH) -> Report:
    _quiet_rasa()
    examples = load_examples(heldout_path)
    predictions = asyncio.run(_predict(model_path, examples))
    return build_report(predictions)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not args:
        print("usage: python -m bot.nlp.evaluation MODEL.tar.gz [HELDOUT.yml]", file=sys.stderr)
        return 2
    report = evaluate(Path(args[0]), Path(args[1]) if len(args) > 1 else HELDOUT_PATH)
    print(json.dumps(report.summary(), indent=2))
    for line in report.errors():
        print("MISS", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
