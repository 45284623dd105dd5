"""Who may do what on the desk: ownership and role checks on every operation.

An agent acts on conversations they claimed (and their customers' complaints); a
supervisor or admin on any. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from desk_helpers import api_csrf

from bot.crm import complaints, customers, handoffs
from bot.crm.types import ComplaintInput


def complaint_in_handoff(sender: str) -> tuple[str, int]:
    """A customer with a complaint and a waiting handoff; (complaint reference, handoff id)."""
    customer = customers.resolve_customer("socketio", sender)
    complaint = complaints.create_complaint(
        customer.id,
        ComplaintInput(category="late_certificate", description="terlambat", severity="high"),
        f"cmp:{sender}",
    )
    record = handoffs.open_handoff(
        sender, "socketio", customer.id, "high_severity_complaint", {}, [], f"h:{sender}"
    )
    return complaint.reference, record.id


class Desk:
    """One logged-in agent's client with its CSRF token."""

    def __init__(self, client, token: str) -> None:
        self.client, self.token = client, token

    async def post(self, path: str, body: dict | None = None):
        return await self.client.post(
            f"/desk/api{path}", json=body or {}, headers={"X-CSRF-Token": self.token}
        )


async def desk_for(desk_server, username: str) -> Desk:
    client = await desk_server.login(username)
    return Desk(client, await api_csrf(client))


async def test_only_the_handling_agent_or_a_supervisor_moves_a_complaint(
    desk_server, make_agent
) -> None:
    make_agent("rina")
    make_agent("budi")
    make_agent("sari", role="supervisor")
    make_agent("adi", role="admin")
    reference, handoff_id = complaint_in_handoff("w" * 32)
    rina, budi = await desk_for(desk_server, "rina"), await desk_for(desk_server, "budi")
    stage = f"/complaints/{reference}/stage"

    # Nobody handles the conversation yet: an agent may not move its complaint.
    early = await rina.post(stage, {"to_stage": "identified"})
    assert early.status_code == 403 and early.json()["error"] == "not_owner"
    assert (await rina.post(f"/handoffs/{handoff_id}/claim")).status_code == 200

    # Budi does not handle this customer's conversation.
    refused = await budi.post(stage, {"to_stage": "identified"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_owner" and refused.json()["message"]
    assert complaints.get_complaint(reference).stage == "received"
    page = (await budi.client.get(f"/desk/handoffs/{handoff_id}")).text
    assert 'class="stage-form"' not in page  # and no control is offered to him

    moved = await rina.post(stage, {"to_stage": "identified"})
    assert moved.status_code == 200
    sari = await desk_for(desk_server, "sari")
    assert (await sari.post(stage, {"to_stage": "analysed"})).status_code == 200
    adi = await desk_for(desk_server, "adi")
    assert (await adi.post(stage, {"to_stage": "resolved"})).status_code == 200
    assert complaints.get_complaint(reference).stage == "resolved"

    # After the conversation is closed, the agent no longer holds it.
    assert (await rina.post(f"/handoffs/{handoff_id}/close")).status_code == 200
    assert (await rina.post(stage, {"to_stage": "closed"})).status_code == 403
    # An unknown complaint is still a 404 for an agent, not a hint via 403.
    unknown = await rina.post("/complaints/CMP-2026-999999/stage", {"to_stage": "identified"})
    assert unknown.status_code == 404


async def test_notes_on_another_agents_conversation_are_refused(desk_server, make_agent) -> None:
    make_agent("rina")
    make_agent("budi")
    make_agent("sari", role="supervisor")
    handoff_id = handoffs.open_handoff(
        "web-n", "socketio", None, "customer_request", {}, [], "n1"
    ).id
    rina, budi = await desk_for(desk_server, "rina"), await desk_for(desk_server, "budi")
    # Waiting (nobody's yet): any agent may leave a note for whoever takes it.
    assert (
        await budi.post(f"/handoffs/{handoff_id}/note", {"text": "pelanggan VIP"})
    ).status_code == 200
    await rina.post(f"/handoffs/{handoff_id}/claim")
    refused = await budi.post(f"/handoffs/{handoff_id}/note", {"text": "ikut campur"})
    assert refused.status_code == 403 and refused.json()["error"] == "not_owner"
    assert (await rina.post(f"/handoffs/{handoff_id}/note", {"text": "cek KAL"})).status_code == 200
    sari = await desk_for(desk_server, "sari")
    assert (await sari.post(f"/handoffs/{handoff_id}/note", {"text": "pantau"})).status_code == 200
    assert [m.text for m in handoffs.messages(handoff_id) if m.sender == "note"] == [
        "pelanggan VIP",
        "cek KAL",
        "pantau",
    ]
    await rina.post(f"/handoffs/{handoff_id}/close")
    late = await rina.post(f"/handoffs/{handoff_id}/note", {"text": "sesudah selesai"})
    assert late.status_code == 409


async def test_claim_reply_and_close_respect_ownership(desk_server, make_agent) -> None:
    rina_record = make_agent("rina")
    make_agent("budi")
    make_agent("adi", role="admin")
    handoff_id = handoffs.open_handoff(
        "web-c", "socketio", None, "customer_request", {}, [], "c1"
    ).id
    rina, budi = await desk_for(desk_server, "rina"), await desk_for(desk_server, "budi")
    # An agent may not close a waiting conversation (hand it back unanswered); an admin may
    # act as a supervisor does.
    assert (await budi.post(f"/handoffs/{handoff_id}/close")).status_code == 409
    assert (await rina.post(f"/handoffs/{handoff_id}/claim")).status_code == 200
    stolen = await budi.post(f"/handoffs/{handoff_id}/claim")
    assert stolen.status_code == 409
    assert handoffs.get_handoff(handoff_id).agent_id == rina_record.id
    assert (await budi.post(f"/handoffs/{handoff_id}/reply", {"text": "x"})).status_code == 403
    assert (await budi.post(f"/handoffs/{handoff_id}/close")).status_code == 403
    adi = await desk_for(desk_server, "adi")
    assert (await adi.post(f"/handoffs/{handoff_id}/reply", {"text": "Halo"})).status_code == 200
    assert (await adi.post(f"/handoffs/{handoff_id}/close")).status_code == 200


async def test_supervisor_pages_are_for_supervisors_and_admins(desk_server, make_agent) -> None:
    make_agent("rina")
    make_agent("adi", role="admin")
    rina = await desk_server.login("rina")
    assert (await rina.get("/desk/api/stats")).status_code == 403
    assert (await rina.get("/desk/supervisor")).status_code == 403
    assert 'href="/desk/supervisor"' not in (await rina.get("/desk/")).text
    adi = await desk_server.login("adi")
    assert (await adi.get("/desk/api/stats")).status_code == 200
    assert (await adi.get("/desk/supervisor")).status_code == 200
    assert 'href="/desk/supervisor"' in (await adi.get("/desk/")).text
