"""Security of the desk and of conversation data, against a real Rasa server app."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import sqlalchemy as sa
import websockets
from desk_helpers import AUTH_TOKEN, PASSWORD, api_csrf, csrf_from, post_login

from bot.crm import handoffs
from bot.crm.db import get_engine

API_POSTS = [
    "/desk/api/handoffs/{id}/claim",
    "/desk/api/handoffs/{id}/reply",
    "/desk/api/handoffs/{id}/note",
    "/desk/api/handoffs/{id}/close",
    "/desk/api/complaints/CMP-2026-000001/stage",
]


def open_handoff(sender: str = "web-customer-1") -> int:
    record = handoffs.open_handoff(
        sender, "recording", None, "customer_request", {}, [], f"k:{sender}"
    )
    return record.id


async def test_desk_api_without_a_session_is_401_and_pages_redirect_to_login(desk_server) -> None:
    handoff_id = open_handoff()
    client = desk_server.client()
    for path in ("/desk/api/queue", f"/desk/api/handoffs/{handoff_id}", "/desk/api/stats"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorised"
    for path in API_POSTS:
        response = await client.post(path.format(id=handoff_id), json={"text": "hi"})
        assert response.status_code == 401, path
    for path in ("/desk/", f"/desk/handoffs/{handoff_id}", "/desk/supervisor"):
        response = await client.get(path)
        assert response.status_code == 302
        assert response.headers["location"].startswith("/desk/login?next=")
    # A forged session cookie is no session either.
    client.cookies.set(
        "desk_session", "eyJhIjoxLCJuIjoieCIsImUiOjk5OTk5OTk5OTl9.AAAA", path="/desk"
    )
    assert (await client.get("/desk/api/queue")).status_code == 401


async def test_another_customers_transcript_is_not_readable(desk_server) -> None:
    """Rasa's HTTP API needs the token; the desk needs an agent session."""
    from rasa.shared.core.events import UserUttered

    from bot.desk.conversation import append_events

    await append_events(desk_server.agent, "customer-a", [UserUttered("nomor saya 081234567890")])
    client = desk_server.client()  # customer B, with no credentials
    for path in ("/conversations/customer-a/tracker", "/conversations/customer-a/story"):
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, params={"token": "wrong"})).status_code == 401
    assert (
        await client.post("/conversations/customer-a/tracker/events", json=[{"event": "resume"}])
    ).status_code == 401
    # The operator token gets past authentication (this test app has no model loaded, so
    # Rasa then answers 409; the model-backed stack test reads the tracker for real).
    authorised = await client.get("/conversations/customer-a/tracker", params={"token": AUTH_TOKEN})
    assert authorised.status_code != 401
    handoff_id = open_handoff("customer-a")
    assert (await client.get(f"/desk/api/handoffs/{handoff_id}")).status_code == 401
    assert (await client.get(f"/desk/handoffs/{handoff_id}")).status_code == 302


