"""The interaction log: every message in and out, verbatim, per conversation.

Texts are stored exactly as received (including SQL or HTML a customer may type); whoever
renders them escapes them. Only ids and directions are ever logged, never the text.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.customers import resolve_in
from bot.crm.db import run_in_transaction, session_scope
from bot.crm.models import DIRECTIONS, Conversation, Interaction
from bot.crm.sqltypes import utcnow
from bot.crm.types import InteractionRecord


def log_interaction(
    sender_id: str,
    channel: str,
    direction: str,
    text: str,
    intent: str | None = None,
    *,
    url: str | None = None,
) -> InteractionRecord:
    """Append one event to the conversation's log (creating conversation and customer if new)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if text is None:
        raise ValueError("text is required")

    def work(session: Session) -> InteractionRecord:
        now = utcnow()
        customer = resolve_in(session, channel, sender_id)
        conversation = session.execute(
            sa.select(Conversation).where(
                Conversation.channel == channel, Conversation.sender_id == sender_id
            )
        ).scalar_one_or_none()
        if conversation is None:
            conversation = Conversation(
                sender_id=sender_id, channel=channel, created_at=now, last_activity_at=now
            )
            session.add(conversation)
        conversation.customer_id = customer.id
        conversation.last_activity_at = now
        session.flush()
        row = Interaction(
            conversation_id=conversation.id,
            direction=direction,
            text=text,
            intent=intent,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return _record(row, customer.id)

    return run_in_transaction(work, url, retry_conflicts=True)


def recent_interactions(
    sender_id: str, *, channel: str | None = None, limit: int = 50, url: str | None = None
) -> list[InteractionRecord]:
    """The last ``limit`` events of a conversation, oldest first (e.g. a handoff transcript)."""
    query = (
        sa.select(Interaction, Conversation.customer_id)
        .join(Conversation, Conversation.id == Interaction.conversation_id)
        .where(Conversation.sender_id == sender_id)
        .order_by(Interaction.created_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    if channel is not None:
        query = query.where(Conversation.channel == channel)
    with session_scope(url, readonly=True) as session:
        rows = session.execute(query).all()
        return [_record(row, customer_id) for row, customer_id in reversed(rows)]


def _record(row: Interaction, customer_id: int | None) -> InteractionRecord:
    return InteractionRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        customer_id=customer_id,
        direction=row.direction,
        text=row.text,
        intent=row.intent,
        created_at=row.created_at,
    )
