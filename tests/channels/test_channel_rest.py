"""REST channel bad input: each case gets a clear 4xx (JSON, no traceback) and the server
keeps serving. Rasa's own RestInput answers a JSON array with 500, runs a body without
``sender`` in one shared "default" conversation, and lets the client pick ``input_channel``."""

from __future__ import annotations

import json

import pytest
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.rest import GuardedRestInput
from bot.channels.typed_intents import NEUTRALISER

URL = "/webhooks/rest/webhook"


async def echo(message) -> None:
    await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


@pytest.fixture
def rest(channel_app, monkeypatch):
    import bot.channels.rest as rest_module

    monkeypatch.delenv("REST_CHANNEL_TOKEN", raising=False)
    monkeypatch.delenv("RASA_BIND_HOST", raising=False)  # loopback: no token needed locally
    # Sanic's ASGI test client connects from the host name "mockserver": count it as local.
    monkeypatch.setattr(rest_module, "_is_loopback_peer", lambda request: True)
    return channel_app(GuardedRestInput.from_credentials({}), reply=echo)


def assert_clean_4xx(response, status: int, code: str) -> None:
    assert response.status == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json["error"] == code
    assert "Traceback" not in response.text


async def test_a_good_message_is_answered(rest):
    response = await rest.post(URL, json={"sender": "web-1", "message": "halo"})
    assert response.status == 200
    assert response.json == [{"recipient_id": "web-1", "text": "echo: halo"}]
    assert rest.received[0].input_channel == "rest"


async def test_malformed_json_is_400(rest):
    response = await rest.post(URL, content=b'{"sender": "web-1", "message": ')
    assert_clean_4xx(response, 400, "malformed_json")
    assert rest.received == []


async def test_a_json_array_is_400(rest):
    response = await rest.post(URL, content=b'["web-1", "halo"]')
    assert_clean_4xx(response, 400, "malformed_json")


@pytest.mark.parametrize(
    "body", [{"message": "halo"}, {"sender": "web-1"}, {}], ids=["no-sender", "no-message", "empty"]
)
async def test_missing_fields_are_400(rest, body):
    response = await rest.post(URL, json=body)
    assert_clean_4xx(response, 400, "missing_field")
    assert rest.received == []


@pytest.mark.parametrize(
    "body",
    [
        {"sender": 42, "message": "halo"},
        {"sender": "web-1", "message": 5},
        {"sender": "web-1", "message": ["a"]},
        {"sender": {"id": 1}, "message": "halo"},
    ],
    ids=["int-sender", "int-message", "list-message", "object-sender"],
)
async def test_wrong_types_are_400(rest, body):
    response = await rest.post(URL, json=body)
    assert_clean_4xx(response, 400, "wrong_type")
    assert rest.received == []


async def test_a_1_mb_body_is_413(rest):
    body = json.dumps({"sender": "web-1", "message": "a" * (1024 * 1024)}).encode()
    response = await rest.post(URL, content=body)
    assert_clean_4xx(response, 413, "body_too_large")
    assert rest.received == []


async def test_a_10000_character_message_is_422_with_a_polite_text(rest):
    response = await rest.post(URL, json={"sender": "web-1", "message": "kalibrasi " * 1000})
    assert_clean_4xx(response, 422, "message_too_long")
    assert "terlalu panjang" in response.json["message"]
    assert response.json["max_chars"] == 4096
    assert rest.received == []


@pytest.mark.parametrize(
    "text",
    ["Halo 👋🏽 mau kalibrasi 🌡️", "مرحبا، أريد معايرة", "你好，我想校准", "Привет", "🙏" * 500],
    ids=["emoji", "arabic", "chinese", "cyrillic", "500-emoji"],
)
async def test_emoji_and_non_latin_scripts_are_accepted_verbatim(rest, text):
    response = await rest.post(URL, json={"sender": "web-1", "message": text})
    assert response.status == 200
    assert rest.received[0].text == text
    assert response.json[0]["text"] == f"echo: {text}"


@pytest.mark.parametrize(
    "raw",
    [b'{"sender": "web-1", "message": "\\ud800"}', b'{"sender": "web-1", "message": "a\\u0000b"}'],
    ids=["lone-surrogate", "nul"],
)
async def test_unstorable_characters_are_400(rest, raw):
    response = await rest.post(URL, content=raw)
    assert_clean_4xx(response, 400, "invalid_characters")


async def test_invalid_utf8_is_400(rest):
    response = await rest.post(URL, content=b'{"sender": "web-1", "message": "\xff\xfe"}')
    assert_clean_4xx(response, 400, "malformed_json")


@pytest.mark.parametrize("sender", ["6281234567890", "+6281234567890", "whatsapp:+6281234567890"])
async def test_a_whatsapp_identity_cannot_be_used_as_rest_sender(rest, sender):
    response = await rest.post(URL, json={"sender": sender, "message": "status pesanan saya?"})
    assert_clean_4xx(response, 400, "invalid_sender")
    assert rest.received == []


async def test_client_cannot_choose_the_input_channel_or_metadata(rest):
    body = {
        "sender": "web-1",
        "message": "halo",
        "input_channel": "whatsapp",
        "metadata": {"wa_id": "6281234567890"},
    }
    await rest.post(URL, json=body)
    message = rest.received[0]
    assert message.input_channel == "rest"
    assert "wa_id" not in message.metadata


async def test_typed_restart_is_text(rest):
    await rest.post(URL, json={"sender": "web-1", "message": "/restart"})
    assert rest.received[0].text == NEUTRALISER + "/restart"


async def test_greeting_payload_is_allowed_only_on_a_new_conversation(rest):
    await rest.post(URL, json={"sender": "web-new", "message": "/greet"})
    assert rest.received[0].text == "/greet"
    await rest.tracker_store.save(
        DialogueStateTracker.from_events("web-old", [UserUttered("halo")])
    )
    await rest.post(URL, json={"sender": "web-old", "message": "/greet"})
    assert rest.received[1].text == NEUTRALISER + "/greet"


async def test_a_payload_the_bot_offered_is_passed_as_an_intent(rest):
    tracker = DialogueStateTracker.from_events(
        "web-2",
        [
            UserUttered("halo"),
            BotUttered("Pilih:", data={"buttons": [{"title": "CS", "payload": "/request_human"}]}),
        ],
    )
    await rest.tracker_store.save(tracker)
    await rest.post(URL, json={"sender": "web-2", "message": "/request_human"})
    assert rest.received[0].text == "/request_human"


async def test_server_keeps_serving_after_bad_input(rest):
    await rest.post(URL, content=b"[")
    await rest.post(URL, content=b"x" * (1024 * 1024))
    await rest.post(URL, json={"sender": 1, "message": 2})
    response = await rest.post(URL, json={"sender": "web-1", "message": "masih hidup?"})
    assert response.status == 200
    assert [m.text for m in rest.received] == ["masih hidup?"]


async def test_bearer_token_is_required_when_configured(channel_app, monkeypatch):
    monkeypatch.setenv("REST_CHANNEL_TOKEN", "s3cret-token")
    app = channel_app(GuardedRestInput.from_credentials({}), reply=echo)
    refused = await app.post(URL, json={"sender": "web-1", "message": "halo"})
    assert refused.status == 401
    accepted = await app.post(
        URL,
        json={"sender": "web-1", "message": "halo"},
        headers={"Authorization": "Bearer s3cret-token"},
    )
    assert accepted.status == 200
