"""What each notification says: ``data/notification_texts.yml``, per kind and language.

Why a data file: the wording is the business's (and changes without a code release), and a
new notification kind should need a text entry, not a new function. Rendering never fails
on a missing placeholder (the placeholder stays visible) so one bad payload cannot stop
the worker; an unknown kind is a permanent error for that notification only.
"""

from __future__ import annotations

import html
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import PROJECT_ROOT

DEFAULT_TEXTS_PATH = PROJECT_ROOT / "data" / "notification_texts.yml"


PURPOSES = ("transactional", "reminders")


class UnknownKind(LookupError):
    pass


@dataclass(frozen=True)
class KindTexts:
    kind: str
    subject: Mapping[str, str]
    text: Mapping[str, str]
    defaults: Mapping[str, str]
    ttl_minutes: int | None
    resend_when_uncertain: bool
    # transactional (default: about the customer's own request) or reminders (sent only
    # with the customer's consent; bot/notify/consent.py)
    purpose: str = "transactional"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str

    @property
    def html(self) -> str:
        paragraphs = "".join(
            f"<p>{html.escape(line)}</p>" for line in self.text.split("\n") if line.strip()
        )
        return (
            f'<!doctype html><html><body style="font-family:sans-serif">{paragraphs}</body></html>'
        )


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _pick(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get("id") or next(iter(texts.values()), "")


class TextRegistry:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.stage_labels: dict[str, dict[str, str]] = {
            str(k): {str(lang): str(t) for lang, t in v.items()}
            for k, v in (raw.get("stage_labels") or {}).items()
        }
        self.kinds: dict[str, KindTexts] = {}
        for kind, item in raw.items():
            if kind == "stage_labels":
                continue
            if not isinstance(item, Mapping) or not isinstance(item.get("text"), Mapping):
                raise ValueError(f"notification texts: '{kind}.text' must map id/en to texts")
            self.kinds[str(kind)] = KindTexts(
                kind=str(kind),
                subject={str(k): str(v) for k, v in (item.get("subject") or {}).items()},
                text={str(k): str(v) for k, v in item["text"].items()},
                defaults={str(k): str(v) for k, v in (item.get("defaults") or {}).items()},
                ttl_minutes=int(item["ttl_minutes"]) if item.get("ttl_minutes") else None,
                resend_when_uncertain=bool(item.get("resend_when_uncertain", False)),
                purpose=str(item.get("purpose") or "transactional"),
            )
            if self.kinds[str(kind)].purpose not in PURPOSES:
                raise ValueError(f"notification texts: '{kind}.purpose' must be one of {PURPOSES}")

    def kind(self, kind: str) -> KindTexts:
        try:
            return self.kinds[kind]
        except KeyError:
            raise UnknownKind(f"no text for notification kind {kind!r}") from None

    def values(
        self,
        kind: str,
        language: str,
        payload: Mapping[str, Any],
        reference: str | None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Placeholder values: defaults < profile values < payload < derived (stage label)."""
        values = _Keep(self.kind(kind).defaults)
        values.update(extra or {})
        values.update({str(k): str(v) for k, v in payload.items() if v is not None})
        if reference:
            values["reference"] = reference
        stage = payload.get("stage")
        if "stage_label" not in payload and stage is not None:
            labels = self.stage_labels.get(str(stage))
            values["stage_label"] = _pick(labels, language) if labels else str(stage)
        return values

    def render(
        self,
        kind: str,
        language: str,
        payload: Mapping[str, Any],
        reference: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Rendered:
        texts = self.kind(kind)
        values = self.values(kind, language, payload, reference, extra)
        formatter = string.Formatter()
        subject = formatter.vformat(_pick(texts.subject, language), (), values).strip()
        if reference and reference not in subject:
            subject = f"[{reference}] {subject}".strip()
        text = formatter.vformat(_pick(texts.text, language), (), values).strip()
        return Rendered(subject=subject or (reference or ""), text=text)


_cache: dict[Path, tuple[float, TextRegistry]] = {}
_lock = threading.Lock()


def get_texts(path: Path | None = None) -> TextRegistry:
    """The registry from ``path`` (default data/notification_texts.yml), re-read when edited."""
    path = Path(path or DEFAULT_TEXTS_PATH)
    mtime = path.stat().st_mtime
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        with open(path, encoding="utf-8") as handle:
            registry = TextRegistry(yaml.safe_load(handle) or {})
        _cache[path] = (mtime, registry)
        return registry
