"""A widget customer waiting longer than the maximum is offered a callback, once (worker job)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.crm import customers, handoffs
from bot.crm.db import session_scope
from bot.crm.models import Handoff, Notification
from bot.crm.sqltypes import utcnow
from bot.notify.queue_wait import offer_callbacks
from bot.notify.senders import Composer, OutgoingNotification


def _waiting(url: str, sender: str, channel: str, minutes_ago: float, lang: str = "id") -> int:
    customer = customers.resolve_customer(channel, sender, url=url)
    record = handoffs.open_handoff(
        sender, channel, customer.id, "request", {"language": lang}, [], f"k-{sender}", url=url
    )
    with session_scope(url) as session:
        session.get(Handoff, record.id).queued_at = utcnow() - timedelta(minutes=minutes_ago)
    return record.id


def test_offer_after_the_maximum_wait_once_per_handoff(
    sqlite_crm_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_crm_url
    monkeypatch.setenv("HANDOFF_MAX_WAIT_MINUTES", "15")
    long_wait = _waiting(url, "a" * 32, "socketio", 20, lang="en")
    _waiting(url, "b" * 32, "socketio", 5)  # not yet
    _waiting(url, "6281234567890", "whatsapp", 30)  # no leave-queue button there (yet)
    claimed = _waiting(url, "c" * 32, "socketio", 40)
    with session_scope(url) as session:
        session.get(Handoff, claimed).status = "active"

    assert offer_callbacks(url) == 1
    assert offer_callbacks(url) == 0  # the next tick (or another worker) adds nothing
    with session_scope(url) as session:
        [row] = session.execute(sa.select(Notification)).scalars()
        assert (row.kind, row.channel, row.recipient) == ("queue_max_wait", "widget", "a" * 32)
        assert row.payload["handoff_id"] == long_wait
        text = (
            Composer()
            .render(
                OutgoingNotification(
                    id=row.id,
                    kind=row.kind,
                    channel=row.channel,
                    recipient=row.recipient,
                    language=row.language,
                    idempotency_key=row.idempotency_key,
                    attempt=0,
                    reference=None,
                    payload=dict(row.payload),
                )
            )
            .text
        )
    assert "more than 15 minutes" in text and "Leave queue" in text


def test_zero_turns_the_offer_off(sqlite_crm_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_MAX_WAIT_MINUTES", "0")
    _waiting(sqlite_crm_url, "d" * 32, "socketio", 120)
    assert offer_callbacks(sqlite_crm_url) == 0
