"""Agent presence in the database: what "an agent is online" means (bot.handoff.presence)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot.crm import agents
from bot.crm.db import get_engine
from bot.crm.sqltypes import utcnow
from bot.handoff import presence


def test_online_means_seen_within_the_window_and_active(
    any_desk_db: str, make_agent, monkeypatch
) -> None:
    monkeypatch.setenv("DESK_PRESENCE_SECONDS", "60")
    rina = make_agent("rina")
    budi = make_agent("budi")
    sari = make_agent("sari")
    assert presence.online_agent_count() == 0  # never seen
    presence.touch(rina.id, force=True)
    agents.touch_agent(budi.id)
    agents.touch_agent(sari.id)
    assert [a.username for a in presence.online_agents()] == ["budi", "rina", "sari"]
    agents.set_active(sari.id, False)  # a disabled account is not "online"
    agents.touch_agent(budi.id, offline=True)  # logged out
    assert [a.username for a in presence.online_agents()] == ["rina"]


def test_a_desk_not_seen_for_two_minutes_is_offline(desk_db: str, make_agent) -> None:
    rina = make_agent("rina", online=True)
    assert presence.online_agent_count() == 1
    with get_engine(desk_db).begin() as connection:
        connection.execute(
            sa.update(agents.Agent)
            .where(agents.Agent.id == rina.id)
            .values(last_seen_at=utcnow() - timedelta(seconds=120))
        )
    assert presence.online_agent_count() == 0
