"""Read and change a conversation's tracker from inside the Rasa server.

Every change runs under the lock store's lock for the conversation, the same lock Rasa
takes while it processes a message, so an agent reply or a resume never interleaves with
the bot handling a customer message (and, with the Redis lock store, across replicas).
"""

from __future__ import annotations

from typing import Any

from rasa.core.agent import Agent
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed, Event, SlotSet

from bot.handoff.transcript import transcript_lines


async def append_events(agent: Agent, sender_id: str, events: list[Event]) -> bool:
    """Append ``events`` to the conversation; returns whether it is paused afterwards."""
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        for event in events:
            tracker.update(event, agent.domain)
        await agent.tracker_store.save(tracker)
        return tracker.is_paused()


async def is_paused(agent: Agent, sender_id: str) -> bool:
    tracker = await agent.tracker_store.retrieve(sender_id)
    return bool(tracker and tracker.is_paused())


async def full_transcript(agent: Agent, sender_id: str) -> list[dict[str, Any]]:
    """Every message of every session of the conversation, oldest first."""
    tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
    if tracker is None:
        return []
    return transcript_lines(event.as_dict() for event in tracker.events)


def agent_utterance(
    message: dict[str, Any], agent_name: str, handoff_id: int, message_id: int | None = None
) -> BotUttered:
    """The tracker event for a message a human agent sent (metadata marks who, and which
    stored reply it is, so the desk can show its delivery state)."""
    data = {key: value for key, value in message.items() if key not in ("text", "metadata")}
    metadata: dict[str, Any] = {"agent": agent_name, "handoff_id": handoff_id}
    if message_id is not None:
        metadata["handoff_message_id"] = message_id
    return BotUttered(text=message.get("text"), data=data, metadata=metadata)


def resume_events(messages: list[dict[str, Any]], agent_name: str, handoff_id: int) -> list[Event]:
    """Resume the bot, record the closing messages, and listen.

    ``last_handoff_id`` / ``feedback_*`` let the feedback flow link the rating to this
    handoff (bot.flows.feedback). The final
    ``action_listen`` matters: messages sent while paused follow ``action_handoff`` with no
    listen in between, and without one the next message's dialogue state would have
    ``prev_action: action_handoff``, which no rule matches.
    """
    events: list[Event] = [
        ConversationResumed(),
        SlotSet("last_handoff_id", handoff_id),
        # The feedback flow's "offer" slots, so its skip rule and CSAT link apply.
        SlotSet("feedback_offered", True),
        SlotSet("feedback_handoff_id", handoff_id),
    ]
    events += [agent_utterance(message, agent_name, handoff_id) for message in messages]
    events.append(ActionExecuted(ACTION_LISTEN_NAME))
    return events
