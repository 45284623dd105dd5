"""An agent reply to a widget customer whose page is closed is not lost (issue 15).

The desk runs in a real Rasa server app with the project's webchat channel registered; the
widget's socket state is the channel's own (no socket: offline). The reply goes to the outbox
in the same transaction, the desk marks it, the worker keeps it for the customer's return (or
e-mails it), and once the widget has shown it the desk says "delivered"."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from desk_helpers import api_csrf

from bot.bus import InProcessBus
from bot.channels.webchat import WebchatInput
from bot.config import get_worker_settings
from bot.crm import handoffs
from bot.crm.db import session_scope
from bot.crm.models import Customer, CustomerIdentity, HandoffMessage, Notification
from bot.notify.agent_reply import acknowledge, inbox
from bot.notify.senders import WidgetSender
from bot.notify.worker import Worker

SESSION = "c" * 32


def _widget(desk_server) -> WebchatInput:
    channel = WebchatInput()
    desk_server.app.ctx.input_channels.append(channel)
    return channel


async def _claimed(desk_server, make_agent, customer_id: int | None = None) -> tuple[Any, Any, str]:
    make_agent("rina", display_name="Rina", online=True)
    record = handoffs.open_handoff(
        SESSION, "socketio", customer_id, "customer_request", {}, [], f"k-{SESSION}"
    )
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    await client.post(f"/desk/api/handoffs/{record.id}/claim", headers={"X-CSRF-Token": token})
    return record, client, token


async def _reply(client, token: str, handoff_id: int, text: str) -> dict[str, Any]:
    response = await client.post(
        f"/desk/api/handoffs/{handoff_id}/reply",
        json={"text": text},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200
    return response.json()


async def _agent_line(client, handoff_id: int, text: str) -> dict[str, Any]:
    view = (await client.get(f"/desk/api/handoffs/{handoff_id}")).json()
    (line,) = [line for line in view["transcript"] if line["text"] == text]
    return line


def _worker(desk_db: str, online: bool) -> Worker:
    sender = WidgetSender(bus=InProcessBus(), presence=lambda session_id: online)
    return Worker(desk_db, settings=get_worker_settings(), senders={"widget": sender})


async def test_offline_reply_is_queued_kept_and_delivered_when_the_customer_returns(
    desk_server, make_agent, desk_db
) -> None:
    _widget(desk_server)
    record, client, token = await _claimed(desk_server, make_agent)

    result = await _reply(client, token, record.id, "Sertifikat Bapak sudah kami kirim.")

    assert result["delivered"] is False
    line = await _agent_line(client, record.id, "Sertifikat Bapak sudah kami kirim.")
    assert line["delivery"]["state"] == "queued"
    with session_scope(desk_db, readonly=True) as session:
        message = session.get(HandoffMessage, result["message_id"])
        assert message is not None and message.delivery == "offline"
        notification = session.get(Notification, message.notification_id)
        assert notification is not None
        assert (notification.kind, notification.channel, notification.recipient) == (
            "agent_reply",
            "widget",
            SESSION,
        )
    listed = (await client.get(f"/desk/api/handoffs/{record.id}/notifications")).json()
    assert [
        (n["kind_label"], n["channel_label"], n["status"]) for n in listed["notifications"]
    ] == [("Balasan agen (pelanggan offline)", "Chat situs", "pending")]
    # In the business's time zone (WIB with the default profile; this test's profile moves it).
    assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d \S+", listed["notifications"][0]["created"])

    # The worker keeps it for the customer's return (nothing to push to).
    assert _worker(desk_db, online=False).run_once() == 1
    line = await _agent_line(client, record.id, "Sertifikat Bapak sudah kami kirim.")
    assert line["delivery"]["state"] == "held"

    # The customer comes back: the widget gets it from the history and acknowledges it.
    items = inbox(SESSION, url=desk_db)
    assert [(i["key"], i["sender"], i["agent_name"], i["text"]) for i in items] == [
        (f"hm-{result['message_id']}", "agent", "Rina", "Sertifikat Bapak sudah kami kirim.")
    ]
    done = acknowledge(SESSION, [items[0]["key"]], url=desk_db)
    assert done.handoff_ids == [record.id]
    line = await _agent_line(client, record.id, "Sertifikat Bapak sudah kami kirim.")
    assert line["delivery"] == {
        "state": "delivered",
        "label": "Diterima – tampil di chat pelanggan",
    }
    assert inbox(SESSION, url=desk_db) == []  # shown once
    with session_scope(desk_db, readonly=True) as session:
        assert session.get(Notification, message.notification_id).status == "delivered"


async def test_another_session_cannot_acknowledge_the_reply(desk_server, make_agent, desk_db):
    _widget(desk_server)
    record, client, token = await _claimed(desk_server, make_agent)
    result = await _reply(client, token, record.id, "Halo Kak")
    assert acknowledge("d" * 32, [f"hm-{result['message_id']}"], url=desk_db).message_ids == []
    assert len(inbox(SESSION, url=desk_db)) == 1


async def test_offline_customer_with_an_email_gets_it_by_email(
    desk_server, make_agent, desk_db
) -> None:
    _widget(desk_server)
    with session_scope(desk_db) as session:
        customer = Customer(name="Budi")
        session.add(customer)
        session.flush()
        session.add(
            CustomerIdentity(customer_id=customer.id, kind="email", value="budi@example.com")
        )
        customer_id = customer.id
    record, client, token = await _claimed(desk_server, make_agent, customer_id)
    result = await _reply(client, token, record.id, "Jadwal teknisi Senin pagi.")
    with session_scope(desk_db, readonly=True) as session:
        notification = session.execute(
            sa.select(Notification).where(Notification.kind == "agent_reply")
        ).scalar_one()
        assert (notification.channel, notification.recipient) == ("email", "budi@example.com")
        assert notification.payload["handoff_message_id"] == result["message_id"]
    # Once the worker has e-mailed it (tests/notify cover the sending), the desk says so.
    with session_scope(desk_db) as session:
        session.execute(
            sa.update(Notification).where(Notification.kind == "agent_reply").values(status="sent")
        )
    line = await _agent_line(client, record.id, "Jadwal teknisi Senin pagi.")
    assert line["delivery"]["state"] == "email"


async def test_a_connected_widget_gets_the_reply_live(desk_server, make_agent, desk_db) -> None:
    widget = _widget(desk_server)
    widget._sessions["socket-1"] = SESSION  # what session_request records for an open socket
    record, client, token = await _claimed(desk_server, make_agent)
    result = await _reply(client, token, record.id, "Halo, saya Rina.")
    assert result["delivered"] is True
    line = await _agent_line(client, record.id, "Halo, saya Rina.")
    assert line["delivery"]["state"] == "live"
    with session_scope(desk_db, readonly=True) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar() == 0


async def test_stop_during_a_handoff_is_noted_for_the_agent(desk_server, make_agent, desk_db):
    """The keyword never reaches the tracker: the agent sees it as an internal note."""
    from bot.channels.optout import consent_reply

    record, client, _ = await _claimed(desk_server, make_agent)
    reply = await consent_reply(SESSION, "socketio", "Stop kirim")
    assert reply is not None and reply.startswith("Baik,")
    view = (await client.get(f"/desk/api/handoffs/{record.id}")).json()
    notes = [line["text"] for line in view["transcript"] if line["sender"] == "note"]
    assert any("“STOP KIRIM”" in note and "berhenti" in note for note in notes)
