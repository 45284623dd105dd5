"""The handoff state machine through the desk: open -> claim -> messages -> close.

Runs the action server's handoff logic (``start_handoff``) and the desk's HTTP API,
websocket and event broker against a real Rasa server app, tracker store and lock store.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from desk_helpers import api_csrf
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered

from bot.crm import handoffs
from bot.desk.conversation import append_events
from bot.handoff.start import HandoffContext, start_handoff


def user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.99}, input_channel="recording")


async def request_human(desk_server, sender: str) -> Any:
    """What action_handoff does, run against the server's tracker."""
    await append_events(
        desk_server.agent,
        sender,
        [
            user("halo", "greet"),
            BotUttered("Halo Bapak/Ibu, ada yang bisa dibantu?"),
            user("saya mau bicara dengan CS <langsung>", "request_human"),
        ],
    )
    tracker = await desk_server.tracker(sender)
    context = HandoffContext(
        sender_id=sender,
        channel="recording",
        reason="customer_request",
        language="id",
        events=[event.as_dict() for event in tracker.events],
        slots=tracker.current_slot_values(),
    )
    result = await asyncio.to_thread(start_handoff, context)
    events = [BotUttered(m["text"]) for m in result.messages]
    if result.pause:
        events.append(ConversationPaused())
    await append_events(desk_server.agent, sender, events)
    return result


def outbox(desk_server) -> list[dict[str, Any]]:
    return desk_server.recording.outbox.messages


async def test_open_claim_talk_close(desk_server, make_agent) -> None:
    rina = make_agent("rina", display_name="Rina", online=True)
    sender = "web-cycle-1"
    result = await request_human(desk_server, sender)
    # The customer is told honestly: agents online, queue position, agent hours.
    assert result.kind == "queued" and result.pause
    text = result.messages[0]["text"]
    assert "1 agen online" in text and "nomor 1" in text and "Jam layanan agen" in text
    assert (await desk_server.tracker(sender)).is_paused()
    record = handoffs.active_handoff_for(sender)
    assert record.reason == "customer_request"
    assert [line["text"] for line in record.transcript if line["sender"] == "customer"] == [
        "halo",
        "saya mau bicara dengan CS <langsung>",
    ]

    client = await desk_server.login("rina")
    token = await api_csrf(client)
    queue = (await client.get("/desk/api/queue")).json()
    assert [(w["handoff_id"], w["reason_label"]) for w in queue["waiting"]] == [
        (record.id, "Pelanggan minta agen")
    ]

    claimed = await client.post(
        f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": token}
    )
    assert claimed.status_code == 200
    assert outbox(desk_server)[-1]["text"].startswith(
        "Rina dari tim customer service sudah bergabung"
    )

    reply = await client.post(
        f"/desk/api/handoffs/{record.id}/reply",
        json={"text": "Selamat siang, ada yang bisa saya bantu?"},
        headers={"X-CSRF-Token": token},
    )
    assert reply.json()["delivered"] is True
    assert outbox(desk_server)[-1] == {
        "recipient_id": sender,
        "text": "Selamat siang, ada yang bisa saya bantu?",
    }
    tracker = await desk_server.tracker(sender)
    agent_events = [
        e for e in tracker.events if isinstance(e, BotUttered) and (e.metadata or {}).get("agent")
    ]
    assert agent_events[-1].text == "Selamat siang, ada yang bisa saya bantu?"
    assert agent_events[-1].metadata["agent"] == "Rina"
    assert tracker.is_paused()

    # The customer writes while paused: stored for the agent by the event broker.
    await append_events(
        desk_server.agent, sender, [user("sertifikat saya belum datang", "check_status")]
    )
    await desk_server.broker.flush()
    stored = handoffs.messages(record.id)
    assert [(m.sender, m.text) for m in stored] == [
        ("agent", "Selamat siang, ada yang bisa saya bantu?"),
        ("customer", "sertifikat saya belum datang"),
    ]

    note = await client.post(
        f"/desk/api/handoffs/{record.id}/note",
        json={"text": "cek status KAL dulu"},
        headers={"X-CSRF-Token": token},
    )
    assert note.status_code == 200
    assert all(m.get("text") != "cek status KAL dulu" for m in outbox(desk_server))  # never sent

    view = (await client.get(f"/desk/api/handoffs/{record.id}")).json()
    assert [(line["sender"], line["text"]) for line in view["transcript"]][-3:] == [
        ("agent", "Selamat siang, ada yang bisa saya bantu?"),
        ("customer", "sertifikat saya belum datang"),
        ("note", "cek status KAL dulu"),
    ]

    closed = await client.post(
        f"/desk/api/handoffs/{record.id}/close", headers={"X-CSRF-Token": token}
    )
    assert closed.status_code == 200
    assert handoffs.get_handoff(record.id).status == "closed"
    assert handoffs.active_handoff_for(sender) is None
    tracker = await desk_server.tracker(sender)
    assert not tracker.is_paused()
    assert tracker.get_slot("last_handoff_id") == record.id
    assert tracker.latest_action_name == "action_listen"
    closing, prompt = outbox(desk_server)[-2:]
    assert "sudah selesai" in closing["text"]
    assert [b["payload"] for b in prompt["buttons"]][:5] == [
        f'/give_feedback{{"feedback_rating": "{score}"}}' for score in (5, 4, 3, 2, 1)
    ]
    # Closing twice is refused cleanly.
    again = await client.post(
        f"/desk/api/handoffs/{record.id}/close", headers={"X-CSRF-Token": token}
    )
    assert again.status_code == 409
    assert rina.id == handoffs.get_handoff(record.id).agent_id


