"""Which agents are at their desk: ``agents.last_seen_at`` in the database.

The desk page's websocket heartbeat (and every desk request) updates it, so "online" means
a desk was open in the last ``DESK_PRESENCE_SECONDS`` (default 60). It lives in the
database, not in memory, because the action server (which tells the customer whether an
agent is online) and the replica holding the agent's websocket are different processes.
"""

from __future__ import annotations

import time

from bot.config import get_desk_settings
from bot.crm import agents
from bot.crm.types import AgentRecord

# Writes are throttled per process: a heartbeat every few seconds need not hit the database.
_TOUCH_EVERY_S = 15.0
_last_touch: dict[int, float] = {}


def touch(agent_id: int, force: bool = False) -> None:
    now = time.monotonic()
    if not force and now - _last_touch.get(agent_id, -1e9) < _TOUCH_EVERY_S:
        return
    _last_touch[agent_id] = now
    agents.touch_agent(agent_id)


def online_agents() -> list[AgentRecord]:
    return agents.online_agents(get_desk_settings().presence_seconds)


def online_agent_count() -> int:
    return len(online_agents())


def forget(agent_id: int) -> None:
    """Logout: the agent is no longer at the desk."""
    _last_touch.pop(agent_id, None)
    agents.touch_agent(agent_id, offline=True)
