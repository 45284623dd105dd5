"""Everything a case's detail screen or API answer shows, read in one place.

Why a separate read model: the desk page and ``GET /desk/api/cases/<reference>`` must show
the same customer snapshot, instrument lines, linked conversations and friendly labels; the
web layer then only renders. Attributes captured with the request (e.g. ``service_location``)
get labels here too, so no internal code reaches a staff screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bot.cases.auth import require_staff
from bot.cases.errors import CaseNotFound
from bot.cases.labels import SEVERITIES, channel_label, lang, moment_text
from bot.cases.pipelines import pick
from bot.cases.transition import item_lines
from bot.cases.types import Actor, CaseRecord, case_record
from bot.crm.db import session_scope
from bot.crm.models import Agent, Case, Handoff
from bot.crm.references import normalize_reference
from bot.profile import BusinessProfile, get_profile

ATTRIBUTE_LABELS: dict[str, dict[str, str]] = {
    "service_location": {"id": "Lokasi layanan", "en": "Service location"},
    "service_type": {"id": "Jenis layanan", "en": "Service type"},
}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "lab": {"id": "Di laboratorium", "en": "In the lab"},
    "onsite": {"id": "Di lokasi pelanggan", "en": "On site"},
    "kalibrasi": {"id": "Kalibrasi", "en": "Calibration"},
}
HANDOFF_STATUS: dict[str, dict[str, str]] = {
    "waiting": {"id": "Menunggu", "en": "Waiting"},
    "active": {"id": "Sedang dilayani", "en": "In progress"},
    "callback": {"id": "Minta dihubungi", "en": "Callback"},
    "closed": {"id": "Selesai", "en": "Closed"},
}


@dataclass(frozen=True)
class LinkedConversation:
    handoff_id: int
    reference: str
    channel_label: str
    status_label: str
    at_text: str


@dataclass(frozen=True)
class Attribute:
    label: str
    value: str


@dataclass(frozen=True)
class CaseDetail:
    case: CaseRecord
    type_label: str
    stage_label: str
    assignee_name: str | None
    channel_label: str
    severity_label: str | None
    created_text: str
    stage_changed_text: str
    due_text: str | None
    items: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    conversations: tuple[LinkedConversation, ...]


def case_detail(
    reference: str,
    *,
    actor: Actor,
    language: str = "id",
    url: str | None = None,
    profile: BusinessProfile | None = None,
    now: datetime | None = None,
) -> CaseDetail:
    """The case with labels, item lines and linked conversations; CaseNotFound (404)."""
    require_staff(actor)
    profile = profile or get_profile()
    language = lang(language)
    with session_scope(url, readonly=True) as session:
        found = session.execute(
            sa.select(Case, Agent.display_name)
            .outerjoin(Agent, Agent.id == Case.assignee_id)
            .where(Case.reference == normalize_reference(reference))
        ).first()
        if found is None:
            raise CaseNotFound(
                f"Kasus {reference} tidak ditemukan.", f"Case {reference} not found."
            )
        row, assignee_name = found
        record = case_record(row, now)
        items = tuple(line.label for line in item_lines(session, row, profile))
        conditions = [Handoff.id == row.handoff_id] if row.handoff_id is not None else []
        if row.customer_id is not None:
            conditions.append(Handoff.customer_id == row.customer_id)
        handoffs = (
            session.execute(
                sa.select(Handoff).where(sa.or_(*conditions)).order_by(Handoff.id.desc()).limit(10)
            )
            .scalars()
            .all()
            if conditions
            else []
        )
        conversations = tuple(
            LinkedConversation(
                h.id,
                h.reference,
                channel_label(h.channel, language),
                pick(HANDOFF_STATUS.get(h.status, {"id": h.status}), language),
                moment_text(h.queued_at, profile, language),
            )
            for h in handoffs
        )
    pipeline = profile.pipeline(record.type)
    attributes = tuple(
        Attribute(
            pick(ATTRIBUTE_LABELS[name], language),
            pick(VALUE_LABELS.get(str(value), {"id": str(value)}), language),
        )
        for name, value in record.fields.items()
        if name in ATTRIBUTE_LABELS and value
    )
    return CaseDetail(
        case=record,
        type_label=pick(pipeline.label, language),
        stage_label=pipeline.stage_label(record.stage, language),
        assignee_name=assignee_name,
        channel_label=channel_label(record.channel, language),
        severity_label=_severity(record.severity, language),
        created_text=moment_text(record.created_at, profile, language),
        stage_changed_text=moment_text(record.stage_changed_at, profile, language),
        due_text=moment_text(record.due_at, profile, language) if record.due_at else None,
        items=items,
        attributes=attributes,
        conversations=conversations,
    )


def _severity(severity: str | None, language: str) -> str | None:
    if severity is None or severity not in SEVERITIES:
        return None
    return pick(SEVERITIES[severity], language)
