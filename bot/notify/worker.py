"""The delivery worker (``python -m bot worker``): claims due notifications, sends, records.

Claiming. Several workers may run (one per replica). A claim is one short transaction that
selects due rows and marks them ``sending`` (``claimed_by``, ``claimed_at``, ``attempts+1``):

* PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``: concurrent workers skip each other's
  rows instead of waiting, so N workers share the queue without sending a row twice;
* SQLite: run ONE worker. Claims still cannot collide (every write transaction starts with
  ``BEGIN IMMEDIATE``, so claims are serialised and the second sees the first's ``sending``),
  but SQLite has one writer at a time, so a second worker adds contention, not throughput.

Consent is checked at claim time (``bot.notify.consent.blocked_reason``): a row for a
recipient who opted out (STOP on any channel), or a reminder without consent, becomes
``cancelled`` with the reason instead of being sent, however long ago it was written.

Due means ``pending`` with ``next_attempt_at <= now``, or ``sending`` with a ``claimed_at``
older than the lease (``NOTIFY_LEASE_SECONDS``, default 5 min): its worker died.

Sending happens OUTSIDE any transaction, per row (``NOTIFY_CONCURRENCY`` rows of a batch in
parallel threads), in these steps::

    1. claim           (commit)  status=sending, attempts+1, send_started_at=NULL
    2. about to send   (commit)  send_started_at=now
    3. provider call             -- no transaction open
    4. outcome         (commit)  sent + provider_message_id | pending + backoff | dead

A worker can die at any point; what the next worker does with the row after the lease:

* died between 1 and 2 (``send_started_at`` empty): the provider was never called, so the
  row is simply sent (once) by the next claim;
* died between 2 and 4 (``send_started_at`` set): the provider MAY have the message. This
  window is the time of one provider call (seconds). Then, per channel:
    - e-mail: sent again with the same Message-ID (derived from the notification), which
      is SMTP's only idempotency handle: mail systems that de-duplicate by Message-ID show
      it once; others may show it twice;
    - WhatsApp: the Cloud API has no idempotency key, so it is NOT resent blindly: the row
      becomes ``failed`` with ``last_error`` "delivery uncertain ..." for a person to check
      (the desk will list them) - except kinds marked ``resend_when_uncertain`` in
      data/notification_texts.yml (one-time codes: a duplicate code is harmless, a missing
      one locks the customer out), which are sent again;
    - widget: sent again (live push only; the message carries the notification id).

Retries: a retryable error puts the row back to ``pending`` with ``next_attempt_at`` after
an exponential backoff with jitter (``NOTIFY_BACKOFF_BASE_SECONDS`` * 2^(attempt-1), at most
``NOTIFY_BACKOFF_MAX_SECONDS``, times a random 50-100 %); after ``NOTIFY_MAX_ATTEMPTS``
attempts, or on a permanent error, the row is ``dead`` (the dead-letter state). A kind with
``ttl_minutes`` (one-time codes) older than that is ``dead`` instead of being sent late.

Channels that are not configured (no SMTP_HOST, no WHATSAPP_ACCESS_TOKEN, no REDIS_URL for
the widget) are logged once at start; their rows stay ``pending`` and are not claimed.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.config import WorkerSettings, get_worker_settings
from bot.crm.db import affected_rows, database_url, get_engine, session_scope
from bot.crm.models import Notification
from bot.crm.sqltypes import utcnow
from bot.notify.consent import blocked_reason
from bot.notify.senders import (
    Composer,
    EmailSender,
    OutgoingNotification,
    PermanentSendError,
    RetryableSendError,
    Sender,
    SendResult,
    WidgetSender,
)
from bot.notify.texts import TextRegistry, UnknownKind, get_texts

logger = logging.getLogger(__name__)

UNCERTAIN = (
    "delivery uncertain: a worker stopped after calling the provider and before recording "
    "the outcome; not resent automatically (no idempotency key at the provider) - check "
    "with the customer and resend if needed"
)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def default_senders(url: str | None = None) -> dict[str, Sender]:
    from bot.notify.whatsapp import WhatsAppSender

    composer = Composer()
    senders: list[Sender] = [
        EmailSender(get_worker_settings(), composer),
        WhatsAppSender.from_env(database_url=url),
        WidgetSender(composer),
    ]
    return {s.channel: s for s in senders}


@dataclass(frozen=True)
class Claimed:
    notification: OutgoingNotification
    reclaimed: bool  # its previous worker died holding it


class Worker:
    def __init__(
        self,
        url: str | None = None,
        *,
        settings: WorkerSettings | None = None,
        senders: Mapping[str, Sender] | None = None,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
        texts: TextRegistry | None = None,
    ) -> None:
        self.url = database_url(url)
        self.settings = settings or get_worker_settings()
        self.senders = dict(senders) if senders is not None else default_senders(self.url)
        self.worker_id = worker_id or new_worker_id()
        self.clock = clock
        self.rng = rng
        self._texts = texts
        self.enabled_channels = tuple(
            sorted(c for c, s in self.senders.items() if s.disabled_reason is None)
        )
        self.is_postgres = get_engine(self.url).dialect.name == "postgresql"
        self._pool: ThreadPoolExecutor | None = None

    @property
    def texts(self) -> TextRegistry:
        return self._texts or get_texts()

    def log_channels(self) -> None:
        """One line per channel at start: which ones send, and why the others do not."""
        for channel, sender in sorted(self.senders.items()):
            reason = sender.disabled_reason
            if reason:
                logger.warning(
                    "Notifications by %s are disabled: %s. They stay pending until it is "
                    "configured.",
                    channel,
                    reason,
                )
            else:
                logger.info("Notifications by %s are enabled.", channel)

    # ---- step 1: claim ----------------------------------------------------------------------
    def claim_batch(self) -> list[Claimed]:
        if not self.enabled_channels:
            return []
        now = self.clock()
        lease_cutoff = now - timedelta(seconds=self.settings.lease_seconds)
        query = (
            sa.select(Notification)
            .where(
                Notification.channel.in_(self.enabled_channels),
                sa.or_(
                    sa.and_(Notification.status == "pending", Notification.next_attempt_at <= now),
                    sa.and_(
                        Notification.status == "sending", Notification.claimed_at < lease_cutoff
                    ),
                ),
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(self.settings.batch_size)
            .with_for_update(skip_locked=True)  # not rendered on SQLite (BEGIN IMMEDIATE there)
        )
        claimed: list[Claimed] = []
        with session_scope(self.url) as session:
            for row in session.execute(query).scalars().all():
                item = self._claim_row(session, row, now)
                if item is not None:
                    claimed.append(item)
        return claimed

    def _claim_row(self, session: Session, row: Notification, now: datetime) -> Claimed | None:
        reclaimed = row.status == "sending"
        maybe_sent = reclaimed and row.send_started_at is not None
        if reclaimed:
            logger.warning(
                "Notification %d reclaimed: worker %s stopped during attempt %d (%s)",
                row.id,
                row.claimed_by,
                row.attempts,
                "after calling the provider" if maybe_sent else "before sending",
            )
        try:
            kind = self.texts.kind(row.kind)
        except UnknownKind as exc:
            self._finish_row(row, now, "dead", str(exc))
            return None
        blocked = blocked_reason(session, row.channel, row.recipient, row.customer_id, kind.purpose)
        if blocked:
            self._finish_row(row, now, "cancelled", blocked)
            return None
        if kind.ttl_minutes and now - row.created_at > timedelta(minutes=kind.ttl_minutes):
            self._finish_row(row, now, "dead", f"expired: older than {kind.ttl_minutes} minutes")
            return None
        if maybe_sent and row.channel == "whatsapp" and not kind.resend_when_uncertain:
            self._finish_row(row, now, "failed", UNCERTAIN)
            return None
        if row.attempts >= self.settings.max_attempts:
            self._finish_row(row, now, "dead", "attempts exhausted (the last worker stopped)")
            return None
        row.status = "sending"
        row.claimed_by = self.worker_id
        row.claimed_at = now
        row.attempts = row.attempts + 1
        row.send_started_at = None
        return Claimed(
            OutgoingNotification(
                id=row.id,
                kind=row.kind,
                channel=row.channel,
                recipient=row.recipient,
                language=row.language,
                idempotency_key=row.idempotency_key,
                attempt=row.attempts,
                reference=row.reference,
                payload=dict(row.payload or {}),
            ),
            reclaimed=reclaimed,
        )

    @staticmethod
    def _finish_row(row: Notification, now: datetime, status: str, error: str) -> None:
        row.status = status
        row.last_error = error
        row.claimed_by = None
        row.claimed_at = None
        logger.warning("Notification %d is %s: %s", row.id, status, error)

    # ---- steps 2-4 ---------------------------------------------------------------------------
    def _mine(self, n: OutgoingNotification) -> Any:
        return sa.and_(
            Notification.id == n.id,
            Notification.status == "sending",
            Notification.claimed_by == self.worker_id,
            Notification.attempts == n.attempt,
        )

    def mark_send_started(self, n: OutgoingNotification) -> bool:
        """Step 2. False if another worker took the row over (our lease ran out)."""
        with session_scope(self.url) as session:
            changed = affected_rows(
                session,
                sa.update(Notification).where(self._mine(n)).values(send_started_at=self.clock()),
            )
            return changed == 1

    def call_provider(self, n: OutgoingNotification) -> SendResult | Exception:
        """Step 3, outside any transaction."""
        try:
            return self.senders[n.channel].send(n)
        except (RetryableSendError, PermanentSendError) as exc:
            return exc
        except Exception as exc:
            logger.exception("Notification %d: sender %s failed unexpectedly", n.id, n.channel)
            return RetryableSendError(f"unexpected {type(exc).__name__}")

    def backoff(self, attempt: int) -> timedelta:
        s = self.settings
        delay = min(s.backoff_max_seconds, s.backoff_base_seconds * 2 ** max(attempt - 1, 0))
        return timedelta(seconds=delay * (0.5 + 0.5 * self.rng()))

    def record(self, n: OutgoingNotification, outcome: SendResult | Exception) -> str:
        """Step 4: the outcome, in a new short transaction. Returns the new status."""
        now = self.clock()
        values: dict[str, object]
        if isinstance(outcome, SendResult):
            values = {
                "status": outcome.status,
                "sent_at": now,
                "provider_message_id": outcome.provider_message_id,
                "last_error": None,
            }
        elif isinstance(outcome, RetryableSendError) and n.attempt < self.settings.max_attempts:
            values = {
                "status": "pending",
                "next_attempt_at": now + self.backoff(n.attempt),
                "last_error": str(outcome)[:1000],
                "claimed_by": None,
                "claimed_at": None,
                "send_started_at": None,
            }
        else:
            values = {"status": "dead", "last_error": str(outcome)[:1000]}
        with session_scope(self.url) as session:
            changed = affected_rows(
                session, sa.update(Notification).where(self._mine(n)).values(**values)
            )
            if changed != 1:
                logger.warning("Notification %d: outcome not recorded (row taken over)", n.id)
        status = str(values["status"])
        if status in ("sent", "held"):
            logger.info("Notification %d (%s, %s) %s", n.id, n.kind, n.channel, status)
        else:
            logger.warning(
                "Notification %d (%s, %s) attempt %d failed, now %s: %s",
                n.id,
                n.kind,
                n.channel,
                n.attempt,
                status,
                values["last_error"],
            )
        return status

    def deliver(self, claimed: Claimed) -> str | None:
        n = claimed.notification
        if not self.mark_send_started(n):
            return None
        return self.record(n, self.call_provider(n))

    def run_once(self) -> int:
        """Claim one batch and deliver it; the number of rows claimed."""
        batch = self.claim_batch()
        if len(batch) > 1 and self.settings.concurrency > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.settings.concurrency, thread_name_prefix="notify-send"
                )
            list(self._pool.map(self.deliver, batch))
        else:
            for item in batch:
                self.deliver(item)
        return len(batch)

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                busy = self.run_once() > 0
            except Exception:
                logger.exception("Notification worker: polling failed; retrying")
                busy = False
            if not busy:
                stop.wait(self.settings.poll_seconds)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def run_worker(url: str | None = None, stop: threading.Event | None = None) -> int:
    """``python -m bot worker``: deliver notifications until interrupted."""
    import signal

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (make run, systemd, docker stop): finish the current row, then exit.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = Worker(url)
    logger.info(
        "Notification worker %s started (%s)",
        worker.worker_id,
        "PostgreSQL, SKIP LOCKED claims" if worker.is_postgres else "SQLite: run one worker",
    )
    worker.log_channels()
    from bot.notify.schedule import start_scheduler

    scheduler = start_scheduler(worker.url, worker.worker_id)
    # /healthz, /readyz, /metrics on WORKER_METRICS_PORT (off by default; bot/observability.py).
    from bot.config import get_settings

    settings = get_settings()
    ops_server = None
    if settings.worker_metrics_port is not None:
        from bot.observability import start_http_server

        ops_server = start_http_server(settings.worker_metrics_host, settings.worker_metrics_port)
    try:
        worker.run_forever(stop)
    finally:
        if ops_server is not None:
            ops_server.shutdown()
            ops_server.server_close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0
