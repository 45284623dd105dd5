"""The worker's scheduled jobs (bot/notify/jobs.py) on SQLite and PostgreSQL, at a fixed clock:
re-calibration reminders (once, only with consent), the reminder question and its answer,
callback-due and complaint-SLA alerts (once per item, staff only)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import bot.bus
from bot.bus import TOPIC_DESK, InProcessBus
from bot.cases.engine import apply_stage, lock_case
from bot.crm.consents import latest_for_customer
from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.handoffs import mark_callback, open_handoff
from bot.crm.models import Case, CaseEvent, Consent, Notification
from bot.crm.requests import create_calibration_request
from bot.crm.types import CalibrationItemInput, CalibrationRequestInput, ComplaintInput
from bot.notify.consent import handle_keyword
from bot.notify.jobs import (
    callback_due_alerts,
    complaint_sla_alerts,
    open_alerts,
    recalibration_reminders,
)
from bot.notify.schedule import run_exclusive
from bot.notify.senders import OutgoingNotification
from bot.notify.texts import get_texts
from bot.notify.whatsapp import WhatsAppSender
from bot.profile import get_profile

# 11 months after the issue date, with 12 months' validity and a 30-day lead: the
# certificates expire on 2026-12-10, exactly 30 days after "now".
NOW = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
ISSUED = date(2025, 12, 10)
_n = itertools.count(1)


def _calibration(url: str, wa_id: str, language: str = "id") -> str:
    n = next(_n)
    customer = resolve_customer("whatsapp", wa_id, url=url)
    data = CalibrationRequestInput(
        company_name="PT Maju Jaya",
        contact_name="Ibu Sari",
        phone="+" + wa_id,
        email=None,
        service_type="kalibrasi",
        service_location="lab",
        items=(CalibrationItemInput(instrument_type="pressure_gauge", quantity=2, spec="digital"),),
    )
    created = create_calibration_request(
        customer.id, data, f"jobs:{n}", channel="whatsapp", language=language, url=url
    )
    assert created.reference
    return created.reference


def _issue_certificates(url: str, reference: str, issued: date = ISSUED) -> None:
    """Move the request into certificate_issued the way a transition does (timeline event,
    derived expiry date, stage notification), with one certificate number per line."""
    profile = get_profile()
    pipeline = profile.pipeline("calibration")
    stage = pipeline.stage("certificate_issued")
    assert stage is not None
    at = datetime.combine(issued, datetime.min.time(), UTC) + timedelta(hours=3)
    with session_scope(url) as session:
        case = lock_case(session, reference)
        assert case is not None
        line = session.execute(
            sa.text(
                "SELECT i.id FROM calibration_request_items i JOIN calibration_requests r "
                "ON r.id = i.request_id WHERE r.reference = :ref"
            ),
            {"ref": reference},
        ).scalar_one()
        apply_stage(
            session,
            case,
            pipeline,
            stage,
            profile,
            fields={
                "certificate_number": {str(line): f"CERT/{reference}/1"},
                "issue_date": str(issued),
            },
            note=None,
            actor_id=None,
            now=at,
        )


def _notifications(url: str, kind: str) -> list[Notification]:
    with session_scope(url, readonly=True) as session:
        rows = (
            session.execute(
                sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id)
            )
            .scalars()
            .all()
        )
        session.expunge_all()
        return list(rows)


def _tick(url: str, worker: str, now: datetime) -> bool:
    """What a worker's scheduler tick does (bot/notify/schedule.py) at a fixed clock."""
    with run_exclusive(
        "recalibration_reminders", timedelta(hours=1), worker_id=worker, url=url, now=now
    ) as mine:
        if mine:
            recalibration_reminders(url, now=now)
    return mine


# ---- asking for consent, and the answer --------------------------------------------------------


