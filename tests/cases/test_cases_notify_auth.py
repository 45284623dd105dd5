"""Stage changes notify the customer exactly once; roles decide who may change what."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.cases.assign import assign, escalate
from bot.cases.errors import FieldErrors, Forbidden, IllegalTransition, StaleCase
from bot.cases.note import add_note
from bot.cases.queries import CaseFilter, list_cases
from bot.cases.timeline import timeline
from bot.cases.transition import transition
from bot.cases.types import Actor
from bot.crm.complaints import advance_stage, get_complaint
from bot.crm.customers import remember_details, resolve_customer
from bot.crm.db import session_scope
from bot.crm.handoffs import claim, close, get_handoff, mark_callback, open_handoff
from bot.crm.models import Notification
from bot.profile import get_profile
from tests.cases.helpers import Staff, calibration, case_row, complaint, financing, sample_fields

QUOTE = {"quotation_number": "Q-7", "amount": "Rp12.500.000", "valid_until": "2026-12-31"}


def _notifications(url: str) -> list[Notification]:
    with session_scope(url, readonly=True) as session:
        rows = list(session.execute(sa.select(Notification).order_by(Notification.id)).scalars())
        session.expunge_all()
        return rows


class TestNotifications:
    def test_each_notifying_stage_change_enqueues_exactly_one(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference = calibration(crm_url, location="lab", language="en")
        pipeline = get_profile().pipeline("calibration")
        expected = 0
        for stage_id in [
            "quotation_sent",
            "po_received",
            "scheduled",
            "in_progress",
            "report_signed",
        ]:
            fields = sample_fields(pipeline.stages[stage_id])
            if stage_id == "scheduled":
                fields["service_location"] = "lab"
            result = transition(reference, stage_id, fields, actor=staff.supervisor, url=crm_url)
            expected += 1 if pipeline.stages[stage_id].notify else 0
            assert len(_notifications(crm_url)) == expected
            assert (result.notification_id is not None) is pipeline.stages[stage_id].notify
        first = _notifications(crm_url)[0]
        assert first.kind == "stage_changed" and first.reference == reference
        assert first.language == "en"
        assert first.payload["stage"] == "quotation_sent"
        assert first.payload["stage_label"] == {
            "id": "Penawaran sudah dikirim",
            "en": "Quotation sent",
        }
        assert (
            first.payload["next_step"]["en"] == "we are waiting for your PO/SPK for this quotation"
        )
        # No WhatsApp identity: the e-mail given with the request.
        assert (first.channel, first.recipient) == ("email", "sari@majujaya.co.id")
        # The timeline shows the notification and its delivery state.
        events = timeline(reference, actor=staff.supervisor, url=crm_url)
        quoted = next(e for e in events if e.to_stage == "quotation_sent")
        assert quoted.notification == {"channel": "email", "status": "pending", "sent_at": None}

    def test_a_retried_identical_request_writes_nothing_new(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference = calibration(crm_url)
        first = transition(
            reference,
            "quotation_sent",
            QUOTE,
            "dikirim",
            actor=staff.agent,
            expected_version=1,
            url=crm_url,
        )
        again = transition(
            reference,
            "quotation_sent",
            QUOTE,
            "dikirim",
            actor=staff.agent,
            expected_version=1,
            url=crm_url,
        )
        assert again.replayed and not first.replayed
        assert again.event_id == first.event_id
        assert again.notification_id == first.notification_id
        assert len(_notifications(crm_url)) == 1
        assert case_row(crm_url, reference).version == 2
        # A different request against the same old version is stale, not a replay.
        with pytest.raises(StaleCase):
            transition(
                reference,
                "quotation_sent",
                {**QUOTE, "amount": "1"},
                "dikirim",
                actor=staff.agent,
                expected_version=1,
                url=crm_url,
            )

    def test_whatsapp_identity_wins_then_email_then_widget(
        self, crm_url: str, staff: Staff
    ) -> None:
        on_whatsapp = calibration(crm_url, channel="whatsapp", sender="6281299990000")
        web_no_mail = calibration(crm_url, email=None, sender="web-widget-7")
        for reference in (on_whatsapp, web_no_mail):
            transition(reference, "quotation_sent", QUOTE, actor=staff.supervisor, url=crm_url)
        sent = {(n.reference, n.channel, n.recipient) for n in _notifications(crm_url)}
        assert sent == {
            (on_whatsapp, "whatsapp", "+6281299990000"),
            (web_no_mail, "widget", "web-widget-7"),
        }

    def test_a_failed_change_leaves_no_notification(self, crm_url: str, staff: Staff) -> None:
        reference = calibration(crm_url)
        with pytest.raises(FieldErrors):
            transition(reference, "quotation_sent", {}, actor=staff.supervisor, url=crm_url)
        assert _notifications(crm_url) == []

    def test_legacy_complaint_control_moves_the_case_and_notifies(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference, _ = complaint(crm_url)
        advance_stage(
            reference, "identified", note="cek invoice", agent_id=staff.agent.id, url=crm_url
        )
        row = case_row(crm_url, reference)
        assert (row.stage, row.version) == ("identified", 2)
        assert len(_notifications(crm_url)) == 1
        # And the new path keeps the complaint row and its Goodman history in step.
        transition(
            reference, "analysed", note="penyebab: salah input", actor=staff.supervisor, url=crm_url
        )
        record = get_complaint(reference, url=crm_url)
        assert record.stage == "analysed"
        assert [e.to_stage for e in record.history] == ["received", "identified", "analysed"]
        assert record.history[-1].agent_id == staff.supervisor.id


class TestRoles:
    def test_agent_may_change_only_own_complaints(self, crm_url: str, staff: Staff) -> None:
        reference, _ = complaint(crm_url)
        with pytest.raises(Forbidden) as error:
            transition(reference, "identified", actor=staff.agent, url=crm_url)
        assert error.value.status == 403
        assign(reference, staff.agent.id, actor=staff.supervisor, url=crm_url)
        assert (
            transition(reference, "identified", actor=staff.agent, url=crm_url).case.stage
            == "identified"
        )
        with pytest.raises(Forbidden):
            transition(reference, "analysed", actor=staff.other_agent, url=crm_url)

    def test_agent_handling_the_customers_chat_may_change_the_complaint(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference, customer_id = complaint(crm_url, sender="chat-42")
        handoff = open_handoff(
            "chat-42", "socketio", customer_id, "complaint", idempotency_key="h42", url=crm_url
        )
        with pytest.raises(Forbidden):
            transition(reference, "identified", actor=staff.agent, url=crm_url)
        assert claim(handoff.id, staff.agent.id, url=crm_url)
        assert (
            transition(reference, "identified", actor=staff.agent, url=crm_url).case.stage
            == "identified"
        )
        with pytest.raises(Forbidden):
            transition(reference, "analysed", actor=staff.other_agent, url=crm_url)

    def test_agents_take_cases_for_themselves_supervisors_assign_anyone(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference = calibration(crm_url)
        with pytest.raises(Forbidden):
            assign(reference, staff.other_agent.id, actor=staff.agent, url=crm_url)
        mine = assign(reference, staff.agent.id, actor=staff.agent, url=crm_url)
        assert mine.case.assignee_id == staff.agent.id and mine.case.version == 2
        # Now it is Rina's: Tono may neither take it nor move it.
        with pytest.raises(Forbidden):
            assign(reference, staff.other_agent.id, actor=staff.other_agent, url=crm_url)
        with pytest.raises(Forbidden):
            transition(reference, "quotation_sent", QUOTE, actor=staff.other_agent, url=crm_url)
        moved = assign(
            reference, staff.other_agent.id, actor=staff.supervisor, expected_version=2, url=crm_url
        )
        assert moved.case.assignee_id == staff.other_agent.id
        with pytest.raises(StaleCase):
            assign(
                reference, staff.agent.id, actor=staff.supervisor, expected_version=2, url=crm_url
            )
        events = timeline(reference, actor=staff.agent, url=crm_url)
        assert [(e.kind, e.assignee_name, e.actor_name) for e in events[1:]] == [
            ("assigned", "rina", "rina"),
            ("assigned", "tono", "sari"),
        ]

    def test_read_only_token_cannot_change_and_unknown_role_cannot_read(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference = calibration(crm_url)
        reader = Actor(staff.supervisor.id, "supervisor", read_only=True)
        with pytest.raises(Forbidden):
            transition(reference, "quotation_sent", QUOTE, actor=reader, url=crm_url)
        assert list_cases(CaseFilter(), actor=reader, url=crm_url).total == 1
        with pytest.raises(Forbidden):
            list_cases(CaseFilter(), actor=Actor(None, "customer"), url=crm_url)


class TestEscalationAndNotes:
    def test_escalation_needs_a_reason_and_lands_on_the_supervisor_list(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference, _ = complaint(crm_url)
        with pytest.raises(Forbidden):  # complaints are given to agents, not taken
            assign(reference, staff.agent.id, actor=staff.agent, url=crm_url)
        assign(reference, staff.agent.id, actor=staff.supervisor, url=crm_url)
        with pytest.raises(FieldErrors):
            escalate(reference, "  ", actor=staff.agent, url=crm_url)
        result = escalate(
            reference,
            "Pelanggan minta manajer",
            actor=staff.agent,
            supervisor_id=staff.supervisor.id,
            url=crm_url,
        )
        assert result.case.escalated and result.case.assignee_id == staff.supervisor.id
        escalated = list_cases(
            CaseFilter(escalated=True, open=True), actor=staff.supervisor, url=crm_url
        )
        assert [i.case.reference for i in escalated.items] == [reference]
        with pytest.raises(IllegalTransition):
            escalate(reference, "lagi", actor=staff.supervisor, url=crm_url)
        with pytest.raises(FieldErrors):
            other, _ = complaint(crm_url)
            escalate(other, "x", actor=staff.supervisor, supervisor_id=staff.agent.id, url=crm_url)
        event = timeline(reference, actor=staff.supervisor, url=crm_url)[-1]
        assert (event.kind, event.note, event.assignee_name) == (
            "escalated",
            "Pelanggan minta manajer",
            "sari",
        )

    def test_notes_go_on_the_timeline_without_making_forms_stale(
        self, crm_url: str, staff: Staff
    ) -> None:
        reference = financing(crm_url)
        add_note(
            reference, "Sudah ditelepon, minta dihubungi sore", actor=staff.other_agent, url=crm_url
        )
        with pytest.raises(FieldErrors):
            add_note(reference, "   ", actor=staff.agent, url=crm_url)
        transition(reference, "contacted", actor=staff.agent, expected_version=1, url=crm_url)
        kinds = [
            (e.kind, e.actor_name) for e in timeline(reference, actor=staff.agent, url=crm_url)
        ]
        assert kinds == [("created", None), ("note", "tono"), ("stage_changed", "rina")]


class TestCallbackTickets:
    def test_callback_ticket_is_a_case_assign_outcome_close(
        self, crm_url: str, staff: Staff
    ) -> None:
        customer = resolve_customer("socketio", "cb-web-1", url=crm_url)
        remember_details(customer.id, name="Wati", url=crm_url)
        handoff = open_handoff(
            "cb-web-1",
            "socketio",
            customer.id,
            "no_agent_online",
            idempotency_key="cb1",
            url=crm_url,
        )
        row = None
        with session_scope(crm_url, readonly=True) as session:
            from bot.crm.models import Case

            row = session.execute(
                sa.select(Case).where(Case.reference == handoff.reference)
            ).scalar_one_or_none()
        assert row is None  # a live chat in the queue is not a case
        assert mark_callback(handoff.id, "phone", "asap", url=crm_url)
        case = case_row(crm_url, handoff.reference)
        assert (case.type, case.stage, case.contact_name, case.phone) == (
            "callback",
            "open",
            "Wati",
            None,  # no number on this ticket, and a number typed elsewhere is only a claim
        )
        assign(handoff.reference, staff.agent.id, actor=staff.agent, url=crm_url)
        transition(
            handoff.reference,
            "attempted",
            {"outcome": "Tidak diangkat"},
            actor=staff.agent,
            url=crm_url,
        )
        with pytest.raises(FieldErrors):
            transition(handoff.reference, "closed", {}, actor=staff.agent, url=crm_url)
        transition(
            handoff.reference,
            "closed",
            {"outcome": "Sudah dijelaskan"},
            actor=staff.agent,
            url=crm_url,
        )
        assert get_handoff(handoff.id, url=crm_url).status == "closed"
        assert _notifications(crm_url) == []  # the call itself was the contact

    def test_closing_the_ticket_on_the_desk_closes_its_case(
        self, crm_url: str, staff: Staff
    ) -> None:
        handoff = open_handoff(
            "cb-web-2", "socketio", None, "no_agent_online", idempotency_key="cb2", url=crm_url
        )
        assert mark_callback(handoff.id, "whatsapp", "morning", url=crm_url)
        assert close(handoff.id, staff.supervisor.id, url=crm_url)
        case = case_row(crm_url, handoff.reference)
        assert (case.stage, case.is_open) == ("closed", False)
