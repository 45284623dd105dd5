"""The desk's alert badge (issue 15): due callback tickets for agents, complaints past their SLA
for supervisors, through ``/desk/api/alerts`` (the scheduled jobs write the timeline side)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot.crm import complaints, customers, handoffs
from bot.crm.db import session_scope
from bot.crm.models import Case
from bot.crm.sqltypes import utcnow
from bot.crm.types import ComplaintInput


def _make_overdue(reference: str) -> None:
    with session_scope() as session:
        session.execute(
            sa.update(Case)
            .where(Case.reference == reference)
            .values(due_at=utcnow() - timedelta(hours=1))
        )


async def test_alerts_list_due_callbacks_for_agents_and_breaches_for_supervisors(
    desk_server, make_agent
) -> None:
    make_agent("rina")
    make_agent("sari", role="supervisor")
    ticket = handoffs.open_handoff("web-cb", "socketio", None, "no_agent", {}, [], "cb-alert")
    assert handoffs.mark_callback(ticket.id, "phone", "besok pagi")
    customer = customers.resolve_customer("socketio", "web-cmp")
    complaint = complaints.create_complaint(
        customer.id,
        ComplaintInput(category="wrong_invoice", description="Invoice salah", severity="high"),
        "cmp-alert",
        channel="socketio",
    )
    rina, sari = await desk_server.login("rina"), await desk_server.login("sari")
    assert (await rina.get("/desk/api/alerts")).json() == {"alerts": []}  # nothing due yet
    assert "/desk/static/alerts.js" in (await rina.get("/desk/")).text

    _make_overdue(ticket.reference)
    _make_overdue(str(complaint.reference))
    mine = (await rina.get("/desk/api/alerts")).json()["alerts"]
    assert [(a["reference"], a["alert"]) for a in mine] == [(ticket.reference, "callback_due")]
    supervised = (await sari.get("/desk/api/alerts")).json()["alerts"]
    assert {(a["reference"], a["alert"]) for a in supervised} == {
        (ticket.reference, "callback_due"),
        (complaint.reference, "complaint_sla_breach"),
    }
