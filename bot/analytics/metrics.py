"""Numbers computed from ``analytics_events`` (issue 17): what the supervisor charts show.

Why pure functions over rows plus one small SQL query: the definitions below are the
product (what "contained" means is a business decision), so they are plain Python a test
can check with exact numbers on a hand-made set of conversations; SQL only selects rows.

Definitions (per conversation = one hashed sender id; its day is the day of its first row,
UTC; its channel the first channel seen; its language the last ``language`` slot, else
``id``):

* messages: customer messages (``user`` rows);
* fallback turn: a customer message whose intent is a fallback intent, or that a fallback
  action answered before the next message; fallback rate = fallback turns / messages;
* contained: no handoff at all and the LAST turn was not a fallback turn;
  containment rate = contained / conversations;
* not helpful rate: conversations where the customer answered "not helpful" / conversations;
* handoff rate: conversations with a handoff (``action_handoff`` or a pause) /
  conversations; reasons: the ``handoff_reason`` code set last before the handoff;
* funnel per flow (form): started -> each question asked -> summary (the ``*_confirm``
  question) -> stored (a ``*submit*`` action after it); a run that was not stored was
  abandoned at the last question asked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from bot.crm.db import get_engine
from bot.crm.models import AnalyticsEvent

Row = Mapping[str, Any]
NOT_HELPFUL_INTENT = "not_helpful"
SUMMARY_SUFFIX = "_confirm"
DEFAULT_LANGUAGE = "id"


@dataclass
class FlowRun:
    flow: str
    questions: list[str] = field(default_factory=list)
    summary: bool = False
    stored: bool = False

    @property
    def abandoned_at(self) -> str | None:
        if self.stored:
            return None
        if self.summary:
            return "summary"
        return self.questions[-1] if self.questions else "start"


@dataclass
class ConversationFacts:
    conversation: str
    day: date
    channel: str
    language: str
    messages: int
    fallback_turns: int
    last_turn_fallback: bool
    not_helpful: bool
    handoff: bool
    handoff_reason: str | None
    runs: list[FlowRun]

    @property
    def contained(self) -> bool:
        return not self.handoff and not self.last_turn_fallback


@dataclass
class Funnel:
    flow: str
    started: int = 0
    questions: dict[str, int] = field(default_factory=dict)  # in the order they are asked
    summary: int = 0
    stored: int = 0
    abandoned_at: dict[str, int] = field(default_factory=dict)

    @property
    def most_abandoned_at(self) -> str | None:
        if not self.abandoned_at:
            return None
        return max(self.abandoned_at.items(), key=lambda item: item[1])[0]


@dataclass
class Report:
    conversations: int
    messages: int
    contained: int
    fallback_turns: int
    not_helpful: int
    handoffs: int
    handoff_reasons: dict[str, int]
    funnels: dict[str, Funnel]

    @staticmethod
    def _rate(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    @property
    def containment_rate(self) -> float:
        return self._rate(self.contained, self.conversations)

    @property
    def fallback_rate(self) -> float:
        return self._rate(self.fallback_turns, self.messages)

    @property
    def not_helpful_rate(self) -> float:
        return self._rate(self.not_helpful, self.conversations)

    @property
    def handoff_rate(self) -> float:
        return self._rate(self.handoffs, self.conversations)


def _is_submit(action: str | None) -> bool:
    return bool(action) and "submit" in str(action)


def conversation_facts(conversation: str, rows: Sequence[Row]) -> ConversationFacts:
    """What one conversation's rows (in time order) say about it."""
    channel = next((r["channel"] for r in rows if r.get("channel")), None) or "unknown"
    languages = [r["language"] for r in rows if r.get("kind") == "language" and r.get("language")]
    messages = fallback_turns = 0
    turn_fallback = last_turn_fallback = False
    not_helpful = handoff = False
    reason: str | None = None
    handoff_reason: str | None = None
    runs: list[FlowRun] = []
    current: FlowRun | None = None
    last_run: FlowRun | None = None

    def close_turn() -> None:
        nonlocal fallback_turns, last_turn_fallback
        if messages:
            fallback_turns += int(turn_fallback)
            last_turn_fallback = turn_fallback

    for row in rows:
        kind = row.get("kind")
        if kind == "user":
            close_turn()
            messages += 1
            turn_fallback = bool(row.get("fallback"))
            not_helpful = not_helpful or row.get("intent") == NOT_HELPFUL_INTENT
        elif row.get("fallback"):
            turn_fallback = True
        if row.get("handoff_reason"):
            reason = str(row["handoff_reason"])
        if row.get("handoff") and not handoff:
            handoff = True
            handoff_reason = reason or "unknown"
        if kind == "form":
            flow = row.get("form")
            if flow and (current is None or current.flow != flow):
                current = FlowRun(str(flow))
                runs.append(current)
                last_run = current
            elif not flow:
                current = None
        elif kind == "question" and current is not None and row.get("slot"):
            slot = str(row["slot"])
            if slot.endswith(SUMMARY_SUFFIX):
                current.summary = True
            elif slot not in current.questions:
                current.questions.append(slot)
        elif kind == "action" and _is_submit(row.get("action")):
            target = current or last_run
            if target is not None:
                target.stored = True
    close_turn()
    first = min(row["occurred_at"] for row in rows)
    return ConversationFacts(
        conversation=conversation,
        day=first.date(),
        channel=str(channel),
        language=languages[-1] if languages else DEFAULT_LANGUAGE,
        messages=messages,
        fallback_turns=fallback_turns,
        last_turn_fallback=last_turn_fallback,
        not_helpful=not_helpful,
        handoff=handoff,
        handoff_reason=handoff_reason,
        runs=runs,
    )