async def test_two_agents_claiming_at_once_get_one_owner(desk_server, make_agent) -> None:
    make_agent("rina", online=True)
    make_agent("budi", online=True)
    await request_human(desk_server, "web-race-1")
    record = handoffs.active_handoff_for("web-race-1")
    rina, budi = await desk_server.login("rina"), await desk_server.login("budi")
    tokens = await api_csrf(rina), await api_csrf(budi)
    responses = await asyncio.gather(
        rina.post(f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": tokens[0]}),
        budi.post(f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": tokens[1]}),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = "rina" if responses[0].status_code == 200 else "budi"
    owner = handoffs.get_handoff(record.id).agent_id
    from bot.crm import agents

    assert agents.get_agent(owner).username == winner
    # Exactly one "joined" message reached the customer.
    assert sum("sudah bergabung" in m["text"] for m in outbox(desk_server)) == 1


async def test_desk_sees_customer_messages_live_and_replies_over_the_websocket(
    desk_server, make_agent
) -> None:
    make_agent("rina", display_name="Rina", online=True)
    await request_human(desk_server, "web-live-1")
    record = handoffs.active_handoff_for("web-live-1")
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    await client.post(f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": token})
    url = desk_server.url.replace("http", "ws") + f"/desk/ws?csrf={token}"
    headers = {
        "Cookie": f"desk_session={client.cookies.get('desk_session')}",
        "Origin": desk_server.url,
    }
    async with websockets.connect(url, extra_headers=headers) as ws:
        assert json.loads(await ws.recv())["kind"] == "hello"
        await append_events(
            desk_server.agent, "web-live-1", [user("halo? masih di sana?", "greet")]
        )
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert event["kind"] == "customer_message"
        assert (event["handoff_id"], event["text"]) == (record.id, "halo? masih di sana?")
        await ws.send(
            json.dumps(
                {
                    "action": "reply",
                    "handoff_id": record.id,
                    "text": "Masih, Bu.",
                    "csrf_token": token,
                }
            )
        )
        seen = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]
        assert {e["kind"] for e in seen} == {"agent_message", "reply_ok"}
        # A reply frame without the CSRF token is refused.
        await ws.send(json.dumps({"action": "reply", "handoff_id": record.id, "text": "x"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {
            "kind": "error",
            "error": "csrf",
        }
    assert desk_server.recording.outbox.messages[-1]["text"] == "Masih, Bu."


async def test_socketio_conversations_are_delivered_through_the_bus(
    desk_server, make_agent
) -> None:
    """Live-connection channels are reached via the bus topic 'deliver' (any replica)."""
    from rasa.core.channels.socketio import SocketIOInput

    from bot.bus import TOPIC_DELIVER, get_bus

    desk_server.app.ctx.input_channels.append(SocketIOInput())
    published: list[dict[str, Any]] = []

    async def on_deliver(payload: dict[str, Any]) -> None:
        published.append(payload)

    get_bus().subscribe(TOPIC_DELIVER, on_deliver)
    make_agent("rina", display_name="Rina", online=True)
    sender = "a" * 32
    record = handoffs.open_handoff(sender, "socketio", None, "customer_request", {}, [], "k-socket")
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    await client.post(f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": token})
    reply = await client.post(
        f"/desk/api/handoffs/{record.id}/reply",
        json={"text": "Halo Kak"},
        headers={"X-CSRF-Token": token},
    )
    message_id = reply.json()["message_id"]
    assert published[-1] == {
        "channel": "socketio",
        "recipient_id": sender,
        # The key lets the widget show it once and acknowledge it (issue 15).
        "message": {
            "text": "Halo Kak",
            "agent_name": "Rina",
            "metadata": {"key": f"hm-{message_id}"},
        },
    }


async def test_rest_conversations_keep_the_reply_in_the_transcript(desk_server, make_agent) -> None:
    """REST cannot push: the agent is told, and the reply is still in the tracker."""
    make_agent("rina", online=True)
    record = handoffs.open_handoff(
        "rest-user-1", "rest", None, "customer_request", {}, [], "k-rest"
    )
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    await client.post(f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": token})
    reply = await client.post(
        f"/desk/api/handoffs/{record.id}/reply",
        json={"text": "Halo"},
        headers={"X-CSRF-Token": token},
    )
    assert reply.status_code == 200 and reply.json()["delivered"] is False
    tracker = await desk_server.tracker("rest-user-1")
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)][-1] == "Halo"


async def test_empty_and_oversized_replies_are_refused(desk_server, make_agent) -> None:
    make_agent("rina", online=True)
    record = handoffs.open_handoff(
        "web-long", "recording", None, "customer_request", {}, [], "k-long"
    )
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    await client.post(f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": token})
    for text, code in (("   ", "empty"), ("x" * 4001, "too_long"), (None, "empty")):
        response = await client.post(
            f"/desk/api/handoffs/{record.id}/reply",
            json={"text": text},
            headers={"X-CSRF-Token": token},
        )
        assert (response.status_code, response.json()["error"]) == (400, code)
    assert handoffs.messages(record.id) == []
    missing = await client.post("/desk/api/handoffs/999999/claim", headers={"X-CSRF-Token": token})
    assert missing.status_code == 404


async def test_concurrent_claims_on_the_shared_database_have_one_winner(
    any_desk_db, make_agent
) -> None:
    """Two replicas' desks claiming at once (SQLite and PostgreSQL): one owner, one join message."""
    from desk_helpers import RecordingChannel
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    from bot.bus import InProcessBus
    from bot.desk import service

    domain = Domain.empty()
    rasa_agent = Agent(
        domain=domain, tracker_store=InMemoryTrackerStore(domain), lock_store=InMemoryLockStore()
    )
    channel = RecordingChannel()
    channel.outbox.messages.clear()
    desk = service.Desk(rasa_agent, [channel], InProcessBus())
    claimers = [make_agent(f"agent{i}") for i in range(4)]
    record = handoffs.open_handoff(
        "web-pg-race", "recording", None, "customer_request", {}, [], "k-pg-race"
    )

    async def attempt(agent: Any) -> str:
        try:
            await service.claim(desk, record.id, agent)
            return "won"
        except service.DeskError as exc:
            return exc.code

    results = await asyncio.gather(*(attempt(agent) for agent in claimers))
    assert sorted(results) == ["already_claimed"] * 3 + ["won"]
    winner = claimers[results.index("won")]
    assert handoffs.get_handoff(record.id).agent_id == winner.id
    assert [m["text"].split(" dari ")[0] for m in channel.outbox.messages] == [winner.display_name]
