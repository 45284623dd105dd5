"""Delivery status callbacks (WhatsApp ``statuses``) applied to notifications.

The provider reports ``sent`` -> ``delivered`` -> ``read`` (or ``failed``) for the message id
it gave us, which the worker stored as ``provider_message_id``. Callbacks arrive out of
order and more than once, so a status never moves backwards (a late ``delivered`` does not
undo ``read``), and ``failed`` does not overwrite ``read``. A callback for an id we do not
know (a bot reply, an agent reply) changes nothing. A callback that arrives before the
worker recorded the send (the row is still ``sending``) is ignored; the row still ends as
``sent``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from bot.crm.db import affected_rows, session_scope
from bot.crm.models import Notification

logger = logging.getLogger(__name__)

# status -> the current statuses it may replace
REPLACES = {
    "sent": ("sent",),
    "delivered": ("sent",),
    "read": ("sent", "delivered", "failed"),
    "failed": ("sent", "delivered"),
}


def apply_provider_status(
    provider_message_id: str,
    status: str,
    error_codes: Sequence[int] = (),
    *,
    url: str | None = None,
) -> int:
    """Update the notification(s) the provider sent as ``provider_message_id``; the count."""
    if not provider_message_id or status not in REPLACES:
        return 0
    values: dict[str, object] = {"status": status}
    if status == "failed":
        values["last_error"] = f"provider reported failure (error codes {list(error_codes)})"
    with session_scope(url) as session:
        count = affected_rows(
            session,
            sa.update(Notification)
            .where(
                Notification.provider_message_id == provider_message_id,
                Notification.status.in_(REPLACES[status]),
            )
            .values(**values),
        )
    if count and status == "failed":
        logger.warning("A notification was reported failed by the provider: %s", values)
    return count


async def apply_statuses(updates: Iterable[tuple[str, str, Sequence[int]]]) -> None:
    """Channel entry point: ``(provider_message_id, status, error_codes)`` per callback.

    Never raises: a status is informational, and failing the webhook would make the
    provider redeliver the customer's messages in the same body.
    """
    for message_id, status, codes in updates:
        try:
            await asyncio.to_thread(apply_provider_status, message_id, status, codes)
        except Exception:
            logger.exception("Notification status update failed")
