"""Issue 16: canned replies (agents use, supervisors manage), labels, transfers, team queues.

Through the desk's real HTTP API (Sanic server built by Rasa's configure_app), on SQLite and
PostgreSQL (``any_desk_db``): role checks on every canned-reply operation, placeholders filled from the
conversation, a transfer to a colleague or a team (customer told, note kept, row re-checked),
labels and the queue's team/label filters.
"""

from __future__ import annotations

from typing import Any

from desk_helpers import api_csrf

from bot.crm import customers, deskteam, handoffs


class Desk:
    def __init__(self, client: Any, token: str) -> None:
        self.client, self.token = client, token

    async def post(self, path: str, body: dict | None = None, token: str | None = None):
        return await self.client.post(
            f"/desk/api{path}", json=body or {}, headers={"X-CSRF-Token": token or self.token}
        )

    async def get(self, path: str):
        return await self.client.get(f"/desk/api{path}")


async def desk_for(desk_server: Any, username: str) -> Desk:
    client = await desk_server.login(username)
    return Desk(client, await api_csrf(client))


def waiting_handoff(sender: str, reason: str = "customer_request", name: str | None = None) -> int:
    customer = customers.resolve_customer("recording", sender)
    if name:
        customers.remember_details(customer.id, name=name)
    return handoffs.open_handoff(sender, "recording", customer.id, reason, {}, [], f"h:{sender}").id


CANNED = {
    "shortcut": "salam",
    "title": "Salam pembuka",
    "text_id": "Halo {nama}, terkait {referensi} kami bantu cek ya.",
    "text_en": "Hello {nama}, we are checking {referensi} for you.",
}


async def test_agents_use_canned_replies_only_supervisors_manage_them(
    desk_server, make_agent
) -> None:
    make_agent("rina")
    make_agent("sari", role="supervisor")
    make_agent("adi", role="admin")
    rina, sari = await desk_for(desk_server, "rina"), await desk_for(desk_server, "sari")

    refused = await rina.post("/canned", CANNED)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert deskteam.list_canned() == []

    created = await sari.post("/canned", CANNED)
    assert created.status_code == 200
    canned_id = created.json()["canned"]["id"]
    duplicate = await sari.post("/canned", CANNED)
    assert duplicate.status_code == 409
    bad = await sari.post("/canned", {**CANNED, "shortcut": "Salam Pagi!"})
    assert bad.status_code == 400 and bad.json()["error"] == "shortcut"
    no_csrf = await sari.post("/canned", {**CANNED, "shortcut": "lain"}, token="wrong")
    assert no_csrf.status_code == 403

    # Every agent reads them; only supervisors and admins change or delete them.
    listed = (await rina.get("/canned")).json()["canned"]
    assert [c["shortcut"] for c in listed] == ["salam"]
    edit = {**CANNED, "title": "Diubah"}
    assert (await rina.post(f"/canned/{canned_id}", edit)).status_code == 403
    assert (await rina.post(f"/canned/{canned_id}/delete")).status_code == 403
    assert deskteam.get_canned(canned_id).title == "Salam pembuka"
    adi = await desk_for(desk_server, "adi")
    assert (await adi.post(f"/canned/{canned_id}", edit)).status_code == 200
    assert deskteam.get_canned(canned_id).title == "Diubah"
    assert (await sari.post(f"/canned/{canned_id}/delete")).status_code == 200
    assert deskteam.list_canned() == []
    assert (await sari.post(f"/canned/{canned_id}/delete")).status_code == 404

    # The management page offers the edit controls to supervisors only.
    assert 'id="canned-form"' in (await sari.client.get("/desk/canned")).text
    assert 'id="canned-form"' not in (await rina.client.get("/desk/canned")).text