def conversations_from_rows(rows: Iterable[Row]) -> list[ConversationFacts]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(str(row["conversation"]), []).append(row)
    return [
        conversation_facts(key, sorted(items, key=lambda r: (r["occurred_at"], r.get("id") or 0)))
        for key, items in grouped.items()
    ]


def funnels(conversations: Iterable[ConversationFacts]) -> dict[str, Funnel]:
    result: dict[str, Funnel] = {}
    positions: dict[str, dict[str, list[int]]] = {}
    for facts in conversations:
        for run in facts.runs:
            funnel = result.setdefault(run.flow, Funnel(run.flow))
            funnel.started += 1
            for index, question in enumerate(run.questions):
                funnel.questions[question] = funnel.questions.get(question, 0) + 1
                positions.setdefault(run.flow, {}).setdefault(question, []).append(index)
            funnel.summary += int(run.summary)
            funnel.stored += int(run.stored)
            where = run.abandoned_at
            if where is not None:
                funnel.abandoned_at[where] = funnel.abandoned_at.get(where, 0) + 1
    for flow, funnel in result.items():
        # Questions in the order customers meet them (mean position in the runs).
        order = positions.get(flow, {})
        funnel.questions = dict(
            sorted(
                funnel.questions.items(),
                key=lambda item: (sum(order[item[0]]) / len(order[item[0]]), item[0]),
            )
        )
    return result


def report(conversations: Sequence[ConversationFacts]) -> Report:
    reasons = Counter(c.handoff_reason for c in conversations if c.handoff and c.handoff_reason)
    return Report(
        conversations=len(conversations),
        messages=sum(c.messages for c in conversations),
        contained=sum(c.contained for c in conversations),
        fallback_turns=sum(c.fallback_turns for c in conversations),
        not_helpful=sum(c.not_helpful for c in conversations),
        handoffs=sum(c.handoff for c in conversations),
        handoff_reasons=dict(reasons.most_common()),
        funnels=funnels(conversations),
    )


GROUPINGS: dict[str, Callable[[ConversationFacts], Any]] = {
    "day": lambda c: c.day,
    "channel": lambda c: c.channel,
    "language": lambda c: c.language,
}


def report_by(conversations: Sequence[ConversationFacts], by: str) -> dict[Any, Report]:
    """One report per day, channel or language (sorted by key)."""
    key = GROUPINGS[by]
    groups: dict[Any, list[ConversationFacts]] = {}
    for facts in conversations:
        groups.setdefault(key(facts), []).append(facts)
    return {name: report(groups[name]) for name in sorted(groups)}


# --- SQL ------------------------------------------------------------------------------------------
def load_rows(since: datetime, until: datetime, url: str | None = None) -> list[dict[str, Any]]:
    """Every row of the conversations that started in [since, until)."""
    table = AnalyticsEvent.__table__
    started = (
        sa.select(table.c.conversation)
        .group_by(table.c.conversation)
        .having(sa.func.min(table.c.occurred_at) >= since)
        .having(sa.func.min(table.c.occurred_at) < until)
    )
    query = (
        sa.select(table)
        .where(table.c.conversation.in_(started))
        .order_by(table.c.conversation, table.c.occurred_at, table.c.id)
    )
    with get_engine(url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def compute(
    since: datetime, until: datetime, by: str | None = None, url: str | None = None
) -> Report | dict[Any, Report]:
    """The report for conversations started in [since, until), optionally grouped."""
    conversations = conversations_from_rows(load_rows(since, until, url))
    return report(conversations) if by is None else report_by(conversations, by)
