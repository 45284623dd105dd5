"""Login throttling that slows guessing without locking real agents out.

Attempts are counted in the database per (username, client address) and per address; the
client address comes from X-Forwarded-For only when the peer is a trusted proxy. Runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from desk_helpers import PASSWORD, csrf_from

from bot.desk.web import resolve_client_address


async def login_from(desk_server, username: str, password: str, forwarded_for: str | None):
    client = desk_server.client()
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    page = await client.get("/desk/login", headers=headers)
    return await client.post(
        "/desk/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        headers=headers,
    )


@pytest.fixture
def behind_proxy(monkeypatch) -> None:
    """The test client (127.0.0.1) is the reverse proxy in front of the desk."""
    monkeypatch.setenv("DESK_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    monkeypatch.setenv("DESK_LOGIN_ATTEMPTS", "3")
    monkeypatch.setenv("DESK_LOGIN_ADDRESS_ATTEMPTS", "5")


async def test_behind_a_proxy_agents_do_not_share_a_bucket(
    desk_server, make_agent, behind_proxy
) -> None:
    make_agent("rina")
    make_agent("budi")
    # Someone at 203.0.113.7 exhausts every limit of that address...
    for attempt in range(6):
        await login_from(desk_server, f"guess{attempt}", "wrong password", "203.0.113.7")
    blocked = await login_from(desk_server, "budi", PASSWORD, "203.0.113.7")
    assert blocked.status_code == 429
    # ...while the agents, behind the same proxy, each have their own address.
    rina = await login_from(desk_server, "rina", PASSWORD, "198.51.100.10")
    budi = await login_from(desk_server, "budi", PASSWORD, "198.51.100.11, 10.1.2.3")
    assert rina.status_code == 302 and "desk_session=" in rina.headers["set-cookie"]
    assert budi.status_code == 302 and "desk_session=" in budi.headers["set-cookie"]


async def test_the_real_agent_gets_in_from_another_address_during_an_attack(
    desk_server, make_agent, behind_proxy
) -> None:
    make_agent("rina")
    for _ in range(3):
        wrong = await login_from(desk_server, "rina", "guessing", "203.0.113.50")
        assert wrong.status_code == 401
    # The attacker's address is now refused for rina, even with the right password...
    assert (await login_from(desk_server, "rina", PASSWORD, "203.0.113.50")).status_code == 429
    # ...but rina at her own desk logs in with her right password.
    real = await login_from(desk_server, "rina", PASSWORD, "198.51.100.20")
    assert real.status_code == 302


async def test_the_per_address_limit_holds_across_usernames(
    desk_server, make_agent, monkeypatch
) -> None:
    monkeypatch.setenv("DESK_LOGIN_ATTEMPTS", "3")
    monkeypatch.setenv("DESK_LOGIN_ADDRESS_ATTEMPTS", "4")
    make_agent("rina")
    for name in ("andi", "bayu", "citra", "dewi"):  # under 3 per username, 4 per address
        assert (await login_from(desk_server, name, "wrong password", None)).status_code == 401
    refused = await login_from(desk_server, "rina", PASSWORD, None)
    assert refused.status_code == 429
    assert "desk_session" not in refused.cookies


async def test_a_forged_forwarded_for_is_ignored_without_a_trusted_proxy(
    desk_server, make_agent, monkeypatch
) -> None:
    monkeypatch.setenv("DESK_LOGIN_ATTEMPTS", "3")
    monkeypatch.delenv("DESK_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    make_agent("rina")
    for n in range(3):  # a new invented address on every try
        await login_from(desk_server, "rina", "guessing", f"192.0.2.{n}")
    assert (await login_from(desk_server, "rina", PASSWORD, "192.0.2.99")).status_code == 429


def test_client_address_is_the_right_most_untrusted_hop() -> None:
    trusted = ("10.0.0.0/8", "127.0.0.1")
    # Not a trusted peer: the header is the client's own claim and is ignored.
    assert resolve_client_address("198.51.100.1", ["203.0.113.9"], trusted) == "198.51.100.1"
    # A trusted proxy: the hop it appended, not what the client wrote further left.
    assert (
        resolve_client_address("127.0.0.1", ["6.6.6.6, 203.0.113.9, 10.0.0.2"], trusted)
        == "203.0.113.9"
    )
    assert resolve_client_address("127.0.0.1", ["1.1.1.1", "203.0.113.9"], trusted) == (
        "203.0.113.9"
    )
    assert resolve_client_address("10.2.3.4", [], trusted) == "10.2.3.4"
    assert resolve_client_address("127.0.0.1", ["[2001:db8::1]:4711"], trusted) == "2001:db8::1"
    assert resolve_client_address("127.0.0.1", ["203.0.113.9:5000"], trusted) == "203.0.113.9"
    # Every hop trusted: the left-most is where the request came from.
    assert resolve_client_address("127.0.0.1", ["10.9.9.9, 10.0.0.2"], trusted) == "10.9.9.9"
    assert resolve_client_address("192.0.2.1", ["203.0.113.9"], ("*",)) == "203.0.113.9"
    assert resolve_client_address("127.0.0.1", ["203.0.113.9"], ("not-an-ip",)) == "127.0.0.1"
