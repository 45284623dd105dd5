"""Due times from the profile's SLA targets, counted in the business's working days.

Why a module of its own: the case row stores ``due_at`` so that "overdue" is one indexed
comparison in the lists, and the same arithmetic must run when a case is created, when it
changes stage, in the migration's backfill and in the customer's status check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.cases.pipelines import Pipeline, Sla
from bot.profile import BusinessProfile


def add_sla(profile: BusinessProfile, start: datetime, sla: Sla | None) -> datetime | None:
    """``start`` plus the SLA: working days keep the local time of day, hours are plain."""
    if sla is None:
        return None
    if sla.hours is not None:
        return start + timedelta(hours=sla.hours)
    local = start.astimezone(profile.timezone)
    day = profile.add_working_days(local.date(), sla.days)
    moved = datetime.combine(day, local.timetz()).replace(tzinfo=profile.timezone)
    return moved.astimezone(start.tzinfo)


def due_at(
    profile: BusinessProfile,
    pipeline: Pipeline,
    stage_id: str,
    stage_changed_at: datetime,
    *,
    created_at: datetime,
    severity: str | None = None,
) -> datetime | None:
    """When the case is due: a complaint by severity from filing, others per stage."""
    if pipeline.is_final(stage_id):
        return None
    if pipeline.due_by_severity:
        return add_sla(profile, created_at, pipeline.due_by_severity.get(severity or ""))
    stage = pipeline.stage(stage_id)
    return add_sla(profile, stage_changed_at, stage.sla if stage else None)
