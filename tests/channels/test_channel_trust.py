"""Untrusted input on the channels: deep JSON, REST sender ids, who may use the REST channel.

A body of 100 000 ``[`` made ``json.loads`` raise RecursionError: HTTP 500 with a traceback
in the log (REST, and WhatsApp even with a valid signature). The REST channel answered any
caller on any interface, with any sender id (newlines, zero-width characters included).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import pytest

from bot import jsonsafe
from bot.channels.rest import GuardedRestInput

REST_URL = "/webhooks/rest/webhook"
WA_URL = "/webhooks/whatsapp/webhook"
DEEP = b"[" * 100_000 + b"]" * 100_000


async def echo(message) -> None:
    await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


def assert_clean_400(response, code: str | None = None) -> None:
    assert response.status == 400
    assert response.headers["content-type"].startswith("application/json")
    if code:
        assert response.json["error"] == code
    assert "Traceback" not in response.text


# --- bot.jsonsafe ------------------------------------------------------------------------------


def test_deep_nesting_is_refused_before_the_recursive_decoder_runs() -> None:
    started = time.monotonic()
    with pytest.raises(jsonsafe.JSONTooDeep):
        jsonsafe.loads(DEEP, max_bytes=len(DEEP))
    assert time.monotonic() - started < 1.0
    with pytest.raises(jsonsafe.JSONTooDeep):
        jsonsafe.loads('{"a":' * 33 + "1" + "}" * 33)
    assert jsonsafe.loads('{"a":' * 32 + "1" + "}" * 32) is not None


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"message": "[[[[{{{{ \\" [[[[" , "n": [1, [2]]}'
    assert jsonsafe.loads(text, max_depth=3) == {"message": '[[[[{{{{ " [[[[', "n": [1, [2]]}


@pytest.mark.parametrize(
    "body, error",
    [
        (b"x" * 11, jsonsafe.JSONTooLarge),
        (b'{"a": ', jsonsafe.JSONInvalid),
        (b"\xff\xfe{}", jsonsafe.JSONInvalid),
        ("[" * 40, jsonsafe.JSONTooDeep),
    ],
)
def test_every_failure_is_a_json_body_error(body, error) -> None:
    with pytest.raises(error) as caught:
        jsonsafe.loads(body, max_bytes=10 if body == b"x" * 11 else 1000)
    assert isinstance(caught.value, jsonsafe.JSONBodyError)
    assert isinstance(caught.value, ValueError)


# --- REST --------------------------------------------------------------------------------------


def as_local_peer(monkeypatch, local: bool = True) -> None:
    """Sanic's ASGI test client connects from the host name "mockserver", not an address."""
    import bot.channels.rest as rest_module

    monkeypatch.setattr(rest_module, "_is_loopback_peer", lambda request: local)


@pytest.fixture
def rest(channel_app, monkeypatch):
    monkeypatch.delenv("REST_CHANNEL_TOKEN", raising=False)
    monkeypatch.delenv("RASA_BIND_HOST", raising=False)
    as_local_peer(monkeypatch)
    return channel_app(GuardedRestInput.from_credentials({}), reply=echo)


@pytest.mark.parametrize(
    "ip, local",
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("10.0.0.5", False),
        ("192.168.1.20", False),
        ("", False),
        ("mockserver", False),
    ],
)
def test_only_a_loopback_socket_peer_counts_as_local(ip, local) -> None:
    from types import SimpleNamespace

    from bot.channels.rest import _is_loopback_peer

    assert _is_loopback_peer(SimpleNamespace(ip=ip)) is local


