"""Consent and opt-out at send time (issue 15): STOP stops everything the worker would send,
START gives it back, reminders need consent, and every decision is recorded with its time
and channel. The channel side (keywords intercepted before Rasa, during a handoff too) is
tested in tests/channels/test_channel_consent.py."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.crm import consents
from bot.crm.db import session_scope
from bot.crm.models import Consent, Conversation, Customer, Notification
from bot.crm.sqltypes import utcnow
from bot.notify.consent import blocked_reason, handle_keyword, match_keyword
from bot.notify.outbox import enqueue
from tests.notify.conftest import MakeWorker
from tests.notify.fakes import FakeGraph, FakeSMTP

WA_ID = "6281234567890"
EMAIL = "budi@example.com"


def _customer(url: str) -> int:
    with session_scope(url) as session:
        customer = Customer(name="Budi Santoso")
        session.add(customer)
        session.flush()
        session.add(Conversation(sender_id=WA_ID, channel="whatsapp", customer_id=customer.id))
        return int(customer.id)


def _enqueue(url: str, key: str, customer_id: int | None = None, **kwargs: Any) -> int:
    args: dict[str, Any] = {
        "kind": "stage_changed",
        "channel": "whatsapp",
        "recipient": WA_ID,
        "reference": "KAL-2026-0042",
        "payload": {"stage": "quotation_sent"},
        "customer_id": customer_id,
    } | kwargs
    with session_scope(url) as session:
        return enqueue(session, idempotency_key=key, **args).id


def _status(url: str, nid: int) -> tuple[str, str | None]:
    with session_scope(url, readonly=True) as session:
        row = session.get(Notification, nid)
        assert row is not None
        return row.status, row.last_error


def _customer_wrote_now(url: str) -> None:
    from bot.crm.dedupe import claim_inbound_message

    claim_inbound_message("whatsapp", f"wamid.in.{utcnow().timestamp()}", sender_id=WA_ID, url=url)


def test_keywords_match_whole_messages_only() -> None:
    assert match_keyword("STOP") == ("stop", "opt_out", None)
    assert match_keyword("  Stop   Kirim! ") == ("stop kirim", "opt_out", "id")
    assert match_keyword("berhenti.") == ("berhenti", "opt_out", "id")
    assert match_keyword("Unsubscribe") == ("unsubscribe", "opt_out", "en")
    assert match_keyword("mulai lagi") == ("mulai lagi", "opt_in", "id")
    assert match_keyword("Langganan lagi") == ("langganan lagi", "opt_in", "id")
    assert match_keyword("START") == ("start", "opt_in", None)
    assert match_keyword("stop dulu, saya mau tanya harga") is None
    assert match_keyword("berhentikan langganan") is None


def test_opt_out_stops_a_pending_notification_and_everything_later(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph, fake_smtp: FakeSMTP
) -> None:
    customer_id = _customer(crm_url)
    _customer_wrote_now(crm_url)
    pending = _enqueue(crm_url, "stage:1", customer_id)

    reply = handle_keyword("whatsapp", WA_ID, "STOP", url=crm_url)
    assert reply is not None and reply.cancelled == 1
    assert "tidak akan mengirim pemberitahuan" in reply.text and "Bapak/Ibu" in reply.text

    later_wa = _enqueue(crm_url, "stage:2", customer_id, payload={"stage": "scheduled"})
    # The same customer by e-mail: STOP on one channel stops the others too.
    later_mail = _enqueue(crm_url, "stage:3", customer_id, channel="email", recipient=EMAIL)
    worker = make_worker()
    worker.run_once()
    assert fake_graph.sent() == [] and fake_smtp.messages == []
    for nid in (pending, later_wa, later_mail):
        status, error = _status(crm_url, nid)
        assert status == "cancelled" and error is not None and "opted out" in error


def test_opt_in_again_sends_again(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph
) -> None:
    customer_id = _customer(crm_url)
    _customer_wrote_now(crm_url)
    handle_keyword("whatsapp", WA_ID, "berhenti", url=crm_url)
    reply = handle_keyword("whatsapp", WA_ID, "mulai lagi", url=crm_url)
    assert reply is not None and reply.action == "opt_in" and "Terima kasih" in reply.text

    nid = _enqueue(crm_url, "stage:after-start", customer_id)
    make_worker().run_once()
    assert _status(crm_url, nid)[0] == "sent"


def test_consent_records_time_channel_and_keyword(crm_url: str) -> None:
    customer_id = _customer(crm_url)
    before = utcnow()
    handle_keyword("twilio", f"whatsapp:+{WA_ID}", "Stop Kirim", url=crm_url)
    handle_keyword("socketio", "a" * 32, "START", language="en", url=crm_url)
    with session_scope(crm_url, readonly=True) as session:
        rows = session.execute(sa.select(Consent).order_by(Consent.id)).scalars().all()
        got = [
            (r.channel, r.address, r.via, r.keyword, r.purpose, r.granted, r.customer_id)
            for r in rows
        ]
        assert all(before <= r.at <= utcnow() for r in rows)
    assert got == [
        ("whatsapp", WA_ID, "twilio", "stop kirim", "all", False, customer_id),
        ("widget", "a" * 32, "socketio", "start", "all", True, None),
    ]


def test_english_stop_is_confirmed_in_english(crm_url: str) -> None:
    reply = handle_keyword("socketio", "b" * 32, "STOP", language="en", url=crm_url)
    assert reply is not None and reply.text.startswith("Done. We will not send you")
    assert handle_keyword("rest", "web-1", "unsubscribe", url=crm_url) is not None


def test_reminders_need_consent_transactional_updates_do_not(crm_url: str) -> None:
    customer_id = _customer(crm_url)
    with session_scope(crm_url) as session:
        assert blocked_reason(session, "whatsapp", WA_ID, customer_id) is None
        assert blocked_reason(session, "whatsapp", WA_ID, customer_id, "reminders") == (
            "cancelled: no consent to reminders"
        )
        consents.record(
            session, channel="whatsapp", address=WA_ID, customer_id=customer_id,
            purpose="reminders", granted=True, source="asked", via="whatsapp",
        )  # fmt: skip
    with session_scope(crm_url) as session:
        assert blocked_reason(session, "email", EMAIL, customer_id, "reminders") is None
    handle_keyword("whatsapp", WA_ID, "STOP", url=crm_url)
    with session_scope(crm_url) as session:
        assert blocked_reason(session, "email", EMAIL, customer_id, "reminders") is not None