async def test_missing_or_forged_csrf_token_is_refused(desk_server, make_agent) -> None:
    make_agent("rina")
    handoff_id = open_handoff()
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    for path in API_POSTS:
        url = path.format(id=handoff_id)
        missing = await client.post(url, json={"text": "x", "to_stage": "identified"})
        forged = await client.post(
            url, json={"text": "x"}, headers={"X-CSRF-Token": token[:-2] + "xx"}
        )
        assert missing.status_code == 403, url
        assert forged.status_code == 403, url
        assert missing.json()["error"] == "csrf"
    # Another agent's valid token is useless in this session.
    make_agent("budi")
    other = await desk_server.login("budi")
    other_token = await api_csrf(other)
    assert (
        await client.post(
            f"/desk/api/handoffs/{handoff_id}/claim", headers={"X-CSRF-Token": other_token}
        )
    ).status_code == 403
    # A right token from a foreign page (Origin of another site) is refused as well.
    cross = await client.post(
        f"/desk/api/handoffs/{handoff_id}/claim",
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert handoffs.get_handoff(handoff_id).status == "waiting"  # nothing happened
    good = await client.post(
        f"/desk/api/handoffs/{handoff_id}/claim", headers={"X-CSRF-Token": token}
    )
    assert good.status_code == 200


async def test_logout_needs_csrf_and_ends_the_session(desk_server, make_agent) -> None:
    make_agent("rina")
    client = await desk_server.login("rina")
    assert (await client.post("/desk/logout")).status_code == 403
    page = await client.get("/desk/")
    response = await client.post("/desk/logout", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    assert (await client.get("/desk/api/queue")).status_code == 401


async def test_login_form_needs_its_csrf_cookie(desk_server, make_agent) -> None:
    make_agent("rina")
    client = desk_server.client()
    response = await client.post(
        "/desk/login", data={"username": "rina", "password": PASSWORD, "csrf_token": "guess"}
    )
    assert response.status_code == 403
    assert "desk_session" not in response.cookies


async def test_session_cookie_is_httponly_samesite_and_secure_when_configured(
    desk_server, make_agent, monkeypatch
) -> None:
    make_agent("rina")
    response = await post_login(desk_server.client(), "rina", PASSWORD)
    cookie = response.headers["set-cookie"].lower()
    assert "desk_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie
    # Behind HTTPS: the session cookie must not travel over plain HTTP.
    client = desk_server.client()
    page = await client.get("/desk/login")
    monkeypatch.setenv("DESK_COOKIE_SECURE", "1")
    response = await client.post(
        "/desk/login",
        data={"username": "rina", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 302
    assert "secure" in response.headers["set-cookie"].lower()


async def test_wrong_password_and_login_rate_limit(
    desk_server, make_agent, monkeypatch, time_machine
) -> None:
    # Attempts are counted per fixed time window: with the clock stopped they all fall in
    # one window, whenever the test runs (a window boundary mid-test would reset the count).
    time_machine.move_to(datetime.now(UTC), tick=False)
    monkeypatch.setenv("DESK_LOGIN_ATTEMPTS", "3")
    make_agent("rina")
    client = desk_server.client()
    wrong = await post_login(client, "rina", "not the password")
    assert wrong.status_code == 401 and "salah" in wrong.text
    for _ in range(2):
        await post_login(client, "rina", "still wrong")
    # Attempts are counted in the database per username and address: the right password
    # is refused too until the window passes.
    blocked = await post_login(client, "rina", PASSWORD)
    assert blocked.status_code == 429
    assert "desk_session" not in blocked.cookies
    # Another username from the same address is still allowed.
    make_agent("budi")
    assert (await post_login(desk_server.client(), "budi", PASSWORD)).status_code == 302


async def test_passwords_are_stored_as_argon2_hashes(desk_db, make_agent) -> None:
    make_agent("rina")
    with get_engine(desk_db).connect() as connection:
        stored = connection.execute(
            sa.text("SELECT password_hash FROM agents WHERE username = 'rina'")
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_open_redirect_after_login_is_not_possible(desk_server, make_agent) -> None:
    make_agent("rina")
    client = desk_server.client()
    page = await client.get("/desk/login", params={"next": "https://evil.example/x"})
    response = await client.post(
        "/desk/login",
        data={
            "username": "rina",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": "//evil.example",
        },
    )
    assert response.headers["location"] == "/desk/"


async def test_websocket_needs_session_csrf_and_same_origin(desk_server, make_agent) -> None:
    make_agent("rina")
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    cookie = f"desk_session={client.cookies.get('desk_session')}"
    ws_url = desk_server.url.replace("http", "ws") + "/desk/ws"

    async def outcome(url: str, headers: dict) -> str:
        try:
            async with websockets.connect(url, extra_headers=headers) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), 5))["kind"]
        except websockets.ConnectionClosed as exc:
            return f"closed {exc.code}"

    origin = {"Origin": desk_server.url}
    assert await outcome(f"{ws_url}?csrf={token}", origin) == "closed 4401"  # no cookie
    assert await outcome(ws_url, {"Cookie": cookie, **origin}) == "closed 4401"  # no CSRF
    assert (
        await outcome(
            f"{ws_url}?csrf={token}", {"Cookie": cookie, "Origin": "https://evil.example"}
        )
        == "closed 4401"
    )
    assert await outcome(f"{ws_url}?csrf={token}", {"Cookie": cookie, **origin}) == "hello"


async def test_only_the_owner_or_a_supervisor_replies_and_closes(desk_server, make_agent) -> None:
    make_agent("rina")
    make_agent("budi")
    make_agent("sari", role="supervisor")
    handoff_id = open_handoff()
    rina = await desk_server.login("rina")
    budi = await desk_server.login("budi")
    rina_token, budi_token = await api_csrf(rina), await api_csrf(budi)
    early = await rina.post(
        f"/desk/api/handoffs/{handoff_id}/reply",
        json={"text": "halo"},
        headers={"X-CSRF-Token": rina_token},
    )
    assert early.status_code == 409  # claim first
    assert (
        await rina.post(
            f"/desk/api/handoffs/{handoff_id}/claim", headers={"X-CSRF-Token": rina_token}
        )
    ).status_code == 200
    for action in ("reply", "close"):
        refused = await budi.post(
            f"/desk/api/handoffs/{handoff_id}/{action}",
            json={"text": "x"},
            headers={"X-CSRF-Token": budi_token},
        )
        assert refused.status_code == 403
    assert (await budi.get("/desk/api/stats")).status_code == 403  # supervisors only
    sari = await desk_server.login("sari")
    assert (await sari.get("/desk/api/stats")).status_code == 200
    sari_token = await api_csrf(sari)
    closed = await sari.post(
        f"/desk/api/handoffs/{handoff_id}/close", headers={"X-CSRF-Token": sari_token}
    )
    assert closed.status_code == 200


async def test_customer_text_is_escaped_on_the_desk(desk_server, make_agent) -> None:
    make_agent("rina")
    sender = "web-xss"
    handoff_id = open_handoff(sender)
    from rasa.shared.core.events import UserUttered

    from bot.desk.conversation import append_events

    await append_events(
        desk_server.agent,
        sender,
        [UserUttered('<script>alert("x")</script><img src=x onerror=alert(1)>')],
    )
    client = await desk_server.login("rina")
    page = await client.get(f"/desk/handoffs/{handoff_id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
