"""The delivery worker in-process against fake providers, on SQLite and PostgreSQL.

Kill points are reproduced by running the worker's steps by hand and abandoning it where a
killed process would stop: all of the worker's state is in the database, so the next worker
sees exactly what it would see after ``kill -9``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.crm.db import session_scope
from bot.crm.dedupe import claim_inbound_message
from bot.crm.models import InboundMessage, Notification
from bot.crm.sqltypes import utcnow
from bot.notify.outbox import enqueue
from bot.notify.worker import Worker
from tests.notify.conftest import Clock, MakeWorker, worker_settings
from tests.notify.fakes import FakeGraph, FakeSMTP

WA_ID = "6281234567890"
EMAIL = "budi@example.com"
OTP_TEXT_ID = (
    "Kode verifikasi Anda: 123456. Berlaku 10 menit. Jangan berikan kode ini kepada siapa pun."
)


def _enqueue(url: str, key: str, **kwargs: Any) -> int:
    args: dict[str, Any] = {
        "kind": "stage_changed",
        "channel": "whatsapp",
        "recipient": WA_ID,
        "reference": "KAL-2026-0042",
        "payload": {"stage": "quotation_sent"},
    } | kwargs
    with session_scope(url) as session:
        return enqueue(session, idempotency_key=key, **args).id


def _row(url: str, notification_id: int) -> Notification:
    with session_scope(url, readonly=True) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        session.expunge(row)
        return row


def _customer_wrote(url: str, wa_id: str = WA_ID, hours_ago: float = 0) -> None:
    if hours_ago == 0:
        claim_inbound_message("whatsapp", f"wamid.in.{wa_id}", sender_id=wa_id, url=url)
        return
    with session_scope(url) as session:
        session.add(
            InboundMessage(
                channel="whatsapp",
                message_id=f"wamid.old.{wa_id}",
                sender_id=wa_id,
                received_at=utcnow() - timedelta(hours=hours_ago),
            )
        )


# ---- sending once -------------------------------------------------------------------------


def test_an_email_is_sent_once_multipart_with_the_reference_in_the_subject(
    crm_url: str, make_worker: MakeWorker, fake_smtp: FakeSMTP
) -> None:
    nid = _enqueue(crm_url, "stage:1", channel="email", recipient=EMAIL, language="en")
    worker = make_worker()
    assert worker.run_once() == 1
    assert worker.run_once() == 0  # nothing left: sent once

    (mail,) = fake_smtp.messages
    assert mail["To"] == EMAIL
    assert "KAL-2026-0042" in mail["Subject"]
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "KAL-2026-0042 is now: Quotation sent" in text.get_content()
    assert "Quotation sent" in html.get_content()
    row = _row(crm_url, nid)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, mail["Message-ID"])


def test_a_one_time_code_goes_out_by_email_in_indonesian(
    crm_url: str, make_worker: MakeWorker, fake_smtp: FakeSMTP
) -> None:
    _enqueue(
        crm_url, "otp:1", kind="otp_code", channel="email", recipient=EMAIL, reference=None,
        payload={"code": "123456"},
    )  # fmt: skip
    make_worker().run_once()
    (mail,) = fake_smtp.messages
    body = mail.get_body(("plain",))
    assert body is not None and body.get_content().strip() == OTP_TEXT_ID


def test_a_one_time_code_by_whatsapp_uses_the_authentication_template(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph
) -> None:
    nid = _enqueue(
        crm_url, "otp:2", kind="otp_code", recipient=WA_ID, reference=None,
        payload={"code": "654321"},
    )  # fmt: skip
    make_worker().run_once()
    (request,) = fake_graph.sent()
    template = request["template"]
    assert request["type"] == "template" and template["name"] == "kode_verifikasi_contoh"
    assert template["language"] == {"code": "id"}
    body, button = template["components"]
    assert body["parameters"] == [{"type": "text", "text": "654321"}]
    assert button["parameters"] == [{"type": "text", "text": "654321"}]
    assert _row(crm_url, nid).provider_message_id == "wamid.FAKE000001"


# ---- the WhatsApp 24-hour window ----------------------------------------------------------


def test_inside_the_24_hour_window_a_normal_text_is_sent(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph
) -> None:
    fake_graph.open_windows.add(WA_ID)
    _customer_wrote(crm_url, hours_ago=0)
    nid = _enqueue(crm_url, "stage:in")
    make_worker().run_once()
    (request,) = fake_graph.sent()
    assert request["type"] == "text"
    assert "KAL-2026-0042" in request["text"]["body"]
    assert "Penawaran harga telah dikirim" in request["text"]["body"]
    assert _row(crm_url, nid).status == "sent"


def test_outside_the_window_the_configured_template_is_sent(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph
) -> None:
    _customer_wrote(crm_url, hours_ago=25)
    nid = _enqueue(crm_url, "stage:out", language="en")
    make_worker().run_once()
    (request,) = fake_graph.sent()
    assert request["type"] == "template"
    template = request["template"]
    assert (template["name"], template["language"]["code"]) == ("status_permintaan_contoh", "en_US")
    params = [p["text"] for p in template["components"][0]["parameters"]]
    assert params == ["Bapak/Ibu", "KAL-2026-0042", "Quotation sent"]
    assert _row(crm_url, nid).status == "sent"


def test_error_131047_on_the_text_is_retried_at_once_as_the_template(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph
) -> None:
    _customer_wrote(crm_url, hours_ago=0)  # we believe the window is open; Meta does not
    nid = _enqueue(crm_url, "stage:131047")
    make_worker().run_once()
    assert [r["type"] for r in fake_graph.sent()] == ["text", "template"]
    row = _row(crm_url, nid)
    assert (row.status, row.attempts) == ("sent", 1)


# ---- retries, backoff, dead letter ----------------------------------------------------------


def test_failures_back_off_exponentially_then_dead_letter(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph, clock: Clock
) -> None:
    fake_graph.fail = [503] * 10
    nid = _enqueue(crm_url, "stage:dead")
    worker = make_worker(max_attempts=3, backoff_base_seconds=60)
    delays = []
    for attempt in (1, 2):
        assert worker.run_once() == 1
        row = _row(crm_url, nid)
        assert (row.status, row.attempts) == ("pending", attempt)
        delays.append((row.next_attempt_at - clock()).total_seconds())
        assert worker.run_once() == 0  # not due before the backoff
        clock.advance(seconds=delays[-1] + 1)
    # rng=1.0 -> full delay: 60 s, then 120 s (exponential); jitter scales it by 50-100 %.
    assert delays[0] == pytest.approx(60, abs=2) and delays[1] == pytest.approx(120, abs=2)
    assert worker.run_once() == 1
    row = _row(crm_url, nid)
    assert (row.status, row.attempts) == ("dead", 3)
    assert "503" in (row.last_error or "")
    clock.advance(days=1)
    assert worker.run_once() == 0
    assert len(fake_graph.sent()) == 3


def test_jitter_spreads_the_backoff(crm_url: str) -> None:
    settings = worker_settings(backoff_base_seconds=100)
    low = Worker(crm_url, settings=settings, senders={}, rng=lambda: 0.0).backoff(1)
    high = Worker(crm_url, settings=settings, senders={}, rng=lambda: 1.0).backoff(1)
    assert (low.total_seconds(), high.total_seconds()) == (50, 100)


def test_a_permanent_refusal_is_dead_at_once(
    crm_url: str, make_worker: MakeWorker, fake_smtp: FakeSMTP
) -> None:
    fake_smtp.recorder.fail = ["550 No such user"]
    nid = _enqueue(crm_url, "stage:550", channel="email", recipient=EMAIL)
    make_worker().run_once()
    row = _row(crm_url, nid)
    assert (row.status, row.attempts) == ("dead", 1)


def test_an_expired_one_time_code_is_not_sent_late(
    crm_url: str, make_worker: MakeWorker, fake_smtp: FakeSMTP, clock: Clock
) -> None:
    nid = _enqueue(
        crm_url, "otp:late", kind="otp_code", channel="email", recipient=EMAIL,
        payload={"code": "123456"},
    )  # fmt: skip
    clock.advance(minutes=11)
    make_worker().run_once()
    assert fake_smtp.messages == []
    assert _row(crm_url, nid).status == "dead"


# ---- kill points ----------------------------------------------------------------------------


def test_killed_between_claim_and_send_the_row_is_sent_once_after_the_lease(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph, clock: Clock
) -> None:
    nid = _enqueue(crm_url, "stage:kill1")
    dying = make_worker("worker-dies")
    assert len(dying.claim_batch()) == 1  # ... and the process is killed here
    assert _row(crm_url, nid).status == "sending"

    survivor = make_worker("worker-b")
    assert survivor.run_once() == 0  # the lease still holds it
    clock.advance(seconds=301)
    assert survivor.run_once() == 1
    assert survivor.run_once() == 0
    assert len(fake_graph.sent()) == 1
    row = _row(crm_url, nid)
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 2, "worker-b")


def _die_after_send(worker: Worker) -> None:
    (claimed,) = worker.claim_batch()
    assert worker.mark_send_started(claimed.notification)
    worker.call_provider(claimed.notification)  # the provider has it; then kill -9


def test_killed_between_send_and_commit_whatsapp_is_held_for_review_not_resent(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph, clock: Clock
) -> None:
    nid = _enqueue(crm_url, "stage:kill2")
    _die_after_send(make_worker("worker-dies"))
    clock.advance(seconds=301)
    assert make_worker("worker-b").run_once() == 0
    assert len(fake_graph.sent()) == 1  # sent at most once
    row = _row(crm_url, nid)
    assert row.status == "failed"
    assert (row.last_error or "").startswith("delivery uncertain")


def test_killed_between_send_and_commit_a_one_time_code_is_sent_again(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph, clock: Clock
) -> None:
    nid = _enqueue(crm_url, "otp:kill", kind="otp_code", payload={"code": "111222"})
    _die_after_send(make_worker("worker-dies"))
    clock.advance(seconds=301)
    assert make_worker("worker-b").run_once() == 1
    # Documented: a duplicate code is harmless, a missing one locks the customer out.
    assert len(fake_graph.sent()) == 2
    assert _row(crm_url, nid).status == "sent"


def test_killed_between_send_and_commit_an_email_is_resent_with_the_same_message_id(
    crm_url: str, make_worker: MakeWorker, fake_smtp: FakeSMTP, clock: Clock
) -> None:
    nid = _enqueue(crm_url, "stage:kill3", channel="email", recipient=EMAIL)
    _die_after_send(make_worker("worker-dies"))
    clock.advance(seconds=301)
    assert make_worker("worker-b").run_once() == 1
    first, second = fake_smtp.messages
    assert first["Message-ID"] == second["Message-ID"]  # receivers de-duplicate by it
    assert _row(crm_url, nid).status == "sent"


def test_a_worker_whose_lease_ran_out_does_not_overwrite_the_new_claim(
    crm_url: str, make_worker: MakeWorker, fake_graph: FakeGraph, clock: Clock
) -> None:
    _enqueue(crm_url, "stage:slow")
    slow = make_worker("worker-slow")
    (claimed,) = slow.claim_batch()
    clock.advance(seconds=301)
    assert make_worker("worker-b").run_once() == 1
    assert not slow.mark_send_started(claimed.notification)  # it must not send now
    assert len(fake_graph.sent()) == 1


# ---- disabled channels ----------------------------------------------------------------------


def test_smtp_not_configured_is_one_clear_log_line_and_the_email_waits(
    crm_url: str, make_worker: MakeWorker, fake_smtp: FakeSMTP, caplog: pytest.LogCaptureFixture
) -> None:
    nid = _enqueue(crm_url, "stage:nosmtp", channel="email", recipient=EMAIL)
    worker = make_worker(smtp_host="")
    with caplog.at_level(logging.INFO, logger="bot.notify.worker"):
        worker.log_channels()
    lines = [r.getMessage() for r in caplog.records if "email" in r.getMessage()]
    assert lines == [
        "Notifications by email are disabled: SMTP_HOST is not set. They stay pending until "
        "it is configured."
    ]
    assert worker.run_once() == 0
    assert _row(crm_url, nid).status == "pending"
    assert make_worker().run_once() == 1  # configured later: it goes out
    assert len(fake_smtp.messages) == 1


# ---- concurrent claims ----------------------------------------------------------------------


def test_concurrent_claims_never_take_the_same_row(
    crm_url: str, make_worker: MakeWorker, race: Any
) -> None:
    """Both claim transactions are held open after their SELECT, so without row locks
    (FOR UPDATE SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite) both would take the
    same 20 rows."""
    import time

    from bot.crm.db import get_engine

    ids = {_enqueue(crm_url, f"stage:race:{i}", recipient=f"62812{i:08d}") for i in range(20)}
    workers = [make_worker(f"worker-{i}", batch_size=50) for i in range(2)]

    def slow_select(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM notifications" in statement:
            time.sleep(0.3)

    engine = get_engine(crm_url)
    sa.event.listen(engine, "after_cursor_execute", slow_select)
    try:
        batches = race(lambda i: {c.notification.id for c in workers[i].claim_batch()}, 2)
    finally:
        sa.event.remove(engine, "after_cursor_execute", slow_select)
    assert batches[0].isdisjoint(batches[1])
    assert batches[0] | batches[1] == ids
