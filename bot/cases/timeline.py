"""A case's timeline: every stage change, note, assignment, escalation and notification, with
who and when (WIB), in friendly words.

Why labels are resolved here: the desk page and the JSON API show the same history, and a
stored stage id or field name must never reach a staff screen raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from bot.cases.auth import require_staff
from bot.cases.errors import CaseNotFound
from bot.cases.labels import lang, long_date, moment_text
from bot.cases.pipelines import Pipeline, pick
from bot.cases.types import Actor
from bot.crm.db import session_scope
from bot.crm.models import Agent, Case, CaseEvent, Notification
from bot.crm.references import normalize_reference
from bot.profile import BusinessProfile, get_profile


@dataclass(frozen=True)
class FieldValue:
    name: str
    label: str
    value: str


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    kind: str  # created | stage_changed | note | assigned | escalated | notification | message
    at: datetime
    at_text: str
    actor_id: int | None
    actor_name: str | None
    from_stage: str | None
    from_label: str | None
    to_stage: str | None
    to_label: str | None
    note: str | None = field(repr=False)
    assignee_name: str | None
    fields: tuple[FieldValue, ...]
    notification: dict[str, Any] | None  # channel, status, sent_at of the customer message


def timeline(
    reference: str,
    *,
    actor: Actor,
    language: str = "id",
    url: str | None = None,
    profile: BusinessProfile | None = None,
) -> list[TimelineEntry]:
    """Oldest first."""
    require_staff(actor)
    profile = profile or get_profile()
    language = lang(language)
    by, to = aliased(Agent), aliased(Agent)
    with session_scope(url, readonly=True) as session:
        case = session.execute(
            sa.select(Case.id, Case.type).where(Case.reference == normalize_reference(reference))
        ).first()
        if case is None:
            raise CaseNotFound(
                f"Kasus {reference} tidak ditemukan.", f"Case {reference} not found."
            )
        rows = session.execute(
            sa.select(
                CaseEvent,
                by.display_name,
                to.display_name,
                Notification.channel,
                Notification.status,
                Notification.sent_at,
            )
            .outerjoin(by, by.id == CaseEvent.actor_id)
            .outerjoin(to, to.id == CaseEvent.assignee_id)
            .outerjoin(Notification, Notification.id == CaseEvent.notification_id)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.id)
        ).all()
        pipeline = profile.pipeline(case.type)
        return [
            TimelineEntry(
                id=event.id,
                kind=event.kind,
                at=event.at,
                at_text=moment_text(event.at, profile, language),
                actor_id=event.actor_id,
                actor_name=actor_name,
                from_stage=event.from_stage,
                from_label=(
                    pipeline.stage_label(event.from_stage, language) if event.from_stage else None
                ),
                to_stage=event.to_stage,
                to_label=pipeline.stage_label(event.to_stage, language) if event.to_stage else None,
                note=event.note,
                assignee_name=assignee_name,
                fields=field_values(pipeline, event.to_stage, event.fields or {}, language),
                notification=(
                    {"channel": channel, "status": status, "sent_at": sent_at}
                    if channel is not None
                    else None
                ),
            )
            for event, actor_name, assignee_name, channel, status, sent_at in rows
        ]


def field_values(
    pipeline: Pipeline, stage_id: str | None, values: dict[str, Any], language: str
) -> tuple[FieldValue, ...]:
    """Stored stage fields as (label, formatted value): Rp amounts, long dates, choice labels."""
    from bot.cases.labels import money

    stage = pipeline.stage(stage_id) if stage_id else None
    result = []
    for name, value in values.items():
        definition = stage.field_named(name) if stage else None
        derived = next((d for d in stage.derived if d.name == name), None) if stage else None
        label = (
            pick(definition.label, language)
            if definition
            else pick(derived.label, language)
            if derived
            else name
        )
        kind = definition.type if definition else "date" if derived else "text"
        result.append(FieldValue(name, label, _format(kind, value, definition, language, money)))
    return tuple(result)


def _format(kind: str, value: Any, definition: Any, language: str, money: Any) -> str:
    from datetime import date

    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values())
    if kind == "money":
        return str(money(value, language))
    if kind == "date":
        try:
            return long_date(date.fromisoformat(str(value)), language)
        except ValueError:
            return str(value)
    if kind == "choice" and definition is not None:
        choice = next((c for c in definition.choices if c.id == value), None)
        return pick(choice.label, language) if choice else str(value)
    return str(value)
