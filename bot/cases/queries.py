"""Case lists: filters, text search, sorting, pagination, counts per stage and CSV export.

Why built for 100,000 cases: every filter maps to an indexed column of ``cases`` (type,
stage, assignee, open/due, channel, created_at, escalated), the text search matches one
lower-cased ``search_text`` column (trigram GIN index on PostgreSQL), and pages are offset +
LIMIT with a separate COUNT. ``bench/cases_query.py`` measures it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.auth import require_staff
from bot.cases.contact import search_terms
from bot.cases.labels import SEVERITIES, channel_label, lang, local_stamp, money
from bot.cases.pipelines import CASE_TYPES, pick
from bot.cases.types import Actor, CaseRecord, case_record
from bot.crm.db import session_scope
from bot.crm.models import Agent, Case
from bot.crm.sqltypes import utcnow
from bot.profile import BusinessProfile, get_profile

MAX_PAGE = 200
MAX_EXPORT_ROWS = 100_000
SORTS = ("created", "-created", "due", "-due", "stage_changed", "-stage_changed", "reference")


@dataclass(frozen=True)
class CaseFilter:
    type: str | None = None
    stages: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    mine: bool = False
    overdue: bool = False
    open: bool | None = None  # True: open only, False: finished only
    escalated: bool | None = None
    channel: str | None = None
    created_from: date | None = None  # inclusive, business-local dates
    created_to: date | None = None  # inclusive
    q: str | None = None


@dataclass(frozen=True)
class CaseListItem:
    case: CaseRecord
    type_label: str
    stage_label: str
    assignee_name: str | None
    channel_label: str


@dataclass(frozen=True)
class CasePage:
    items: tuple[CaseListItem, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class StageCount:
    type: str
    stage: str
    label: str
    count: int
    overdue: int


def _conditions(
    flt: CaseFilter, actor: Actor, profile: BusinessProfile, now: datetime
) -> list[Any]:
    where: list[Any] = []
    if flt.type:
        if flt.type not in CASE_TYPES:
            raise ValueError(f"unknown case type {flt.type!r}")
        where.append(Case.type == flt.type)
    if flt.stages:
        where.append(Case.stage.in_(flt.stages))
    if flt.mine:
        where.append(Case.assignee_id == actor.id)
    elif flt.unassigned:
        where.append(Case.assignee_id.is_(None))
    elif flt.assignee_id is not None:
        where.append(Case.assignee_id == flt.assignee_id)
    if flt.overdue:
        where += [Case.is_open.is_(True), Case.due_at < now]
    elif flt.open is not None:
        where.append(Case.is_open.is_(flt.open))
    if flt.escalated is not None:
        where.append(Case.escalated.is_(flt.escalated))
    if flt.channel:
        where.append(Case.channel == flt.channel)
    tz = profile.timezone
    if flt.created_from:
        where.append(Case.created_at >= datetime.combine(flt.created_from, time.min, tzinfo=tz))
    if flt.created_to:
        end = datetime.combine(flt.created_to + timedelta(days=1), time.min, tzinfo=tz)
        where.append(Case.created_at < end)
    for term in search_terms(flt.q or ""):
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(Case.search_text.like(f"%{escaped}%", escape="\\"))
    return where


def _order(sort: str) -> list[Any]:
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    column = {
        "created": Case.created_at,
        "due": Case.due_at,
        "stage_changed": Case.stage_changed_at,
        "reference": Case.reference,
    }[sort.lstrip("-")]
    # NULLS LAST only where a column can be NULL (due_at): on NOT NULL columns it would stop
    # PostgreSQL from reading the (created_at, id) index backwards and make it sort 100k rows.
    nullable = sort.lstrip("-") == "due"
    if sort.startswith("-"):
        first = column.desc().nulls_last() if nullable else column.desc()
        return [first, Case.id.desc()]
    return [column.asc().nulls_last() if nullable else column.asc(), Case.id.asc()]


def list_cases(
    flt: CaseFilter,
    *,
    actor: Actor,
    sort: str = "-created",
    limit: int = 50,
    offset: int = 0,
    language: str = "id",
    url: str | None = None,
    profile: BusinessProfile | None = None,
    now: datetime | None = None,
) -> CasePage:
    """One page of cases matching ``flt`` plus the total count."""
    require_staff(actor)
    profile = profile or get_profile()
    now = now or utcnow()
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    where = _conditions(flt, actor, profile, now)
    with session_scope(url, readonly=True) as session:
        total = session.execute(
            sa.select(sa.func.count()).select_from(Case).where(*where)
        ).scalar_one()
        rows = session.execute(
            sa.select(Case, Agent.display_name)
            .outerjoin(Agent, Agent.id == Case.assignee_id)
            .where(*where)
            .order_by(*_order(sort))
            .limit(limit)
            .offset(offset)
        ).all()
        items = tuple(_item(row, name, profile, language, now) for row, name in rows)
    return CasePage(items, int(total), limit, offset)


def _item(
    row: Case, name: str | None, profile: BusinessProfile, language: str, now: datetime
) -> CaseListItem:
    pipeline = profile.pipeline(row.type)
    return CaseListItem(
        case=case_record(row, now),
        type_label=pick(pipeline.label, lang(language)),
        stage_label=pipeline.stage_label(row.stage, lang(language)),
        assignee_name=name,
        channel_label=channel_label(row.channel, language),
    )


def stage_counts(
    flt: CaseFilter,
    *,
    actor: Actor,
    language: str = "id",
    url: str | None = None,
    profile: BusinessProfile | None = None,
    now: datetime | None = None,
) -> list[StageCount]:
    """Cases per (type, stage) for the filter without its stage choice, in pipeline order."""
    require_staff(actor)
    profile = profile or get_profile()
    now = now or utcnow()
    where = _conditions(replace(flt, stages=()), actor, profile, now)
    late: Any = sa.case((sa.and_(Case.is_open.is_(True), Case.due_at < now), 1), else_=0)
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(Case.type, Case.stage, sa.func.count(), sa.func.sum(late))
            .where(*where)
            .group_by(Case.type, Case.stage)
        ).all()
    found = {(t, s): (int(c), int(o or 0)) for t, s, c, o in rows}
    result = []
    types = [flt.type] if flt.type else list(CASE_TYPES)
    for case_type in types:
        pipeline = profile.pipeline(case_type)
        for stage_id in pipeline.stages:
            count, overdue = found.pop((case_type, stage_id), (0, 0))
            label = pipeline.stage_label(stage_id, lang(language))
            result.append(StageCount(case_type, stage_id, label, count, overdue))
    for (case_type, stage_id), (count, overdue) in sorted(found.items()):
        result.append(StageCount(case_type, stage_id, stage_id, count, overdue))  # dropped stage
    return result


_CSV_HEADERS = {
    "id": (
        "Nomor referensi",
        "Jenis",
        "Tahap",
        "Perusahaan",
        "Nama kontak",
        "Telepon",
        "Email",
        "Kanal",
        "Petugas",
        "Dibuat ({tz})",
        "Masuk tahap ({tz})",
        "Batas waktu ({tz})",
        "Terlambat",
        "Eskalasi",
        "Urgensi",
        "Nilai",
    ),
    "en": (
        "Reference",
        "Type",
        "Stage",
        "Company",
        "Contact name",
        "Phone",
        "E-mail",
        "Channel",
        "Assignee",
        "Created ({tz})",
        "Stage since ({tz})",
        "Due ({tz})",
        "Overdue",
        "Escalated",
        "Severity",
        "Amount",
    ),
}
_YES = {"id": ("Ya", ""), "en": ("Yes", "")}


def csv_headers(language: str, profile: BusinessProfile) -> list[str]:
    from bot.cases.labels import tz_label

    return [h.replace("{tz}", tz_label(profile)) for h in _CSV_HEADERS[lang(language)]]


def iter_csv(
    flt: CaseFilter,
    *,
    actor: Actor,
    sort: str = "-created",
    language: str = "id",
    url: str | None = None,
    profile: BusinessProfile | None = None,
    now: datetime | None = None,
) -> Iterator[str]:
    """The filtered list as CSV text chunks: a UTF-8 BOM first (Excel then reads Indonesian
    text correctly), friendly labels, times in the business zone, amounts as Rp150.000.000."""
    require_staff(actor)
    profile = profile or get_profile()
    now = now or utcnow()
    language = lang(language)
    where = _conditions(flt, actor, profile, now)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_headers(language, profile))
    yield "\ufeff" + _drain(buffer)
    with session_scope(url, readonly=True) as session:
        for batch in _batches(session, where, sort):
            for row, name in batch:
                writer.writerow(_csv_row(row, name, profile, language, now))
            yield _drain(buffer)


def export_csv(flt: CaseFilter, *, actor: Actor, **options: Any) -> str:
    return "".join(iter_csv(flt, actor=actor, **options))


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _batches(
    session: Session, where: Sequence[Any], sort: str, size: int = 2000
) -> Iterator[list[tuple[Case, str | None]]]:
    for offset in range(0, MAX_EXPORT_ROWS, size):
        rows = session.execute(
            sa.select(Case, Agent.display_name)
            .outerjoin(Agent, Agent.id == Case.assignee_id)
            .where(*where)
            .order_by(*_order(sort))
            .limit(size)
            .offset(offset)
        ).all()
        if not rows:
            return
        yield [(row, name) for row, name in rows]
        session.expunge_all()
        if len(rows) < size:
            return


def _csv_row(
    row: Case, name: str | None, profile: BusinessProfile, language: str, now: datetime
) -> list[str]:
    pipeline = profile.pipeline(row.type)
    yes, no = _YES[language]
    overdue = bool(row.is_open and row.due_at is not None and row.due_at < now)
    return [
        row.reference,
        pick(pipeline.label, language),
        pipeline.stage_label(row.stage, language),
        row.company or "",
        row.contact_name or "",
        row.phone or "",
        row.email or "",
        channel_label(row.channel, language),
        name or "",
        local_stamp(row.created_at, profile),
        local_stamp(row.stage_changed_at, profile),
        local_stamp(row.due_at, profile),
        yes if overdue else no,
        yes if row.escalated else no,
        pick(SEVERITIES[row.severity], language)
        if row.severity and row.severity in SEVERITIES
        else "",
        money(row.amount, "id"),
    ]


def get_case(
    reference: str, *, actor: Actor, url: str | None = None, now: datetime | None = None
) -> CaseRecord | None:
    from bot.crm.references import normalize_reference

    require_staff(actor)
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(Case).where(Case.reference == normalize_reference(reference))
        ).scalar_one_or_none()
        return case_record(row, now) if row else None
