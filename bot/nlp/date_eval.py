"""Score date parsing on a labelled phrase set: hand-written rules vs dateparser vs shipped.

Why: the issue asked to prefer a maintained library (``dateparser`` has Indonesian) over
growing hand-written rules, where it is better. This measures both on the same phrases,
per phrase class, so :func:`bot.nlp.parsers.parse_date` can use the better one per class
(the figures are in docs/nlu.md):

    python -m bot.nlp.date_eval [tests/nlp/date_phrases.yml]

"rules" is ``parse_date`` without its dateparser fallback; "dateparser" is
``dateparser.parse`` with the phrase's language, relative to the same fixed day (12:00
in Asia/Jakarta), future dates preferred, day-first; "shipped" is ``parse_date`` itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

from bot import PROJECT_ROOT
from bot.nlp import parsers

PHRASES_PATH = PROJECT_ROOT / "tests" / "nlp" / "date_phrases.yml"


@dataclass(frozen=True)
class Phrase:
    cls: str
    language: str
    text: str
    expected: date


def load_phrases(path: Path = PHRASES_PATH) -> tuple[date, list[Phrase]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = data["today"]
    phrases = [
        Phrase(cls, str(lang), str(text), expected)
        for cls, rows in data["classes"].items()
        for lang, text, expected in rows
    ]
    return today, phrases


def rules(text: str, language: str, today: date) -> date | None:
    normalised = parsers.normalise_date_text(text)
    for parser in parsers.DATE_RULES:
        result = parser(normalised, today)
        if result:
            return result
    return None


def with_dateparser(text: str, language: str, today: date) -> date | None:
    import dateparser

    result = dateparser.parse(
        text,
        languages=[language],
        settings={
            "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12, 0),
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
            "TIMEZONE": "Asia/Jakarta",
        },
    )
    return result.date() if result else None


def shipped(text: str, language: str, today: date) -> date | None:
    return parsers.parse_date(text, language, today)


PARSERS: dict[str, Callable[[str, str, date], date | None]] = {
    "rules": rules,
    "dateparser": with_dateparser,
    "shipped": shipped,
}


def score(path: Path = PHRASES_PATH) -> dict[str, dict[str, tuple[int, int]]]:
    """{parser: {class: (correct, total)}}, with an "all" class."""
    today, phrases = load_phrases(path)
    result: dict[str, dict[str, tuple[int, int]]] = {}
    for name, parse in PARSERS.items():
        per_class: dict[str, tuple[int, int]] = {}
        for phrase in phrases:
            ok = parse(phrase.text, phrase.language, today) == phrase.expected
            for key in (phrase.cls, "all"):
                correct, total = per_class.get(key, (0, 0))
                per_class[key] = (correct + ok, total + 1)
        result[name] = per_class
    return result


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else PHRASES_PATH
    scores = score(path)
    classes = [c for c in scores["shipped"] if c != "all"] + ["all"]
    print(f"{'class':24} " + " ".join(f"{name:>12}" for name in scores))
    for cls in classes:
        cells = []
        for name in scores:
            correct, total = scores[name][cls]
            cells.append(f"{correct:>3}/{total:<3} {correct / total:4.0%}")
        print(f"{cls:24} " + " ".join(f"{c:>12}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
