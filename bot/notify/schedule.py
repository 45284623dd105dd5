"""Scheduled jobs in the worker, run once per period however many workers run.

Every worker runs the same APScheduler timetable (maintained scheduler, no hand-written
timer loop); what makes a job run once is the database, not the scheduler: a run is the row
``(job_name, period_start)`` in ``scheduled_job_runs``, and only the worker whose INSERT
succeeds runs it (:func:`run_exclusive`). A run whose worker died (``finished_at`` still
empty after ``lease``) may be taken over; a run that raised is deleted so the next tick
retries it. Jobs must still be idempotent per item (e.g. one reminder per certificate via
the notification's idempotency key): a run taken over after a lease may repeat items.

The jobs themselves (re-calibration reminders, callback-due alerts, complaint SLA) are in
``bot.notify.jobs`` (its ``JOBS`` list is what every worker ticks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.crm.db import affected_rows, session_scope
from bot.crm.models import ScheduledJobRun
from bot.crm.sqltypes import utcnow

logger = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=30)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    period: timedelta
    run: Callable[[str | None], object]  # called with the database URL


def period_start(now: datetime, period: timedelta) -> datetime:
    seconds = int(period.total_seconds())
    if seconds <= 0:
        raise ValueError("period must be positive")
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def _acquire(
    job_name: str, start: datetime, worker_id: str, now: datetime, lease: timedelta, url: str | None
) -> bool:
    try:
        with session_scope(url) as session:
            session.add(
                ScheduledJobRun(
                    job_name=job_name, period_start=start, claimed_by=worker_id, started_at=now
                )
            )
            session.flush()
        return True
    except IntegrityError:
        pass
    # Someone has this period. Take it over only if it never finished and its lease ran out.
    with session_scope(url) as session:
        count = affected_rows(
            session,
            sa.update(ScheduledJobRun)
            .where(
                ScheduledJobRun.job_name == job_name,
                ScheduledJobRun.period_start == start,
                ScheduledJobRun.finished_at.is_(None),
                ScheduledJobRun.started_at < now - lease,
            )
            .values(claimed_by=worker_id, started_at=now),
        )
        return count == 1


@contextmanager
def run_exclusive(
    job_name: str,
    period: timedelta,
    *,
    worker_id: str,
    url: str | None = None,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> Iterator[bool]:
    """``with run_exclusive("reminders", timedelta(hours=1), worker_id=w) as mine:`` -
    ``mine`` is True for exactly one worker per period; only that one should do the work."""
    now = now or utcnow()
    start = period_start(now, period)
    mine = _acquire(job_name, start, worker_id, now, lease, url)
    key = (ScheduledJobRun.job_name == job_name, ScheduledJobRun.period_start == start)
    try:
        yield mine
    except BaseException:
        if mine:  # let the next tick (any worker) retry this period
            with session_scope(url) as session:
                session.execute(
                    sa.delete(ScheduledJobRun).where(*key, ScheduledJobRun.claimed_by == worker_id)
                )
        raise
    if mine:
        with session_scope(url) as session:
            session.execute(
                sa.update(ScheduledJobRun)
                .where(*key, ScheduledJobRun.claimed_by == worker_id)
                .values(finished_at=utcnow())
            )


def prune_runs(url: str | None = None, *, keep: timedelta = timedelta(days=30)) -> int:
    """Forget finished runs older than ``keep`` (a 5-minute job adds 288 rows a day)."""
    with session_scope(url) as session:
        return affected_rows(
            session,
            sa.delete(ScheduledJobRun).where(
                ScheduledJobRun.finished_at.is_not(None),
                ScheduledJobRun.period_start < utcnow() - keep,
            ),
        )


def _tick(job: ScheduledJob, url: str | None, worker_id: str) -> None:
    try:
        with run_exclusive(job.name, job.period, worker_id=worker_id, url=url) as mine:
            if mine:
                job.run(url)
    except Exception:
        logger.exception("Scheduled job %s failed; the next tick retries it", job.name)


def start_scheduler(url: str | None, worker_id: str, jobs: list[ScheduledJob] | None = None) -> Any:
    """Start APScheduler with ``jobs`` (default ``bot.notify.jobs.JOBS``) in background
    threads, or return None when there is nothing to schedule."""
    if jobs is None:
        from bot.notify.jobs import JOBS

        jobs = JOBS
    if not jobs:
        return None
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    for job in jobs:
        # Ticks more often than the period: a worker that was down at the period's start
        # still runs it; run_exclusive makes the extra ticks no-ops.
        every = max(job.period.total_seconds() / 4, 1.0)
        scheduler.add_job(
            _tick,
            "interval",
            seconds=every,
            args=(job, url, worker_id),
            id=job.name,
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
        )
    scheduler.start()
    return scheduler
