"""Desk responses are never cached, sniffed or framed; hostile JSON bodies get a clean 400."""

from __future__ import annotations

import pytest
from desk_helpers import api_csrf

from bot import jsonsafe
from bot.crm import handoffs


def open_handoff(sender: str = "web-h") -> int:
    return handoffs.open_handoff(sender, "recording", None, "customer_request", {}, [], sender).id


async def test_every_desk_response_has_no_store_and_nosniff(desk_server, make_agent) -> None:
    make_agent("rina")
    handoff_id = open_handoff()
    anonymous = desk_server.client()
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    responses = {
        "login page": await anonymous.get("/desk/login"),
        "redirect to login": await anonymous.get("/desk/"),
        "401": await anonymous.get("/desk/api/queue"),
        "queue page": await client.get("/desk/"),
        "handoff page": await client.get(f"/desk/handoffs/{handoff_id}"),
        "queue API": await client.get("/desk/api/queue"),
        "handoff API": await client.get(f"/desk/api/handoffs/{handoff_id}"),
        "403 API": await client.get("/desk/api/stats"),
        "404 API": await client.get("/desk/api/handoffs/999999"),
        "POST API": await client.post(
            f"/desk/api/handoffs/{handoff_id}/claim", headers={"X-CSRF-Token": token}
        ),
    }
    for name, response in responses.items():
        assert response.headers.get("cache-control") == "no-store", name
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert response.headers.get("x-frame-options") == "DENY", name
        assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", ""), name
    static = await anonymous.get("/desk/static/desk.js")
    assert static.status_code == 200 and static.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"[" * 100_000, "json_too_large"),  # the body: over the 64 KiB limit
        (b"[" * 10_000, "json_too_deep"),
        (b'{"text": ' + b"[" * 50 + b"]" * 50 + b"}", "json_too_deep"),
        (b'{"text": "' + b"x" * 70_000 + b'"}', "json_too_large"),
        (b'{"text": "halo"', "invalid_json"),
        (b"\xff\xfe not utf-8", "invalid_json"),
        (b'["not", "an", "object"]', "invalid_json"),
        (b'{"text": NaN}', "invalid_json"),
    ],
    ids=["100k-brackets", "10k-brackets", "deep-value", "large", "cut", "latin", "array", "nan"],
)
async def test_a_hostile_json_body_is_a_400_json_error(
    desk_server, make_agent, body: bytes, code: str
) -> None:
    make_agent("rina")
    handoff_id = open_handoff()
    client = await desk_server.login("rina")
    token = await api_csrf(client)
    headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
    for path in (
        f"/desk/api/handoffs/{handoff_id}/claim",
        f"/desk/api/handoffs/{handoff_id}/note",
        "/desk/api/complaints/CMP-2026-000001/stage",
    ):
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 400, path
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"] == code, path
        assert "Traceback" not in response.text
    # Nothing happened: the conversation is still waiting, no note was stored.
    assert handoffs.get_handoff(handoff_id).status == "waiting"
    assert handoffs.messages(handoff_id) == []


def test_jsonsafe_limits_and_errors() -> None:
    assert jsonsafe.loads(b'{"a": [1, {"b": "[[[["}]}') == {"a": [1, {"b": "[[[["}]}
    assert jsonsafe.loads('{"text": "\\"[[[\\""}', max_depth=1) == {"text": '"[[["'}
    assert jsonsafe.loads("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(jsonsafe.JSONTooDeep):
        jsonsafe.loads("[[[1]]]", max_depth=2)
    with pytest.raises(jsonsafe.JSONTooDeep):
        jsonsafe.loads("[" * 100_000 + "]" * 100_000, max_bytes=1_000_000)
    with pytest.raises(jsonsafe.JSONTooLarge):
        jsonsafe.loads(b"1" * 11, max_bytes=10)
    for bad in (b"", b"{", b"\xff", b"NaN", b"[Infinity]", "{'a': 1}"):
        with pytest.raises(jsonsafe.JSONInvalid):
            jsonsafe.loads(bad)
    for error in (jsonsafe.JSONTooDeep, jsonsafe.JSONTooLarge, jsonsafe.JSONInvalid):
        assert issubclass(error, ValueError)