async def test_canned_replies_come_with_the_conversations_placeholders_filled(
    desk_server, make_agent
) -> None:
    agent = make_agent("rina", display_name="Rina")
    deskteam.save_canned(None, **CANNED, agent_id=agent.id)
    handoff_id = waiting_handoff("c" * 20, name="Budi Santoso")
    reference = handoffs.get_handoff(handoff_id).reference
    rina = await desk_for(desk_server, "rina")
    filled = (await rina.get(f"/handoffs/{handoff_id}/canned")).json()["canned"]
    assert filled[0]["text"] == f"Halo Budi Santoso, terkait {reference} kami bantu cek ya."

    # No name known: the profile's polite address form stands in.
    other = waiting_handoff("d" * 20)
    text = (await rina.get(f"/handoffs/{other}/canned")).json()["canned"][0]["text"]
    assert text.startswith("Halo Bapak/Ibu, terkait ")


async def test_an_agent_transfers_to_a_colleague_who_takes_over(desk_server, make_agent) -> None:
    make_agent("rina", display_name="Rina")
    dewi = make_agent("dewi", display_name="Dewi")
    make_agent("budi", display_name="Budi")
    handoff_id = waiting_handoff("t" * 20)
    rina, budi = await desk_for(desk_server, "rina"), await desk_for(desk_server, "budi")
    assert (await rina.post(f"/handoffs/{handoff_id}/claim")).status_code == 200

    # Only its agent (or a supervisor) passes it on, and a note is required.
    body = {"to_agent": dewi.id, "note": "Pelanggan tanya tagihan"}
    refused = await budi.post(f"/handoffs/{handoff_id}/transfer", body)
    assert refused.status_code == 403 and refused.json()["error"] == "not_owner"
    no_note = await rina.post(f"/handoffs/{handoff_id}/transfer", {"to_agent": dewi.id})
    assert no_note.status_code == 400

    moved = await rina.post(f"/handoffs/{handoff_id}/transfer", body)
    assert moved.status_code == 200
    record = handoffs.get_handoff(handoff_id)
    assert (record.status, record.agent_id) == ("active", dewi.id)
    # The customer is told who took over, through the channel.
    told = desk_server.recording.outbox.messages[-1]
    assert "dilanjutkan oleh Dewi" in told["text"]
    # The note stays internal, for the next agent.
    notes = [m.text for m in handoffs.messages(handoff_id) if m.sender == "note"]
    assert notes == ["Dialihkan ke Dewi oleh Rina: Pelanggan tanya tagihan"]
    # Rina no longer holds it: she cannot reply any more; Dewi can.
    assert (await rina.post(f"/handoffs/{handoff_id}/reply", {"text": "x"})).status_code == 403
    dewi_desk = await desk_for(desk_server, "dewi")
    ok = await dewi_desk.post(f"/handoffs/{handoff_id}/reply", {"text": "Halo, saya Dewi."})
    assert ok.status_code == 200


async def test_a_transfer_to_a_team_puts_it_back_in_that_teams_queue(
    desk_server, make_agent
) -> None:
    make_agent("rina", display_name="Rina")
    handoff_id = waiting_handoff("u" * 20)  # customer_request: the CS team's queue
    other_id = waiting_handoff("v" * 20, reason="price_negotiation")  # financing team
    rina = await desk_for(desk_server, "rina")
    queue = (await rina.get("/queue?team=cs")).json()
    assert [row["handoff_id"] for row in queue["waiting"]] == [handoff_id]
    assert queue["waiting"][0]["channel_label"] == "recording"  # unknown channel: as is
    assert (await rina.post(f"/handoffs/{handoff_id}/claim")).status_code == 200

    bad = await rina.post(f"/handoffs/{handoff_id}/transfer", {"to_team": "nope", "note": "x"})
    assert bad.status_code == 400
    moved = await rina.post(
        f"/handoffs/{handoff_id}/transfer", {"to_team": "teknis", "note": "Perlu teknisi lab"}
    )
    assert moved.status_code == 200
    record = handoffs.get_handoff(handoff_id)
    assert (record.status, record.agent_id) == ("waiting", None)
    assert "tim Laboratorium / Teknis" in desk_server.recording.outbox.messages[-1]["text"]
    teknis = (await rina.get("/queue?team=teknis")).json()["waiting"]
    assert [(r["handoff_id"], r["team_label"]) for r in teknis] == [
        (handoff_id, "Laboratorium / Teknis")
    ]
    financing = (await rina.get("/queue?team=pembiayaan")).json()["waiting"]
    assert [r["handoff_id"] for r in financing] == [other_id]
    # A transfer of a conversation no longer active is refused on the locked row.
    again = await rina.post(f"/handoffs/{handoff_id}/transfer", {"to_team": "cs", "note": "lagi"})
    assert again.status_code == 409 and again.json()["error"] == "not_active"


