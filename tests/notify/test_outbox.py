"""The outbox write: one row per idempotency key, committed or rolled back with its change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.crm.db import session_scope
from bot.crm.models import Notification
from bot.notify.outbox import enqueue


def _rows(url: str) -> list[Notification]:
    with session_scope(url, readonly=True) as session:
        rows = session.execute(sa.select(Notification)).scalars().all()
        session.expunge_all()
        return list(rows)


def test_a_notification_is_pending_and_due_now(crm_url: str) -> None:
    with session_scope(crm_url) as session:
        result = enqueue(
            session,
            kind="otp_code",
            channel="email",
            recipient="budi@example.com",
            idempotency_key="otp:1",
            payload={"code_hint": "x"},
        )
    assert result.created
    (row,) = _rows(crm_url)
    assert (row.status, row.attempts, row.channel, row.kind) == ("pending", 0, "email", "otp_code")
    assert row.next_attempt_at is not None and row.sent_at is None


def test_the_same_key_twice_stores_one_row(crm_url: str) -> None:
    for _ in range(2):
        with session_scope(crm_url) as session:
            enqueue(
                session,
                kind="stage_changed",
                channel="whatsapp",
                recipient="6281234567890",
                idempotency_key="stage:KAL-1:quotation_sent",
            )
    assert len(_rows(crm_url)) == 1


def test_a_duplicate_inside_one_transaction_keeps_the_callers_change(crm_url: str) -> None:
    with session_scope(crm_url) as session:
        first = enqueue(
            session, kind="k", channel="widget", recipient="web-1", idempotency_key="dup"
        )
        second = enqueue(
            session, kind="k", channel="widget", recipient="web-1", idempotency_key="dup"
        )
    assert first.created and not second.created and first.id == second.id
    assert len(_rows(crm_url)) == 1


def test_a_rolled_back_change_leaves_no_notification(crm_url: str) -> None:
    with pytest.raises(RuntimeError), session_scope(crm_url) as session:
        enqueue(session, kind="k", channel="email", recipient="a@b.id", idempotency_key="rb")
        raise RuntimeError("the change failed")
    assert _rows(crm_url) == []


@pytest.mark.parametrize(
    "field,value", [("channel", "sms"), ("language", "fr"), ("recipient", "  ")]
)
def test_bad_arguments_are_refused(crm_url: str, field: str, value: str) -> None:
    args = {"channel": "email", "language": "id", "recipient": "a@b.id"} | {field: value}
    with pytest.raises(ValueError), session_scope(crm_url) as session:
        enqueue(session, kind="k", idempotency_key="bad", **args)