async def test_deeply_nested_json_on_rest_is_400_without_traceback(rest, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await rest.post(REST_URL, content=DEEP[:200_000])
    assert_clean_400(response, "json_too_deep")
    assert rest.received == []
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


@pytest.mark.parametrize(
    "sender",
    [
        "web-1\n",
        "web\n1",
        "web\r1",
        "web\u200b1",  # zero-width space
        "web\u202e1",  # right-to-left override
        "web\x071",
        "web 1",
        " web-1",
        "wéb-1",
        "a" * 129,
        "",
    ],
    ids=[
        "trailing-newline",
        "newline",
        "cr",
        "zwsp",
        "rlo",
        "bell",
        "space",
        "leading-space",
        "non-ascii",
        "129-chars",
        "empty",
    ],
)
async def test_sender_ids_outside_the_documented_charset_are_400(rest, sender) -> None:
    response = await rest.post(REST_URL, json={"sender": sender, "message": "halo"})
    assert_clean_400(response, "invalid_sender")
    assert "A-Z" not in response.json["message"]  # a readable rule, not a regex
    assert rest.received == []


@pytest.mark.parametrize("sender", ["web-1", "a" * 128, "user@example:1.2_3+x"])
async def test_documented_sender_ids_are_accepted(rest, sender) -> None:
    response = await rest.post(REST_URL, json={"sender": sender, "message": "halo"})
    assert response.status == 200
    assert rest.received[0].sender_id == sender


async def test_without_a_token_a_server_bound_beyond_loopback_refuses_everyone(
    channel_app, monkeypatch
) -> None:
    monkeypatch.delenv("REST_CHANNEL_TOKEN", raising=False)
    monkeypatch.setenv("RASA_BIND_HOST", "0.0.0.0")
    as_local_peer(monkeypatch)  # even a caller on this machine
    app = channel_app(GuardedRestInput.from_credentials({}), reply=echo)
    response = await app.post(REST_URL, json={"sender": "web-1", "message": "halo"})
    assert response.status == 401
    assert response.json["error"] == "unauthorised"
    assert app.received == []


async def test_without_a_token_only_callers_on_this_machine_are_served(
    channel_app, monkeypatch
) -> None:
    """Bound to loopback (the default): the README's local curl works, a remote peer does not."""
    monkeypatch.delenv("REST_CHANNEL_TOKEN", raising=False)
    monkeypatch.setenv("RASA_BIND_HOST", "127.0.0.1")
    app = channel_app(GuardedRestInput.from_credentials({}), reply=echo)
    as_local_peer(monkeypatch)
    local = await app.post(REST_URL, json={"sender": "web-1", "message": "halo"})
    assert local.status == 200
    as_local_peer(monkeypatch, local=False)
    remote = await app.post(REST_URL, json={"sender": "web-1", "message": "halo"})
    assert remote.status == 401


async def test_with_a_token_any_interface_needs_the_bearer(channel_app, monkeypatch) -> None:
    monkeypatch.setenv("REST_CHANNEL_TOKEN", "tok-" + "z" * 20)
    monkeypatch.setenv("RASA_BIND_HOST", "0.0.0.0")
    app = channel_app(GuardedRestInput.from_credentials({}), reply=echo)
    assert (await app.post(REST_URL, json={"sender": "w", "message": "x"})).status == 401
    wrong = {"Authorization": "Bearer tok-wrong"}
    assert (
        await app.post(REST_URL, json={"sender": "w", "message": "x"}, headers=wrong)
    ).status == 401
    good = {"Authorization": "Bearer tok-" + "z" * 20}
    assert (
        await app.post(REST_URL, json={"sender": "w", "message": "x"}, headers=good)
    ).status == 200


# --- WhatsApp (signed: the depth check runs after the signature check) --------------------------


async def test_deeply_nested_json_on_signed_whatsapp_is_400_without_traceback(
    channel_app, whatsapp_env, crm_db, caplog
) -> None:
    from channel_helpers import APP_SECRET

    from bot.channels.whatsapp import WhatsAppInput

    wa = channel_app(WhatsAppInput.from_credentials({}))
    body = b'{"object": "whatsapp_business_account", "entry": ' + DEEP[:100_000] + b"}"
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    with caplog.at_level(logging.DEBUG):
        response = await wa.post(
            WA_URL,
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )
    assert_clean_400(response, "bad_payload")
    assert "nested deeper" in response.json["message"]
    assert wa.received == []
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
