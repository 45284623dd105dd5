"""Agent replies that must not be lost, and the widget's inbox of things it missed (issue 15).

An agent's reply reaches a widget customer live only if their widget is open (a socket.io
connection, known through ``bot.channels.widget_presence``). When it is not:

* the reply is stored with ``delivery='offline'`` and, in the SAME transaction, an
  ``agent_reply`` notification is written to the outbox: by e-mail if the customer gave an
  address, else for the widget (the worker keeps it ``held`` until they come back);
* when the widget connects again it asks for what it missed (:func:`inbox`): agent replies
  and widget notifications it has not acknowledged. It shows them (with an unread badge)
  and acknowledges their keys (:func:`acknowledge`), which marks the reply delivered
  (``delivered_at``) and the notification ``delivered``; an e-mail that had not gone out
  yet is cancelled (the customer has read the reply already).

The desk shows each reply's state (:func:`delivery_label`): delivered live, queued, kept
for the customer's return, sent by e-mail, delivered, failed.

Keys name items for the widget (which de-duplicates by them): ``hm-<handoff message id>``
for agent replies, ``n-<notification id>`` for notifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.db import run_in_transaction, session_scope
from bot.crm.models import Agent, CustomerIdentity, Handoff, HandoffMessage, Notification
from bot.crm.sqltypes import utcnow
from bot.notify.outbox import enqueue

WIDGET_CHANNEL = "socketio"  # the input channel of the website widget
INBOX_DAYS = 30
INBOX_LIMIT = 50
# Notification statuses that mean "not shown in the widget yet".
_UNSHOWN = ("pending", "sending", "sent", "held")


@dataclass(frozen=True)
class StoredReply:
    id: int
    created_at: datetime
    notification_id: int | None
    notification_channel: str | None  # email | widget, when written to the outbox


def message_key(message_id: int) -> str:
    return f"hm-{message_id}"


def notification_key(notification_id: int) -> str:
    return f"n-{notification_id}"


def _customer_email(session: Session, customer_id: int | None) -> str | None:
    if customer_id is None:
        return None
    found = session.execute(
        sa.select(CustomerIdentity.value)
        .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.kind == "email")
        .order_by(CustomerIdentity.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return str(found) if found else None


def store_reply(
    handoff_id: int,
    agent_id: int | None,
    text: str,
    *,
    offline: bool,
    agent_name: str,
    language: str = "id",
    url: str | None = None,
) -> StoredReply:
    """Store an agent reply; if the customer is ``offline``, also its outbox row (one
    transaction: the reply is never stored without its follow-up)."""

    def work(session: Session) -> StoredReply:
        handoff = session.get(Handoff, handoff_id)
        if handoff is None:
            raise LookupError(f"handoff {handoff_id} not found")
        row = HandoffMessage(
            handoff_id=handoff_id,
            sender="agent",
            agent_id=agent_id,
            text=text,
            created_at=utcnow(),
            delivery="offline" if offline else None,
        )
        session.add(row)
        session.flush()
        if not offline:
            return StoredReply(int(row.id), row.created_at, None, None)
        email = _customer_email(session, handoff.customer_id)
        channel, recipient = ("email", email) if email else ("widget", handoff.sender_id)
        queued = enqueue(
            session,
            kind="agent_reply",
            channel=channel,
            recipient=recipient,
            idempotency_key=f"agent_reply:{row.id}",
            language=language if language in ("id", "en") else "id",
            payload={"text": text, "agent_name": agent_name, "handoff_message_id": row.id},
            customer_id=handoff.customer_id,
            reference=handoff.reference,
        )
        row.notification_id = queued.id
        return StoredReply(int(row.id), row.created_at, queued.id, channel)

    return run_in_transaction(work, url)


def set_delivery(message_id: int, delivery: str, url: str | None = None) -> None:
    """Record how a reply went out (live / failed / none) once the push was tried."""
    with session_scope(url) as session:
        session.execute(
            sa.update(HandoffMessage)
            .where(HandoffMessage.id == message_id, HandoffMessage.delivery.is_(None))
            .values(delivery=delivery)
        )


# ---- the widget's inbox ----------------------------------------------------------------------


def inbox(session_id: str, render: Any = None, url: str | None = None) -> list[dict[str, Any]]:
    """What the widget of ``session_id`` has not acknowledged yet, oldest first.

    ``render(notification) -> text`` renders a notification (the worker's composer); agent
    replies carry their own text.
    """
    since = utcnow() - timedelta(days=INBOX_DAYS)
    items: list[dict[str, Any]] = []
    with session_scope(url, readonly=True) as session:
        replies = session.execute(
            sa.select(HandoffMessage, Agent.display_name)
            .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
            .outerjoin(Agent, Agent.id == HandoffMessage.agent_id)
            .where(
                Handoff.sender_id == session_id,
                Handoff.channel == WIDGET_CHANNEL,
                HandoffMessage.sender == "agent",
                HandoffMessage.delivered_at.is_(None),
                HandoffMessage.created_at >= since,
            )
            .order_by(HandoffMessage.id.desc())
            .limit(INBOX_LIMIT)
        ).all()
        for message, agent_name in replies:
            items.append(
                {
                    "key": message_key(message.id),
                    "sender": "agent",
                    "agent_name": agent_name,
                    "text": message.text,
                    "at": message.created_at,
                }
            )
        notifications = (
            session.execute(
                sa.select(Notification)
                .where(
                    Notification.channel == "widget",
                    Notification.recipient == session_id,
                    Notification.kind != "agent_reply",  # those are the replies above
                    Notification.status.in_(_UNSHOWN),
                    Notification.created_at >= since,
                )
                .order_by(Notification.id.desc())
                .limit(INBOX_LIMIT)
            )
            .scalars()
            .all()
        )
        for n in notifications:
            if render is None:
                continue
            items.append(
                {
                    "key": notification_key(n.id),
                    "sender": "bot",
                    "text": render(n),
                    "at": n.created_at,
                }
            )
    items.sort(key=lambda item: item["at"])
    return [{**item, "at": item["at"].isoformat()} for item in items]


@dataclass(frozen=True)
class Acknowledged:
    handoff_ids: list[int]
    message_ids: list[int]
    notification_ids: list[int]


def acknowledge(session_id: str, keys: list[str], url: str | None = None) -> Acknowledged:
    """The widget of ``session_id`` has shown these items: mark them delivered.

    Only items that belong to that session are touched (a widget cannot acknowledge another
    customer's messages)."""
    message_ids = sorted({int(k[3:]) for k in keys if k.startswith("hm-") and k[3:].isdigit()})
    notification_ids = sorted({int(k[2:]) for k in keys if k.startswith("n-") and k[2:].isdigit()})
    now = utcnow()

    def work(session: Session) -> Acknowledged:
        handoff_ids: set[int] = set()
        done_messages: list[int] = []
        follow_ups: list[int] = []
        if message_ids:
            rows = session.execute(
                sa.select(HandoffMessage)
                .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
                .where(
                    HandoffMessage.id.in_(message_ids),
                    HandoffMessage.delivered_at.is_(None),
                    Handoff.sender_id == session_id,
                    Handoff.channel == WIDGET_CHANNEL,
                )
            ).scalars()
            for row in rows:
                row.delivered_at = now
                handoff_ids.add(row.handoff_id)
                done_messages.append(row.id)
                if row.notification_id is not None:
                    follow_ups.append(row.notification_id)
        done_notifications: list[int] = []
        for n in session.execute(
            sa.select(Notification).where(
                sa.or_(
                    sa.and_(
                        Notification.id.in_(notification_ids),
                        Notification.channel == "widget",
                        Notification.recipient == session_id,
                    ),
                    Notification.id.in_(follow_ups),
                ),
                Notification.status.in_(_UNSHOWN),
            )
        ).scalars():
            if n.channel == "widget":
                n.status = "delivered"
            elif n.status == "pending":  # the e-mail is not needed any more
                n.status = "cancelled"
                n.last_error = "not needed: the customer read it in the website chat"
            else:
                continue
            done_notifications.append(n.id)
        return Acknowledged(sorted(handoff_ids), done_messages, done_notifications)

    return run_in_transaction(work, url)


# ---- the desk's labels -----------------------------------------------------------------------

_NOTIFICATION_STATE = {
    "pending": ("queued", "Antre – pelanggan sedang offline"),
    "sending": ("queued", "Sedang dikirim"),
    "held": ("held", "Disimpan – tampil saat pelanggan kembali"),
    "failed": ("failed", "Gagal terkirim"),
    "dead": ("failed", "Gagal terkirim"),
    "cancelled": ("cancelled", "Tidak dikirim"),
}


def delivery_label(
    delivery: str | None,
    delivered_at: datetime | None,
    notification_channel: str | None = None,
    notification_status: str | None = None,
) -> tuple[str, str] | None:
    """(state, friendly Indonesian label) of an agent reply for the desk; None if unknown."""
    if delivered_at is not None:
        return "delivered", "Diterima – tampil di chat pelanggan"
    if delivery == "live":
        return "live", "Terkirim langsung"
    if delivery == "failed":
        return "failed", "Gagal terkirim"
    if delivery == "none":
        return "none", "Hanya tersimpan di transkrip"
    if delivery != "offline":
        return None
    if notification_status in ("sent", "delivered", "read") and notification_channel == "email":
        return "email", "Dikirim lewat e-mail"
    return _NOTIFICATION_STATE.get(notification_status or "pending", ("queued", "Antre"))


def reply_states(message_ids: list[int], url: str | None = None) -> dict[int, dict[str, str]]:
    """Per agent reply id: {"state", "label"} for the desk."""
    if not message_ids:
        return {}
    out: dict[int, dict[str, str]] = {}
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(
                HandoffMessage.id,
                HandoffMessage.delivery,
                HandoffMessage.delivered_at,
                Notification.channel,
                Notification.status,
            )
            .outerjoin(Notification, Notification.id == HandoffMessage.notification_id)
            .where(HandoffMessage.id.in_(message_ids))
        ).all()
    for message_id, delivery, delivered_at, channel, status in rows:
        label = delivery_label(delivery, delivered_at, channel, status)
        if label is not None:
            out[int(message_id)] = {"state": label[0], "label": label[1]}
    return out
