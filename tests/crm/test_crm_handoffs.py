"""Handoffs: one open per conversation, queue order, atomic claim, messages, callbacks, stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bot.crm import handoffs
from bot.crm.agents import create_agent
from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.feedback import record_feedback
from bot.crm.models import Feedback, Handoff
from bot.crm.types import FeedbackInput


def _open(url: str, sender: str, key: str | None = None, reason: str = "request_human"):
    customer = resolve_customer("socketio", sender, url=url)
    return handoffs.open_handoff(
        sender,
        "socketio",
        customer.id,
        reason,
        {"amount": Decimal("150000000.00"), "instrument_type": "pressure gauge"},
        [{"from": "user", "text": "mau bicara dengan CS"}],
        key or f"{sender}:handoff",
        url=url,
    )


def test_open_stores_context_and_pauses_the_conversation(crm_url: str) -> None:
    record = _open(crm_url, "cust-1")
    assert record.created and record.status == "waiting" and record.reference.startswith("HOF-")
    assert record.captured_fields == {"amount": "150000000.00", "instrument_type": "pressure gauge"}
    assert record.transcript == [{"from": "user", "text": "mau bicara dengan CS"}]
    assert handoffs.active_handoff_for("cust-1", url=crm_url).id == record.id
    assert handoffs.active_handoff_for("someone-else", url=crm_url) is None


def test_second_open_returns_the_open_one(crm_url: str) -> None:
    first = _open(crm_url, "cust-1", key="k1")
    second = _open(crm_url, "cust-1", key="k2", reason="fallback")
    assert second.id == first.id and not second.created
    assert len(handoffs.queue(url=crm_url)) == 1


def test_racing_opens_for_one_sender_create_one(crm_url: str, race) -> None:
    resolve_customer("socketio", "cust-r", url=crm_url)
    results = race(lambda i: _open(crm_url, "cust-r", key=f"replica-{i}"), 8)
    assert len({r.id for r in results}) == 1
    assert sum(r.created for r in results) == 1


def test_queue_is_oldest_first_with_positions(crm_url: str) -> None:
    ids = [_open(crm_url, f"cust-{i}").id for i in range(3)]
    entries = handoffs.queue(url=crm_url)
    assert [e.handoff_id for e in entries] == ids
    assert [e.position for e in entries] == [1, 2, 3]
    assert all(e.waiting_seconds >= 0 and e.reason == "request_human" for e in entries)
    assert [handoffs.queue_position(i, url=crm_url) for i in ids] == [1, 2, 3]


def test_concurrent_claims_give_exactly_one_owner(crm_url: str, race) -> None:
    handoff = _open(crm_url, "cust-1")
    agents = [create_agent(f"agent{i}", "password-123", url=crm_url) for i in range(8)]
    results = race(lambda i: handoffs.claim(handoff.id, agents[i].id, url=crm_url), 8)
    assert sum(results) == 1
    winner = agents[results.index(True)]
    stored = handoffs.get_handoff(handoff.id, url=crm_url)
    assert (stored.status, stored.agent_id) == ("active", winner.id)
    assert stored.claimed_at is not None
    assert (
        handoffs.queue(url=crm_url) == []
        and handoffs.queue_position(handoff.id, url=crm_url) is None
    )


def test_messages_close_and_resume(crm_url: str) -> None:
    handoff = _open(crm_url, "cust-1")
    agent = create_agent("dina", "password-123", url=crm_url)
    assert handoffs.claim(handoff.id, agent.id, url=crm_url)
    first = handoffs.add_message(handoff.id, "customer", "halo? <b>", url=crm_url)
    handoffs.add_message(handoff.id, "agent", "Halo Kak, saya Dina", agent_id=agent.id, url=crm_url)
    handoffs.add_message(handoff.id, "note", "pelanggan lama", agent_id=agent.id, url=crm_url)
    assert [(m.sender, m.text) for m in handoffs.messages(handoff.id, url=crm_url)] == [
        ("customer", "halo? <b>"),
        ("agent", "Halo Kak, saya Dina"),
        ("note", "pelanggan lama"),
    ]
    assert len(handoffs.messages(handoff.id, after_id=first.id, url=crm_url)) == 2
    with pytest.raises(ValueError):
        handoffs.add_message(handoff.id, "robot", "x", url=crm_url)

    assert handoffs.close(handoff.id, agent.id, url=crm_url)
    assert not handoffs.close(handoff.id, agent.id, url=crm_url)
    assert handoffs.active_handoff_for("cust-1", url=crm_url) is None
    assert not handoffs.claim(handoff.id, agent.id, url=crm_url)
    # After closing, asking for a human again opens a new handoff.
    assert _open(crm_url, "cust-1", key="again").id != handoff.id


def test_callback_ticket(crm_url: str) -> None:
    handoff = _open(crm_url, "cust-1")
    assert handoffs.mark_callback(handoff.id, "whatsapp", "besok pagi", url=crm_url)
    stored = handoffs.get_handoff(handoff.id, url=crm_url)
    assert (stored.status, stored.callback_channel, stored.callback_time) == (
        "callback",
        "whatsapp",
        "besok pagi",
    )
    assert handoffs.active_handoff_for("cust-1", url=crm_url) is None  # the bot answers meanwhile
    assert [c.id for c in handoffs.callbacks(url=crm_url)] == [handoff.id]
    assert handoffs.queue(url=crm_url) == []
    with pytest.raises(ValueError):
        handoffs.mark_callback(handoff.id, "pigeon", None, url=crm_url)


def test_stats_for_a_day(crm_url: str) -> None:
    day = date(2026, 3, 2)
    base = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    agent = create_agent("dina", "password-123", url=crm_url)
    created = [_open(crm_url, f"s{i}") for i in range(4)]
    # (queued, claimed after s, closed after s); the last one is still waiting.
    timings = [(0, 60, 600), (10, 130, 430), (20, 320, None), (30, None, None)]
    with session_scope(crm_url) as session:
        for record, (queued, claimed, closed) in zip(created, timings, strict=False):
            row = session.get(Handoff, record.id)
            row.queued_at = base + timedelta(seconds=queued)
            row.claimed_at = base + timedelta(seconds=queued + claimed) if claimed else None
            row.closed_at = base + timedelta(seconds=queued + claimed + closed) if closed else None
            row.status = "closed" if closed else ("active" if claimed else "waiting")
            row.agent_id = agent.id if claimed else None
    customer = resolve_customer("socketio", "s0", url=crm_url)
    for i, rating in enumerate([5, 4]):
        record_feedback(
            customer.id,
            FeedbackInput(rating=rating, handoff_id=created[i].id),
            f"fb{i}",
            url=crm_url,
        )
    record_feedback(customer.id, FeedbackInput(rating=1), "not-after-handoff", url=crm_url)
    with session_scope(crm_url) as session:
        session.execute(sa.update(Feedback).values(created_at=base + timedelta(hours=1)))

    now = base + timedelta(seconds=30 + 500)  # the waiting customer has waited 500 s
    stats = handoffs.stats(day, url=crm_url, now=now)
    assert (stats.queue_length, stats.handoffs_today) == (1, 4)
    # Waits 60, 130, 320 and 500 (still waiting): the median counts the waiting customer.
    assert stats.median_wait_seconds == (130 + 320) / 2
    assert (stats.p90_wait_seconds, stats.waiting_counted) == (500, 1)
    # Handling: 600 and 430 closed, plus 190 s so far for the chat still open.
    assert stats.median_handling_seconds == 430
    assert (stats.csat_after_handoff, stats.csat_responses) == (4.5, 2)  # linked feedback only
    # Days are cut in the business time zone when one is given: 03:00 UTC is 10:00 in Jakarta.
    assert handoffs.stats(day, tz=timezone(timedelta(hours=7)), url=crm_url).handoffs_today == 4
    assert handoffs.stats(date(2026, 3, 3), url=crm_url).handoffs_today == 0
