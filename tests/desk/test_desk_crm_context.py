"""The desk's CRM side: customer context, complaint stages, supervisor figures, the CLI."""

from __future__ import annotations

import subprocess
import sys

from desk_helpers import PASSWORD, api_csrf

from bot import PROJECT_ROOT
from bot.crm import agents, complaints, customers, feedback, handoffs
from bot.crm.db import get_engine, session_scope
from bot.crm.types import ComplaintInput, FeedbackInput


def customer_with_history(sender: str) -> tuple:
    customer = customers.resolve_customer("socketio", sender)
    customer = customers.remember_details(customer.id, name="Budi Santoso", company="PT Maju")
    with session_scope() as session:  # proven, as a one-time code typed back would do
        customers.verify_contact(session, customer.id, "phone", "0812-3456-7890")
    complaint = complaints.create_complaint(
        customer.id,
        ComplaintInput(
            category="late_certificate",
            description="Sertifikat <terlambat> 2 minggu",
            severity="high",
        ),
        f"cmp:{sender}",
    )
    feedback.record_feedback(
        customer.id, FeedbackInput(rating=2, kind="kritik", comment="lambat"), f"fb:{sender}"
    )
    record = handoffs.open_handoff(
        sender,
        "socketio",
        customer.id,
        "high_severity_complaint",
        {"contact_phone": "+6281234567890"},
        [],
        f"h:{sender}",
    )
    return customer, complaint, record


async def test_conversation_view_shows_crm_context_and_moves_the_complaint(
    desk_server, make_agent
) -> None:
    rina = make_agent("rina", display_name="Rina")
    _customer, complaint, record = customer_with_history("a" * 32)
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    # The stage controls belong to the agent handling the conversation: claim it first.
    unclaimed = (await client.get(f"/desk/handoffs/{record.id}")).text
    assert complaint.reference in unclaimed and 'class="stage-form"' not in unclaimed
    claimed = await client.post(
        f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": token}
    )
    assert claimed.status_code == 200
    page = (await client.get(f"/desk/handoffs/{record.id}")).text
    assert "Budi Santoso" in page and "PT Maju" in page and "+6281234567890" in page
    assert complaint.reference in page and "Sertifikat &lt;terlambat&gt; 2 minggu" in page
    assert "2/5 · kritik" in page and "Keluhan berat" in page
    # Only the allowed next stage is offered; skipping ahead is refused by the CRM.
    assert '<option value="identified">identified</option>' in page
    assert '<option value="resolved">' not in page
    skip = await client.post(
        f"/desk/api/complaints/{complaint.reference}/stage",
        json={"to_stage": "resolved"},
        headers={"X-CSRF-Token": token},
    )
    assert skip.status_code == 409
    moved = await client.post(
        f"/desk/api/complaints/{complaint.reference}/stage",
        json={"to_stage": "identified", "note": "keterlambatan di lab"},
        headers={"X-CSRF-Token": token},
    )
    assert moved.status_code == 200
    stored = complaints.get_complaint(complaint.reference)
    assert stored.stage == "identified"
    assert (stored.history[-1].note, stored.history[-1].agent_id) == (
        "keterlambatan di lab",
        rina.id,
    )
    unknown = await client.post(
        "/desk/api/complaints/CMP-2026-999999/stage",
        json={"to_stage": "identified"},
        headers={"X-CSRF-Token": token},
    )
    assert unknown.status_code == 404


async def test_supervisor_sees_queue_handoffs_waits_and_csat(desk_server, make_agent) -> None:
    make_agent("sari", role="supervisor", display_name="Sari")
    rina = make_agent("rina", display_name="Rina", online=True)
    first = handoffs.open_handoff("web-1", "socketio", None, "customer_request", {}, [], "s1")
    handoffs.open_handoff("web-2", "socketio", None, "not_helpful", {}, [], "s2")
    handoffs.claim(first.id, rina.id)
    handoffs.close(first.id, rina.id)
    customer = customers.resolve_customer("socketio", "web-1")
    feedback.record_feedback(customer.id, FeedbackInput(rating=4, handoff_id=first.id), "fb-s1")
    client = await desk_server.login("sari")
    stats = (await client.get("/desk/api/stats")).json()
    assert stats["stats"]["queue_length"] == 1
    assert stats["stats"]["handoffs_today"] == 2
    assert stats["stats"]["csat_after_handoff"] == 4.0 and stats["stats"]["csat_responses"] == 1
    assert stats["stats"]["median_wait_seconds"] is not None
    assert stats["online_agents"] == ["Rina", "Sari"]  # Sari's open desk counts too
    page = (await client.get("/desk/supervisor")).text
    assert "CSAT setelah handoff" in page and ">4.0<" in page
    agent_page = await (await desk_server.login("rina")).get("/desk/supervisor")
    assert agent_page.status_code == 403


def test_cli_creates_an_agent_who_can_log_in(desk_db, tmp_path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(PROJECT_ROOT),
        "CRM_DATABASE_URL": desk_db,
        "BOT_VAR_DIR": str(tmp_path),
        "HOME": str(tmp_path),
    }
    command = [
        sys.executable,
        "-m",
        "bot",
        "agent",
        "create",
        "Rina",
        "--name",
        "Rina Wulandari",
        "--role",
        "supervisor",
        "--password-stdin",
    ]
    done = subprocess.run(
        command,
        input=PASSWORD + "\n",
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "rina" in done.stdout and "/desk/" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr
    with get_engine(desk_db).connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT password_hash FROM agents WHERE username = 'rina'"
        ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # the production work factor
    record = agents.authenticate("rina", PASSWORD)
    assert (record.display_name, record.role) == ("Rina Wulandari", "supervisor")
    again = subprocess.run(
        command,
        input=PASSWORD + "\n",
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    weak = subprocess.run(
        [*command[:5], "budi", "--password-stdin"],
        input="short\n",
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert weak.returncode == 2 and "at least 8" in weak.stderr
