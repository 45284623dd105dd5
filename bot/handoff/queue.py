"""What the customer's widget may know and do about their place in the queue.

The bot is paused while a handoff is waiting, so nothing the customer types reaches a
flow: typed text is text (``bot.channels.typed_intents`` keeps "/restart" from resuming a
paused conversation). Leaving the queue is therefore a separate, server-checked action of
the channel (the widget's ``leave_queue`` socket event), decided here from the database:
only a *waiting* handoff of that very conversation can be left, and only once.

``state_for`` is what the widget shows in its header (waiting / agent name) and uses to
hide the bot's typing indicator while the bot is paused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.crm import agents, handoffs
from bot.handoff import texts
from bot.profile import BusinessProfile


@dataclass(frozen=True)
class LeaveResult:
    left: bool  # True: this call closed the waiting handoff (the bot must be resumed)
    handoff_id: int | None
    message: str


def state_for(sender_id: str) -> dict[str, Any]:
    """``{"status": "none"|"waiting"|"active", "agent_name", "position"}`` for the widget."""
    record = handoffs.active_handoff_for(sender_id)
    if record is None:
        return {"status": "none"}
    state: dict[str, Any] = {"status": record.status}
    if record.status == "waiting":
        state["position"] = handoffs.queue_position(record.id)
    elif record.agent_id is not None:
        agent = agents.get_agent(record.agent_id)
        if agent is not None:
            state["agent_name"] = agent.display_name
    return state


def leave(
    sender_id: str, language: str | None, profile: BusinessProfile | None = None
) -> LeaveResult:
    """Close the conversation's waiting handoff; the polite answer either way."""
    record = handoffs.active_handoff_for(sender_id)
    if record is None:
        return LeaveResult(False, None, texts.text("not_in_queue", language, profile))
    if record.status != "waiting" or not handoffs.leave_queue(record.id):
        return LeaveResult(False, record.id, texts.text("leave_too_late", language, profile))
    return LeaveResult(True, record.id, texts.text("left_queue", language, profile))
