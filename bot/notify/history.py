"""What was sent to a customer, for the agent desk (issue 15): each notification's channel,
kind and delivery state with friendly labels, and its time in the business's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.crm.consents import address_for
from bot.crm.db import session_scope
from bot.crm.models import Notification

LIMIT = 50

CHANNEL_LABELS = {"whatsapp": "WhatsApp", "email": "E-mail", "widget": "Chat situs"}
KIND_LABELS = {
    "stage_changed": "Perubahan status permintaan",
    "agent_reply": "Balasan agen (pelanggan offline)",
    "otp_code": "Kode verifikasi",
    "recalibration_reminder": "Pengingat kalibrasi ulang",
    "reminder_consent_question": "Pertanyaan: mau diingatkan?",
}
STATUS_LABELS = {
    "pending": "Antre",
    "sending": "Sedang dikirim",
    "sent": "Terkirim",
    "held": "Disimpan – tampil saat pelanggan kembali",
    "delivered": "Diterima",
    "read": "Dibaca",
    "failed": "Gagal / perlu dicek",
    "dead": "Gagal (tidak dicoba lagi)",
    "cancelled": "Tidak dikirim",
}


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    from bot.profile import _TZ_LABELS, get_profile

    tz = get_profile().timezone
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    label = _TZ_LABELS.get(tz.key, tz.key)
    return f"{value.astimezone(tz):%d-%m-%Y %H:%M} {label}"


def notifications_for(
    customer_id: int | None,
    inbound_channel: str | None,
    sender_id: str | None,
    url: str | None = None,
) -> list[dict[str, Any]]:
    """The newest notifications of the customer or of the conversation's address."""
    targets: list[Any] = []
    if customer_id is not None:
        targets.append(Notification.customer_id == customer_id)
    if inbound_channel and sender_id:
        channel, address = address_for(inbound_channel, sender_id)
        targets.append(sa.and_(Notification.channel == channel, Notification.recipient == address))
    if not targets:
        return []
    with session_scope(url, readonly=True) as session:
        rows = (
            session.execute(
                sa.select(Notification)
                .where(sa.or_(*targets))
                .order_by(Notification.created_at.desc(), Notification.id.desc())
                .limit(LIMIT)
            )
            .scalars()
            .all()
        )
        return [
            {
                "id": n.id,
                "kind": n.kind,
                "kind_label": KIND_LABELS.get(n.kind, n.kind.replace("_", " ")),
                "stage": (n.payload or {}).get("stage"),
                "channel": n.channel,
                "channel_label": CHANNEL_LABELS.get(n.channel, n.channel),
                "status": n.status,
                "status_label": STATUS_LABELS.get(n.status, n.status),
                "reference": n.reference,
                "created": _local(n.created_at),
                "sent": _local(n.sent_at),
                "updated": _local(n.updated_at),
                "error": n.last_error if n.status in ("failed", "dead", "cancelled") else None,
            }
            for n in rows
        ]
