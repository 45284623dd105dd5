"""Agent accounts: argon2 hashes, authentication, no username enumeration."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.crm.agents import authenticate, create_agent, get_agent, list_agents, set_active
from bot.crm.db import session_scope
from bot.crm.models import Agent


def test_create_and_authenticate(crm_url: str) -> None:
    agent = create_agent(
        " Dina ", "s3cure-pass", role="supervisor", display_name="Dina CS", url=crm_url
    )
    assert (agent.username, agent.role, agent.display_name, agent.active) == (
        "dina",
        "supervisor",
        "Dina CS",
        True,
    )
    with session_scope(crm_url) as session:
        stored_hash = session.execute(sa.select(Agent.password_hash)).scalar_one()
    assert stored_hash.startswith("$argon2id$") and "s3cure-pass" not in stored_hash
    assert authenticate("DINA", "s3cure-pass", url=crm_url) == agent
    assert get_agent(agent.id, url=crm_url) == agent
    assert list_agents(url=crm_url) == [agent]


@pytest.mark.parametrize(
    "username, password", [("dina", "wrong-pass"), ("nobody", "s3cure-pass"), ("dina", "")]
)
def test_wrong_credentials_are_refused(crm_url: str, username: str, password: str) -> None:
    create_agent("dina", "s3cure-pass", url=crm_url)
    assert authenticate(username, password, url=crm_url) is None


def test_disabled_agent_cannot_log_in(crm_url: str) -> None:
    agent = create_agent("dina", "s3cure-pass", url=crm_url)
    assert set_active(agent.id, False, url=crm_url)
    assert authenticate("dina", "s3cure-pass", url=crm_url) is None


@pytest.mark.parametrize(
    "username, password, role",
    [
        ("dina", "short", "agent"),
        ("bad name!", "long-enough", "agent"),
        ("dina", "long-enough", "root"),
    ],
)
def test_invalid_accounts_are_refused(
    crm_url: str, username: str, password: str, role: str
) -> None:
    with pytest.raises(ValueError):
        create_agent(username, password, role=role, url=crm_url)


def test_duplicate_username(crm_url: str) -> None:
    create_agent("dina", "s3cure-pass", url=crm_url)
    with pytest.raises(ValueError, match="already exists"):
        create_agent("DINA", "other-pass-1", url=crm_url)
