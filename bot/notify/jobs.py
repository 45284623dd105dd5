"""The worker's scheduled jobs (issue 15): re-calibration reminders, callback-due alerts and
complaint SLA breaches.

Each job is a plain function of the database URL (and, for tests, a fixed ``now``), ticked by
APScheduler in every worker through ``bot.notify.schedule.run_exclusive``, so one worker
runs each period. That lock is not what makes an item happen once, though: a run taken over
after its lease, or a restart, may see the same items again. Each item is therefore written
exactly once by the database itself:

* a reminder is a notification whose idempotency key names the certificates' request and
  expiry date (``recalibration:<reference>:<expiry>``): ONE reminder per certificate
  issuance (all instruments of the request, each with its certificate number, share one
  issue date and so one expiry; one message instead of one per gauge), written at most once;
* an alert is a timeline event of the case (``case_events``, ``fields.alert``) written under
  the case's row lock after checking that no alert for the same due time exists, so the
  desk's timeline shows it and a second run finds it.

Why reminders are not enqueued without consent: the worker would cancel such a row at send
time, and its idempotency key would then block the reminder for good. Instead the job skips
the certificate while the customer has not agreed (never asked, or said no, or STOP) and
looks again on the next run: a "yes" that arrives before the expiry still gets its reminder.

Alerts are for staff only, never for the customer: the case timeline (and the supervisors'
escalated list for SLA breaches) is the record; a live ``desk`` bus event (kind ``alert``)
tells open desks at once when the bus is shared (``REDIS_URL``; the worker is a separate
process).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.cases.notify import recipient_for
from bot.cases.transition import item_lines
from bot.crm.db import run_in_transaction, session_scope
from bot.crm.models import Agent, Case, CaseEvent
from bot.crm.sqltypes import utcnow
from bot.notify import queue_wait
from bot.notify.consent import blocked_reason
from bot.notify.outbox import enqueue
from bot.notify.schedule import ScheduledJob, prune_runs
from bot.profile import BusinessProfile, get_profile

logger = logging.getLogger(__name__)

REMINDER_KIND = "recalibration_reminder"
CALLBACK_DUE = "callback_due"
SLA_BREACH = "complaint_sla_breach"
REMINDER_PERIOD = timedelta(hours=1)
ALERT_PERIOD = timedelta(minutes=5)
# The button of a reminder: starts a new calibration request; ``prefill_reference`` names
# the request whose instruments the flow may pre-fill (docs/notifications.md).
REQUEST_INTENT = "/request_calibration"


def request_payload(reference: str) -> str:
    return REQUEST_INTENT + json.dumps({"prefill_reference": reference}, separators=(",", ":"))


def _local_date(value: date) -> str:
    return f"{value:%d-%m-%Y}"


# ---- re-calibration reminders ------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    reference: str
    expiry: date
    numbers: dict[str, str]  # instrument line id -> certificate number


def _expiring(
    session: Session, profile: BusinessProfile, now: datetime, lead_days: int
) -> list[Certificate]:
    """Certificate issuances expiring between today and today + lead (business time zone)."""
    pipeline = profile.pipeline("calibration")
    stages = [
        s.id for s in pipeline.stages.values() if any(d.name == "expiry_date" for d in s.derived)
    ]
    if not stages:
        return []
    today = now.astimezone(profile.timezone).date()
    horizon = today + timedelta(days=lead_days)
    # The event is recorded on or after the issue date, and expiry = issue + validity, so an
    # issuance that expires today or later was recorded less than validity months ago (a
    # year of margin for issue dates typed in advance and validity changes).
    since = now - timedelta(days=31 * (profile.certificate_validity_months + 12))
    rows = session.execute(
        sa.select(Case.reference, CaseEvent.fields)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            Case.type == "calibration",
            Case.stage != "cancelled",
            CaseEvent.kind == "stage_changed",
            CaseEvent.to_stage.in_(stages),
            CaseEvent.at >= since,
        )
        .order_by(CaseEvent.id)
    ).all()
    found: dict[str, Certificate] = {}  # the latest issuance per request
    for reference, fields in rows:
        fields = fields or {}
        try:
            expiry = date.fromisoformat(str(fields.get("expiry_date")))
        except ValueError:
            continue
        numbers = fields.get("certificate_number")
        found[str(reference)] = Certificate(
            str(reference),
            expiry,
            {str(k): str(v) for k, v in numbers.items()} if isinstance(numbers, dict) else {},
        )
    return [c for c in found.values() if today <= c.expiry <= horizon]


def _remind(
    session: Session, certificate: Certificate, profile: BusinessProfile, now: datetime
) -> bool:
    case = session.execute(
        sa.select(Case).where(Case.reference == certificate.reference)
    ).scalar_one_or_none()
    if case is None:
        return False
    target = recipient_for(session, case)
    if target is None:
        logger.info("reminder for %s: no channel to reach the customer", case.reference)
        return False
    channel, recipient = target
    blocked = blocked_reason(session, channel, recipient, case.customer_id, "reminders")
    if blocked:
        logger.info("reminder for %s not written: %s", case.reference, blocked)
        return False
    language = case.language if case.language in ("id", "en") else "id"
    lines = [
        (line.label, certificate.numbers.get(str(line.id), "-"))
        for line in item_lines(session, case, profile)
    ]
    payload: dict[str, Any] = {
        "expiry_date": _local_date(certificate.expiry),
        "expiry_iso": certificate.expiry.isoformat(),
        "certificates": [{"instrument": label, "number": number} for label, number in lines],
        "instruments": "\n".join(f"- {label}: {number}" for label, number in lines),
        "buttons": [
            {
                "title": {"id": "Minta penawaran", "en": "Request quotation"},
                "payload": request_payload(case.reference),
            }
        ],
    }
    result = enqueue(
        session,
        kind=REMINDER_KIND,
        channel=channel,
        recipient=recipient,
        idempotency_key=f"recalibration:{case.reference}:{certificate.expiry.isoformat()}",
        language=language,
        payload=payload,
        customer_id=case.customer_id,
        reference=case.reference,
        not_before=now,
    )
    return result.created


def recalibration_reminders(
    url: str | None = None,
    *,
    now: datetime | None = None,
    profile: BusinessProfile | None = None,
) -> int:
    """Write the reminders now due (``calibration.reminder_lead_days`` before expiry); the
    number of new reminder notifications."""
    profile = profile or get_profile()
    now = now or utcnow()
    with session_scope(url, readonly=True) as session:
        due = _expiring(session, profile, now, profile.reminder_lead_days)
    written = 0
    for certificate in due:
        # One short transaction per request: one bad row cannot stop the others.
        try:
            if run_in_transaction(
                partial(_remind, certificate=certificate, profile=profile, now=now), url
            ):
                written += 1
        except Exception:
            logger.exception("reminder for %s failed; the next run retries", certificate.reference)
    if written:
        logger.info("%d re-calibration reminder(s) written", written)
    return written


# ---- staff alerts: callback due, complaint SLA breached -------------------------------------


@dataclass(frozen=True)
class Alert:
    kind: str  # callback_due | complaint_sla_breach
    case_id: int
    reference: str
    due_at: datetime
    agent_id: int | None  # the assigned agent; None: the queue (callbacks) / supervisors
    text: str

    def event(self) -> dict[str, Any]:
        """The live desk event (bus topic ``desk``)."""
        return {
            "kind": "alert",
            "alert": self.kind,
            "case_id": self.case_id,
            "reference": self.reference,
            "agent_id": self.agent_id,
            "due_at": self.due_at.isoformat(),
            "text": self.text,
        }


def _local_time(profile: BusinessProfile, value: datetime) -> str:
    from bot.profile import _TZ_LABELS

    tz = profile.timezone
    return f"{value.astimezone(tz):%d-%m-%Y %H:%M} {_TZ_LABELS.get(tz.key, tz.key)}"


def _alert_text(
    kind: str, reference: str, due: datetime, agent: str | None, profile: BusinessProfile
) -> str:
    when = _local_time(profile, due)
    if kind == CALLBACK_DUE:
        who = f"untuk {agent}" if agent else "untuk antrean (belum ada agen)"
        return f"Waktunya menghubungi kembali pelanggan {reference} (jatuh tempo {when}), {who}."
    return f"SLA keluhan {reference} terlampaui (batas {when}). Mohon ditindaklanjuti supervisor."


def _alert_once(
    session: Session, case_id: int, kind: str, now: datetime, profile: BusinessProfile
) -> Alert | None:
    case = session.execute(
        sa.select(Case).where(Case.id == case_id).with_for_update()
    ).scalar_one_or_none()
    if case is None or not case.is_open or case.due_at is None or case.due_at > now:
        return None
    due = case.due_at if case.due_at.tzinfo else case.due_at.replace(tzinfo=UTC)
    earlier = session.execute(
        sa.select(CaseEvent.fields).where(
            CaseEvent.case_id == case.id, CaseEvent.kind.in_(("note", "escalated"))
        )
    ).scalars()
    if any(
        (f or {}).get("alert") == kind and (f or {}).get("due_at") == due.isoformat()
        for f in earlier
    ):
        return None  # already alerted for this due time
    agent_name = None
    if case.assignee_id is not None:
        agent_name = session.execute(
            sa.select(Agent.display_name).where(Agent.id == case.assignee_id)
        ).scalar_one_or_none()
    text = _alert_text(kind, case.reference, due, agent_name, profile)
    escalate = kind == SLA_BREACH
    if escalate and not case.escalated:
        # The supervisors' list of escalated cases is where breaches are worked from.
        case.escalated = True
        case.escalated_at = now
        case.escalation_reason = text
    session.add(
        CaseEvent(
            case_id=case.id,
            kind="escalated" if escalate else "note",
            note=text,
            fields={"alert": kind, "due_at": due.isoformat(), "agent_id": case.assignee_id},
            assignee_id=case.assignee_id,
            actor_id=None,  # the system
            version=case.version,  # an alert does not make open forms stale
            at=now,
        )
    )
    session.flush()
    return Alert(kind, case.id, case.reference, due, case.assignee_id, text)


def _alerts(
    case_type: str, kind: str, url: str | None, now: datetime | None, publish: bool
) -> list[Alert]:
    profile = get_profile()
    now = now or utcnow()
    with session_scope(url, readonly=True) as session:
        ids = (
            session.execute(
                sa.select(Case.id)
                .where(Case.type == case_type, Case.is_open.is_(True), Case.due_at <= now)
                .order_by(Case.due_at, Case.id)
            )
            .scalars()
            .all()
        )
    alerts: list[Alert] = []
    for case_id in ids:
        try:
            alert = run_in_transaction(
                partial(_alert_once, case_id=case_id, kind=kind, now=now, profile=profile), url
            )
        except Exception:
            logger.exception("%s alert for case %d failed; the next run retries", kind, case_id)
            continue
        if alert is not None:
            alerts.append(alert)
    if alerts:
        logger.info("%d %s alert(s) written", len(alerts), kind)
        if publish:
            publish_alerts(alerts)
    return alerts


def callback_due_alerts(
    url: str | None = None, *, now: datetime | None = None, publish: bool = True
) -> list[Alert]:
    """Callback tickets whose due time has come: one alert per ticket and due time, to the
    assigned agent or (unassigned) the queue. No customer message."""
    return _alerts("callback", CALLBACK_DUE, url, now, publish)


def complaint_sla_alerts(
    url: str | None = None, *, now: datetime | None = None, publish: bool = True
) -> list[Alert]:
    """Open complaints past ``cases.due_at``: escalated to the supervisors, once per due time."""
    return _alerts("complaint", SLA_BREACH, url, now, publish)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def publish_alerts(alerts: list[Alert]) -> None:
    """Tell open desks (best effort: the timeline already has the alert)."""
    global _loop
    from bot.bus import TOPIC_DESK, get_bus

    async def send() -> None:
        bus = get_bus()
        for alert in alerts:
            await bus.publish(TOPIC_DESK, alert.event())

    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
        try:
            _loop.run_until_complete(send())
        except Exception:  # noqa: BLE001 - the alert is stored; desks see it on reload
            logger.warning("desk alerts could not be published on the bus")


def open_alerts(
    agent_id: int | None, supervisor: bool, url: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """For the desk badge/list: due callback tickets (assigned to ``agent_id`` or unassigned)
    and, for supervisors, complaints past their SLA; open cases only, oldest due first."""
    now = now or utcnow()
    profile = get_profile()
    wanted = [
        sa.and_(
            Case.type == "callback",
            sa.or_(Case.assignee_id.is_(None), Case.assignee_id == agent_id)
            if not supervisor
            else sa.true(),
        )
    ]
    if supervisor:
        wanted.append(Case.type == "complaint")
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(Case.reference, Case.type, Case.due_at, Case.assignee_id)
            .where(Case.is_open.is_(True), Case.due_at <= now, sa.or_(*wanted))
            .order_by(Case.due_at, Case.id)
            .limit(100)
        ).all()
    return [
        {
            "reference": r.reference,
            "alert": CALLBACK_DUE if r.type == "callback" else SLA_BREACH,
            "due": _local_time(profile, r.due_at),
            "assignee_id": r.assignee_id,
        }
        for r in rows
    ]


JOBS = [
    ScheduledJob("recalibration_reminders", REMINDER_PERIOD, recalibration_reminders),
    ScheduledJob("callback_due_alerts", ALERT_PERIOD, callback_due_alerts),
    ScheduledJob("complaint_sla_alerts", ALERT_PERIOD, complaint_sla_alerts),
    ScheduledJob("prune_job_runs", timedelta(days=1), prune_runs),
    queue_wait.JOB,
]