def test_issuing_certificates_asks_once_and_the_answer_is_recorded(crm_url: str) -> None:
    wa_id = "6281200000001"
    first = _calibration(crm_url, wa_id)
    _issue_certificates(crm_url, first)
    _issue_certificates(crm_url, _calibration(crm_url, wa_id))  # the same customer again

    questions = _notifications(crm_url, "reminder_consent_question")
    assert len(questions) == 1  # asked once per customer, not per request
    question = questions[0]
    assert (question.channel, question.recipient, question.reference) == (
        "whatsapp",
        "+" + wa_id,
        first,
    )
    text = (
        get_texts()
        .render(question.kind, "id", question.payload, question.reference, {"company": "X"})
        .text
    )
    assert "10-12-2026" in text and "INGATKAN" in text
    # On WhatsApp (inside the 24-hour window) it carries yes/no reply buttons.
    message = WhatsAppSender(
        base_url="http://127.0.0.1:9", phone_number_id="1", access_token="t"
    ).text_message(
        OutgoingNotification(
            question.id, question.kind, "whatsapp", wa_id, "id", "k", 1, first, question.payload
        )
    )
    buttons = message["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["/reminders_yes", "/reminders_no"]

    # The tapped "yes" button (its payload) records consent with time and channel.
    reply = handle_keyword("whatsapp", wa_id, "/reminders_yes", "id", url=crm_url)
    assert reply is not None and "mengingatkan" in reply.text
    with session_scope(crm_url, readonly=True) as session:
        row = session.execute(sa.select(Consent)).scalar_one()
        assert (row.purpose, row.granted, row.source, row.channel, row.via) == (
            "reminders", True, "asked", "whatsapp", "whatsapp",
        )  # fmt: skip
        assert row.at is not None and row.customer_id == question.customer_id
        # Typed keywords work too; the latest answer is in force.
        handle_keyword("whatsapp", wa_id, "Jangan ingatkan", None, url=crm_url)
    with session_scope(crm_url, readonly=True) as session:
        assert question.customer_id is not None
        state = latest_for_customer(session, question.customer_id, "reminders")
        assert state is not None and not state.granted


# ---- re-calibration reminders --------------------------------------------------------------------


def test_one_reminder_once_across_two_workers_and_a_restart(crm_url: str, race: Any) -> None:
    wa_id = "6281200000002"
    reference = _calibration(crm_url, wa_id, language="en")
    _issue_certificates(crm_url, reference)
    handle_keyword("whatsapp", wa_id, "/reminders_yes", "en", url=crm_url)

    # The day before the lead time nothing is due yet.
    assert recalibration_reminders(crm_url, now=NOW - timedelta(days=1)) == 0
    assert _notifications(crm_url, "recalibration_reminder") == []

    assert sorted(race(lambda i: _tick(crm_url, f"w{i}", NOW), 2)) == [False, True]
    # A restart (a later period: the job runs again) and a run taken over after a lease
    # (two runs at once without the lock) add nothing.
    assert _tick(crm_url, "w3", NOW + timedelta(hours=1))
    race(lambda i: recalibration_reminders(crm_url, now=NOW + timedelta(days=1)), 2)

    reminders = _notifications(crm_url, "recalibration_reminder")
    assert len(reminders) == 1
    reminder = reminders[0]
    assert (reminder.channel, reminder.recipient, reminder.language, reminder.reference) == (
        "whatsapp", "+" + wa_id, "en", reference,
    )  # fmt: skip
    text = (
        get_texts().render(reminder.kind, "en", reminder.payload, reference, {"company": "X"}).text
    )
    assert f"- pressure gauge (digital) ×2: CERT/{reference}/1" in text and "10-12-2026" in text
    [button] = reminder.payload["buttons"]
    assert button["payload"] == '/request_calibration{"prefill_reference":"' + reference + '"}'


def test_no_reminder_without_consent(crm_url: str) -> None:
    wa_id = "6281200000003"
    reference = _calibration(crm_url, wa_id)
    _issue_certificates(crm_url, reference)

    assert recalibration_reminders(crm_url, now=NOW) == 0  # asked, never answered
    handle_keyword("whatsapp", wa_id, "jangan ingatkan", None, url=crm_url)
    assert recalibration_reminders(crm_url, now=NOW) == 0  # said no
    assert _notifications(crm_url, "recalibration_reminder") == []
    # A "yes" that arrives before the expiry still gets its reminder, on the next run.
    handle_keyword("whatsapp", wa_id, "ingatkan", None, url=crm_url)
    assert recalibration_reminders(crm_url, now=NOW + timedelta(days=2)) == 1
    # STOP afterwards: nothing more, and the worker would cancel the one not yet sent.
    handle_keyword("whatsapp", wa_id, "STOP", None, url=crm_url)
    [reminder] = _notifications(crm_url, "recalibration_reminder")
    assert reminder.status == "cancelled"


# ---- staff alerts -----------------------------------------------------------------------------


@pytest.fixture
def desk_events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    bus = InProcessBus()
    seen: list[dict[str, Any]] = []

    async def collect(payload: dict[str, Any]) -> None:
        seen.append(payload)

    bus.subscribe(TOPIC_DESK, collect)
    monkeypatch.setattr(bot.bus, "_bus", bus)
    return seen


def _case(url: str, reference: str) -> Case:
    with session_scope(url, readonly=True) as session:
        row = session.execute(sa.select(Case).where(Case.reference == reference)).scalar_one()
        session.expunge(row)
        return row


def _alert_events(url: str, reference: str) -> list[CaseEvent]:
    with session_scope(url, readonly=True) as session:
        rows = (
            session.execute(
                sa.select(CaseEvent)
                .join(Case, Case.id == CaseEvent.case_id)
                .where(Case.reference == reference, CaseEvent.actor_id.is_(None))
                .where(CaseEvent.kind.in_(("note", "escalated")))
            )
            .scalars()
            .all()
        )
        session.expunge_all()
        return list(rows)


def test_a_due_callback_alerts_its_agent_once(
    crm_url: str, desk_events: list[dict[str, Any]]
) -> None:
    from bot.crm.agents import create_agent

    agent = create_agent("rina", "correct horse battery", url=crm_url)
    handoff = open_handoff(
        "cb-jobs-1", "socketio", None, "no_agent", idempotency_key="cbj:1", url=crm_url
    )
    assert mark_callback(handoff.id, "phone", "besok pagi", url=crm_url)
    with session_scope(crm_url) as session:
        session.execute(
            sa.update(Case).where(Case.reference == handoff.reference).values(assignee_id=agent.id)
        )
    due = _case(crm_url, handoff.reference).due_at
    assert due is not None
    before = _notifications(crm_url, "stage_changed")

    assert callback_due_alerts(crm_url, now=due - timedelta(minutes=1)) == []
    [alert] = callback_due_alerts(crm_url, now=due + timedelta(minutes=1))
    assert (alert.reference, alert.agent_id) == (handoff.reference, agent.id)
    assert callback_due_alerts(crm_url, now=due + timedelta(minutes=6)) == []  # next run

    [event] = _alert_events(crm_url, handoff.reference)
    assert event.fields["alert"] == "callback_due" and "rina" in (event.note or "")
    assert [e["reference"] for e in desk_events if e.get("kind") == "alert"] == [handoff.reference]
    assert (
        open_alerts(agent.id, False, crm_url, now=due + timedelta(minutes=1))[0]["reference"]
        == handoff.reference
    )
    # Staff only: nothing was written for the customer.
    with session_scope(crm_url, readonly=True) as session:
        count = session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one()
    assert count == len(before) == 0


def test_a_complaint_past_its_sla_is_escalated_to_supervisors_once(
    crm_url: str, desk_events: list[dict[str, Any]]
) -> None:
    from bot.crm.complaints import create_complaint

    customer = resolve_customer("socketio", "cmp-jobs-1", url=crm_url)
    created = create_complaint(
        customer.id,
        ComplaintInput(category="wrong_invoice", description="Invoice salah", severity="high"),
        "cmpj:1",
        channel="socketio",
        url=crm_url,
    )
    reference = str(created.reference)
    due = _case(crm_url, reference).due_at
    assert due is not None and not _case(crm_url, reference).escalated

    assert complaint_sla_alerts(crm_url, now=due - timedelta(minutes=1)) == []
    assert open_alerts(None, True, crm_url, now=due - timedelta(minutes=1)) == []
    [alert] = complaint_sla_alerts(crm_url, now=due + timedelta(hours=1))
    assert alert.reference == reference
    assert complaint_sla_alerts(crm_url, now=due + timedelta(hours=2)) == []

    case = _case(crm_url, reference)
    assert case.escalated and "SLA" in (case.escalation_reason or "")
    [event] = _alert_events(crm_url, reference)
    assert event.kind == "escalated" and event.fields["alert"] == "complaint_sla_breach"
    assert [e["alert"] for e in desk_events if e.get("kind") == "alert"] == ["complaint_sla_breach"]
    assert [
        a["reference"] for a in open_alerts(None, True, crm_url, now=due + timedelta(hours=1))
    ] == [reference]
    assert open_alerts(None, False, crm_url, now=due + timedelta(hours=1)) == []  # agents


def test_outside_the_window_the_template_buttons_carry_the_payloads() -> None:
    """A reminder outside WhatsApp's 24-hour window goes as the approved template; its
    quick-reply button returns the same payload as the reply button inside the window."""
    payload = {
        "expiry_date": "10-12-2026",
        "buttons": [{"title": {"id": "Minta penawaran"}, "payload": "/request_calibration"}],
    }
    message = WhatsAppSender(
        base_url="http://127.0.0.1:9", phone_number_id="1", access_token="t"
    ).template_message(
        OutgoingNotification(
            7, "recalibration_reminder", "whatsapp", "628", "id", "k", 1, "KAL-1", payload
        )
    )
    body, button = message["template"]["components"]
    assert [p["text"] for p in body["parameters"]][1:] == ["KAL-1", "10-12-2026"]
    assert (button["sub_type"], button["parameters"]) == (
        "quick_reply",
        [{"type": "payload", "payload": "/request_calibration"}],
    )


def test_old_finished_job_runs_are_pruned(crm_url: str) -> None:
    from bot.crm.models import ScheduledJobRun
    from bot.crm.sqltypes import utcnow
    from bot.notify.schedule import prune_runs

    old = utcnow() - timedelta(days=40)
    with session_scope(crm_url) as session:
        session.add(
            ScheduledJobRun(
                job_name="a", period_start=old, claimed_by="w", started_at=old, finished_at=old
            )
        )
        session.add(ScheduledJobRun(job_name="b", period_start=old, claimed_by="w", started_at=old))
    assert prune_runs(crm_url) == 1
    with session_scope(crm_url, readonly=True) as session:
        assert session.execute(sa.select(ScheduledJobRun.job_name)).scalars().all() == ["b"]
