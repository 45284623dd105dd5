"""Desk sessions end server-side: logout, password change, disable and role change.

A copied cookie (another browser, a stolen value) is the attacker's view: each test keeps
the cookie value, ends the session the way an agent or admin would, then replays it from a
fresh client. Runs on SQLite and PostgreSQL (the database replicas share).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
import websockets
from desk_helpers import PASSWORD, api_csrf, csrf_from

from bot import PROJECT_ROOT
from bot.crm import agents, desk_sessions
from bot.crm.db import get_engine
from bot.crm.models import Agent, DeskSession
from bot.crm.sqltypes import utcnow
from bot.desk import web


def replay(desk_server, cookie: str):
    """A fresh client presenting a copied session cookie."""
    client = desk_server.client()
    client.cookies.set("desk_session", cookie, path="/desk")
    return client


async def assert_refused(desk_server, cookie: str) -> None:
    client = replay(desk_server, cookie)
    api = await client.get("/desk/api/queue")
    assert api.status_code == 401
    assert api.json()["error"] == "unauthorised"
    page = await client.get("/desk/")
    assert page.status_code == 302 and page.headers["location"].startswith("/desk/login")


def last_seen(url: str, agent_id: int):
    with get_engine(url).connect() as connection:
        return connection.execute(
            sa.select(Agent.last_seen_at).where(Agent.id == agent_id)
        ).scalar_one()


async def logged_in(desk_server, username: str):
    client = await desk_server.login(username)
    cookie = client.cookies.get("desk_session")
    assert cookie and (await client.get("/desk/api/queue")).status_code == 200
    return client, cookie


async def test_a_cookie_copied_before_logout_is_refused_after_it(desk_server, make_agent) -> None:
    make_agent("rina")
    client, cookie = await logged_in(desk_server, "rina")
    page = await client.get("/desk/")
    assert (
        await client.post("/desk/logout", data={"csrf_token": csrf_from(page.text)})
    ).status_code == 302
    await assert_refused(desk_server, cookie)
    # Logging in again gives a new, working session; the old cookie stays dead.
    _again, new_cookie = await logged_in(desk_server, "rina")
    assert new_cookie != cookie
    await assert_refused(desk_server, cookie)


async def test_logging_in_again_in_a_browser_ends_its_previous_session(
    desk_server, make_agent
) -> None:
    make_agent("rina")
    make_agent("budi")
    client, first = await logged_in(desk_server, "rina")
    page = await client.get("/desk/login")
    await client.post(
        "/desk/login",
        data={"username": "budi", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert client.cookies.get("desk_session") != first
    await assert_refused(desk_server, first)


async def test_logout_ends_only_that_session(desk_server, make_agent) -> None:
    make_agent("rina")
    laptop, _ = await logged_in(desk_server, "rina")
    _phone, phone_cookie = await logged_in(desk_server, "rina")
    page = await laptop.get("/desk/")
    await laptop.post("/desk/logout", data={"csrf_token": csrf_from(page.text)})
    assert (await replay(desk_server, phone_cookie).get("/desk/api/queue")).status_code == 200


@pytest.mark.parametrize("change", ["password", "disable", "role"])
async def test_an_account_change_ends_every_session_of_that_agent(
    desk_server, make_agent, change: str
) -> None:
    rina = make_agent("rina")
    make_agent("budi")
    _, laptop = await logged_in(desk_server, "rina")
    _, phone = await logged_in(desk_server, "rina")
    _, budi = await logged_in(desk_server, "budi")
    if change == "password":
        assert agents.change_password(rina.id, "a brand new passphrase")
    elif change == "disable":
        assert agents.disable_agent(rina.id)
    else:
        assert agents.set_role(rina.id, "supervisor")
    await assert_refused(desk_server, laptop)
    await assert_refused(desk_server, phone)
    assert desk_sessions.live_sessions(rina.id) == 0
    # Another agent is not affected.
    assert (await replay(desk_server, budi).get("/desk/api/queue")).status_code == 200
    if change == "password":
        assert agents.authenticate("rina", PASSWORD) is None
        assert (await desk_server.login("rina", "a brand new passphrase")).cookies.get(
            "desk_session"
        )
    elif change == "disable":
        # Re-enabling the account does not bring the old sessions back.
        assert agents.set_active(rina.id, True)
        await assert_refused(desk_server, laptop)
        assert (await desk_server.login("rina")).cookies.get("desk_session")
    else:
        client = await desk_server.login("rina")
        assert (await client.get("/desk/api/stats")).status_code == 200  # the new role


async def test_an_expired_session_is_refused(desk_server, any_desk_db: str, make_agent) -> None:
    make_agent("rina")
    _, cookie = await logged_in(desk_server, "rina")
    with get_engine(any_desk_db).begin() as connection:
        connection.execute(
            sa.update(DeskSession)
            .where(DeskSession.id == desk_sessions.session_id(cookie))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    await assert_refused(desk_server, cookie)


async def test_the_session_table_keeps_no_usable_cookie(
    desk_server, any_desk_db, make_agent
) -> None:
    make_agent("rina")
    _, cookie = await logged_in(desk_server, "rina")
    with get_engine(any_desk_db).connect() as connection:
        stored = connection.execute(sa.select(DeskSession.id)).scalars().all()
    assert stored == [desk_sessions.session_id(cookie)] and cookie not in stored
    # The stored id used as a cookie is no session.
    await assert_refused(desk_server, stored[0])


async def test_a_stale_cookie_never_marks_the_agent_online(
    desk_server,
    any_desk_db,
    make_agent,
) -> None:
    rina = make_agent("rina")
    client, cookie = await logged_in(desk_server, "rina")
    assert last_seen(any_desk_db, rina.id) is not None  # at the desk
    page = await client.get("/desk/")
    await client.post("/desk/logout", data={"csrf_token": csrf_from(page.text)})
    assert last_seen(any_desk_db, rina.id) is None  # logged out: offline
    stale = replay(desk_server, cookie)
    for path in ("/desk/api/queue", "/desk/", "/desk/api/stats"):
        await stale.get(path)
    assert last_seen(any_desk_db, rina.id) is None
    assert [a.username for a in agents.online_agents(60)] == []


async def test_an_open_websocket_closes_when_its_session_ends(
    desk_server,
    any_desk_db,
    make_agent,
    monkeypatch,
) -> None:
    monkeypatch.setattr(web, "SESSION_RECHECK_S", 0.1)
    rina = make_agent("rina")
    client, cookie = await logged_in(desk_server, "rina")
    token = await api_csrf(client)
    ws_url = desk_server.url.replace("http", "ws") + f"/desk/ws?csrf={token}"
    headers = {"Cookie": f"desk_session={cookie}", "Origin": desk_server.url}
    async with websockets.connect(ws_url, extra_headers=headers) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["kind"] == "hello"
        page = await client.get("/desk/")
        await client.post("/desk/logout", data={"csrf_token": csrf_from(page.text)})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:  # live events may still arrive until the socket is closed
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.code == 4401
    assert last_seen(any_desk_db, rina.id) is None


async def test_a_heartbeat_on_a_revoked_session_closes_the_socket_and_stays_offline(
    desk_server,
    any_desk_db,
    make_agent,
) -> None:
    rina = make_agent("rina")
    client, cookie = await logged_in(desk_server, "rina")
    token = await api_csrf(client)
    ws_url = desk_server.url.replace("http", "ws") + f"/desk/ws?csrf={token}"
    headers = {"Cookie": f"desk_session={cookie}", "Origin": desk_server.url}
    async with websockets.connect(ws_url, extra_headers=headers) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["kind"] == "hello"
        agents.disable_agent(rina.id)
        await ws.send(json.dumps({"action": "heartbeat"}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.code == 4401
    assert last_seen(any_desk_db, rina.id) is None


def run_cli(url: str, tmp_path, *args: str, stdin: str = ""):
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(PROJECT_ROOT),
        "CRM_DATABASE_URL": url,
        "BOT_VAR_DIR": str(tmp_path),
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "agent", *args],
        input=stdin,
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_passwd_role_and_disable_end_the_sessions(
    desk_server,
    any_desk_db,
    make_agent,
    tmp_path,
) -> None:
    make_agent("rina")
    new_password = "ganti kata sandi 2026"
    _, cookie = await logged_in(desk_server, "rina")
    done = run_cli(any_desk_db, tmp_path, "passwd", "rina", "--password-stdin", stdin=new_password)
    assert done.returncode == 0, done.stderr
    assert new_password not in done.stdout + done.stderr
    await assert_refused(desk_server, cookie)
    assert agents.authenticate("rina", new_password) is not None

    _, cookie = await logged_in_with(desk_server, "rina", new_password)
    done = run_cli(any_desk_db, tmp_path, "role", "rina", "admin")
    assert done.returncode == 0, done.stderr
    await assert_refused(desk_server, cookie)
    assert agents.find_agent("rina").role == "admin"

    _, cookie = await logged_in_with(desk_server, "rina", new_password)
    done = run_cli(any_desk_db, tmp_path, "disable", "rina")
    assert done.returncode == 0, done.stderr
    await assert_refused(desk_server, cookie)
    assert agents.authenticate("rina", new_password) is None
    done = run_cli(any_desk_db, tmp_path, "enable", "rina")
    assert done.returncode == 0, done.stderr
    assert agents.authenticate("rina", new_password) is not None
    await assert_refused(desk_server, cookie)  # re-enabling does not revive old sessions

    weak = run_cli(any_desk_db, tmp_path, "passwd", "rina", "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "at least 8" in weak.stderr
    unknown = run_cli(any_desk_db, tmp_path, "role", "nobody", "agent")
    assert unknown.returncode == 2 and "no agent" in unknown.stderr
    bad_role = run_cli(any_desk_db, tmp_path, "role", "rina", "root")
    assert bad_role.returncode == 2


async def logged_in_with(desk_server, username: str, password: str):
    client = await desk_server.login(username, password)
    cookie = client.cookies.get("desk_session")
    assert cookie
    return client, cookie