def test_the_transfer_rechecks_the_row_it_locked(any_desk_db, make_agent) -> None:
    """Two agents acting on stale pages: the second transfer sees the first one's result."""
    rina, dewi, budi = make_agent("rina"), make_agent("dewi"), make_agent("budi")
    handoff_id = waiting_handoff("w" * 20)
    assert handoffs.claim(handoff_id, rina.id)
    deskteam.transfer(handoff_id, rina.id, False, to_agent_id=dewi.id, note="a")
    try:
        deskteam.transfer(handoff_id, rina.id, False, to_agent_id=budi.id, note="b")
    except deskteam.TransferRefused as exc:
        assert exc.code == "not_owner"
    else:
        raise AssertionError("a stale transfer was applied")
    assert handoffs.get_handoff(handoff_id).agent_id == dewi.id
    assert [m.text for m in handoffs.messages(handoff_id) if m.sender == "note"] == ["a"]


async def test_labels_on_conversations_filter_the_queue_and_show_previews(
    desk_server, make_agent
) -> None:
    make_agent("rina")
    make_agent("budi")
    first = waiting_handoff("l" * 20)
    second = waiting_handoff("m" * 20)
    handoffs.add_message(second, "customer", "Tagihan saya dobel bulan ini")
    rina, budi = await desk_for(desk_server, "rina"), await desk_for(desk_server, "budi")

    saved = await rina.post(f"/handoffs/{second}/labels", {"labels": ["VIP", " tagihan ", "vip"]})
    assert saved.status_code == 200 and saved.json()["labels"] == ["tagihan", "vip"]
    bad = await rina.post(f"/handoffs/{first}/labels", {"labels": ["<script>"]})
    assert bad.status_code == 400

    vip = (await rina.get("/queue?label=vip")).json()["waiting"]
    assert [(r["handoff_id"], r["labels"], r["preview"]) for r in vip] == [
        (second, ["tagihan", "vip"], "Tagihan saya dobel bulan ini")
    ]
    assert len((await rina.get("/queue")).json()["waiting"]) == 2

    # On an active conversation only its agent (or a supervisor) changes the labels.
    assert (await rina.post(f"/handoffs/{second}/claim")).status_code == 200
    refused = await budi.post(f"/handoffs/{second}/labels", {"labels": []})
    assert refused.status_code == 403
    assert deskteam.labels_for([second])[second] == ["tagihan", "vip"]
    page = (await rina.client.get("/desk/")).text
    assert "Tagihan saya dobel bulan ini" in page and '<span class="label-chip">vip</span>' in page


def test_staff_screens_show_friendly_channel_names_and_wib_times(monkeypatch) -> None:
    from datetime import UTC, datetime

    from bot import PROJECT_ROOT
    from bot.config import get_settings
    from bot.desk import views

    monkeypatch.setenv("BUSINESS_PROFILE", str(PROJECT_ROOT / "data" / "business_profile.yml"))
    get_settings.cache_clear()
    assert views.channel_label("socketio") == "Widget situs"
    assert views.channel_label("whatsapp") == "WhatsApp"
    moment = datetime(2026, 12, 1, 7, 5, tzinfo=UTC)  # 14:05 in Jakarta
    assert views.local_time(moment.timestamp()) == "1 Des 14:05 WIB"
    assert views.local_time(moment) == "1 Des 14:05 WIB"
