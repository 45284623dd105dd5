"""WhatsApp Cloud API webhook: verification, signatures, dedupe, message kinds, bad input.

Requests go through Sanic's ASGI test client into the real channel blueprint; "reaches the
bot" means the channel called Rasa's ``on_new_message``. Replies go to a local fake Graph
API. Bodies follow Meta's documented webhook format (see channel_helpers).
"""

from __future__ import annotations

import json

import pytest
from channel_helpers import (
    APP_SECRET,
    CUSTOMER_WA_ID,
    VERIFY_TOKEN,
    signed,
    wa_envelope,
    wa_image,
    wa_interactive,
    wa_message_id,
    wa_status,
    wa_text,
)
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.typed_intents import NEUTRALISER
from bot.channels.whatsapp import WhatsAppInput

URL = "/webhooks/whatsapp/webhook"


@pytest.fixture
def wa(channel_app, whatsapp_env, crm_db):
    return channel_app(WhatsAppInput.from_credentials({}))


async def offer_buttons(store, sender: str, buttons: list) -> None:
    tracker = DialogueStateTracker.from_events(
        sender,
        [UserUttered("halo"), BotUttered("Ada yang bisa kami bantu?", data={"buttons": buttons})],
    )
    await store.save(tracker)


MENU = [
    {"title": "Kalibrasi", "payload": "/request_calibration"},
    {"title": "Bicara dengan CS", "payload": "/request_human"},
]


# ---- GET verification -----------------------------------------------------------------
async def test_get_challenge_is_echoed_with_the_right_verify_token(wa):
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = await wa.get(URL, params=params)
    assert response.status == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


async def test_get_challenge_with_a_wrong_verify_token_is_refused(wa):
    params = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    response = await wa.get(URL, params=params)
    assert response.status == 403
    assert "1158201444" not in response.text


# ---- signatures ----------------------------------------------------------------------
async def test_valid_signature_reaches_the_bot_with_wa_id_as_sender(wa):
    response = await wa.post(URL, **signed(wa_envelope([wa_text("Halo, mau tanya kalibrasi")])))
    assert response.status == 200
    assert [m.text for m in wa.received] == ["Halo, mau tanya kalibrasi"]
    message = wa.received[0]
    assert message.sender_id == CUSTOMER_WA_ID
    assert message.input_channel == "whatsapp"
    assert message.metadata["wa_id"] == CUSTOMER_WA_ID
    assert message.metadata["profile_name"] == "Budi Santoso"


async def test_missing_signature_is_401_and_nothing_reaches_the_bot(wa):
    body = json.dumps(wa_envelope([wa_text("Halo")])).encode()
    response = await wa.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert response.status == 401
    assert wa.received == []


async def test_signature_with_another_secret_is_403_and_nothing_reaches_the_bot(wa):
    response = await wa.post(
        URL, **signed(wa_envelope([wa_text("Halo")]), secret="not-the-app-secret")
    )
    assert response.status == 403
    assert wa.received == []


async def test_signature_of_a_different_body_is_403(wa):
    original = json.dumps(wa_envelope([wa_text("Halo")])).encode()
    tampered = json.dumps(wa_envelope([wa_text("/restart")])).encode()
    kwargs = signed(original)
    kwargs["content"] = tampered
    response = await wa.post(URL, **kwargs)
    assert response.status == 403
    assert wa.received == []


async def test_unconfigured_channel_refuses_even_signed_posts(channel_app, crm_db, monkeypatch):
    monkeypatch.delenv("WHATSAPP_APP_SECRET", raising=False)
    app = channel_app(WhatsAppInput.from_credentials({}))
    response = await app.post(URL, **signed(wa_envelope([wa_text("Halo")])))
    assert response.status == 403
    assert app.received == []


# ---- dedupe ------------------------------------------------------------------------------
async def test_a_redelivered_message_id_is_processed_once(channel_app, whatsapp_env, any_crm_db):
    wa = channel_app(WhatsAppInput.from_credentials({}))
    body = wa_envelope([wa_text("Status KAL-2026-000123?", n=7)])
    first = await wa.post(URL, **signed(body))
    second = await wa.post(URL, **signed(body))  # Meta retries with the same wamid
    assert (first.status, second.status) == (200, 200)
    assert [m.message_id for m in wa.received] == [wa_message_id(7)]


async def test_different_message_ids_are_all_processed(wa):
    await wa.post(URL, **signed(wa_envelope([wa_text("satu", n=1)])))
    await wa.post(URL, **signed(wa_envelope([wa_text("dua", n=2)])))
    assert [m.text for m in wa.received] == ["satu", "dua"]


# ---- typed "/..." and interactive replies ------------------------------------------------
async def test_typed_restart_reaches_rasa_as_text_not_as_the_restart_intent(wa):
    await wa.post(URL, **signed(wa_envelope([wa_text("/restart")])))
    text = wa.received[0].text
    assert not text.startswith("/")
    assert text == NEUTRALISER + "/restart"  # the customer's words, kept verbatim


async def test_typed_payload_of_an_offered_button_is_still_text_if_not_offered(wa):
    await offer_buttons(wa.tracker_store, CUSTOMER_WA_ID, MENU)
    await wa.post(URL, **signed(wa_envelope([wa_text('/inform{"phone": "0811"}')])))
    assert not wa.received[0].text.startswith("/")


async def test_button_reply_with_an_offered_payload_is_passed_as_the_payload(wa):
    await offer_buttons(wa.tracker_store, CUSTOMER_WA_ID, MENU)
    await wa.post(
        URL,
        **signed(
            wa_envelope([wa_interactive("button_reply", "/request_human", "Bicara dengan CS")])
        ),
    )
    assert wa.received[0].text == "/request_human"


async def test_list_reply_with_an_offered_payload_is_passed_as_the_payload(wa):
    await offer_buttons(wa.tracker_store, CUSTOMER_WA_ID, MENU)
    await wa.post(
        URL,
        **signed(wa_envelope([wa_interactive("list_reply", "/request_calibration", "Kalibrasi")])),
    )
    assert wa.received[0].text == "/request_calibration"


async def test_reply_id_that_was_not_offered_becomes_its_title_as_text(wa):
    await offer_buttons(wa.tracker_store, CUSTOMER_WA_ID, MENU)
    await wa.post(
        URL, **signed(wa_envelope([wa_interactive("button_reply", "/restart", "Mulai ulang")]))
    )
    assert wa.received[0].text == "Mulai ulang"


# ---- statuses and unsupported types ------------------------------------------------------
async def test_status_callbacks_are_acknowledged_and_reach_nobody(wa, whatsapp_env):
    for status in ("sent", "delivered", "read", "failed"):
        response = await wa.post(URL, **signed(wa_envelope(statuses=[wa_status(status)])))
        assert response.status == 200
    assert wa.received == []
    assert whatsapp_env.sent() == []  # no reply to a receipt


# A real (tiny) JPEG header and a PDF: the type is sniffed from these bytes.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
MEDIA_ID = "1234567890123456"  # wa_image()'s media id


@pytest.fixture
def media_dir(tmp_path, monkeypatch):
    directory = tmp_path / "media"
    monkeypatch.setenv("MEDIA_DIR", str(directory))
    return directory


def stored_files(directory) -> list:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


async def test_an_image_is_downloaded_stored_and_acknowledged(wa, whatsapp_env, media_dir):
    whatsapp_env.media[MEDIA_ID] = JPEG
    response = await wa.post(URL, **signed(wa_envelope([wa_image()])))
    assert response.status == 200
    assert wa.received == []  # outside a handoff the bot itself does not parse "[gambar]"
    [sent] = whatsapp_env.sent()
    assert sent["to"] == CUSTOMER_WA_ID
    body = sent["text"]["body"]
    assert "sudah kami terima" in body and "hanya dapat membaca pesan teks" not in body
    # Downloaded from the Graph media endpoint with the access token, then stored privately.
    assert [d.path for d in whatsapp_env.downloads] == [
        f"/v18.0/{MEDIA_ID}",
        f"/media-download/{MEDIA_ID}",
    ]
    [path] = stored_files(media_dir)
    assert path.read_bytes() == JPEG and path.suffix == ".jpg"
    assert path.stat().st_mode & 0o777 == 0o600


async def test_a_file_that_is_not_an_image_or_pdf_is_refused_whatever_its_mime_type(
    wa, whatsapp_env, media_dir
):
    whatsapp_env.media[MEDIA_ID] = b"MZ\x90\x00 this is an .exe pretending to be a jpeg"
    response = await wa.post(URL, **signed(wa_envelope([wa_image()])))
    assert response.status == 200
    [sent] = whatsapp_env.sent()
    assert "hanya bisa menerima foto" in sent["text"]["body"]
    assert stored_files(media_dir) == []


async def test_during_a_handoff_an_image_reaches_the_transcript_as_a_link(
    wa, whatsapp_env, media_dir
):
    tracker = DialogueStateTracker.from_events(
        CUSTOMER_WA_ID, [UserUttered("tolong CS"), ConversationPaused()]
    )
    await wa.tracker_store.save(tracker)
    whatsapp_env.media[MEDIA_ID] = JPEG
    response = await wa.post(URL, **signed(wa_envelope([wa_image()])))
    assert response.status == 200
    assert whatsapp_env.sent() == []  # the paused bot stays silent
    [message] = wa.received  # recorded in the tracker: the desk broker shows it to the agent
    [path] = stored_files(media_dir)
    assert message.text == f"[gambar] /desk/media/{path.name}"


async def test_a_reaction_gets_no_reply(wa, whatsapp_env):
    raw = {
        "from": CUSTOMER_WA_ID,
        "id": wa_message_id(43),
        "timestamp": "1767225643",
        "type": "reaction",
        "reaction": {"message_id": "wamid.X", "emoji": "\U0001f44d"},
    }
    response = await wa.post(URL, **signed(wa_envelope([raw])))
    assert response.status == 200
    assert wa.received == [] and whatsapp_env.sent() == []


@pytest.mark.parametrize(
    "message",
    [
        {
            "type": "audio",
            "audio": {
                "mime_type": "audio/ogg; codecs=opus",
                "sha256": "abc",
                "id": "99",
                "voice": True,
            },
        },
        {
            "type": "location",
            "location": {
                "latitude": -6.2,
                "longitude": 106.8,
                "name": "Kantor",
                "address": "Jakarta",
            },
        },
        {
            "type": "sticker",
            "sticker": {"mime_type": "image/webp", "sha256": "abc", "id": "98", "animated": False},
        },
        {"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]},
    ],
    ids=["audio", "location", "sticker", "unsupported"],
)
async def test_other_message_types_never_raise_and_never_reach_the_bot(wa, whatsapp_env, message):
    raw = {"from": CUSTOMER_WA_ID, "id": wa_message_id(42), "timestamp": "1767225642", **message}
    response = await wa.post(URL, **signed(wa_envelope([raw])))
    assert response.status == 200
    assert wa.received == []
    assert len(whatsapp_env.sent()) == 1


# ---- bad input ---------------------------------------------------------------------------
async def test_malformed_json_with_a_valid_signature_is_400(wa):
    response = await wa.post(URL, **signed(b'{"object": "whatsapp_business_account", "entry": ['))
    assert response.status == 400
    assert response.json["error"] == "bad_payload"
    assert "Traceback" not in response.text
    assert wa.received == []


@pytest.mark.parametrize(
    "body",
    [
        [1, 2, 3],
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account", "entry": "not a list"},
        wa_envelope([{"from": CUSTOMER_WA_ID, "type": "text", "text": {"body": "tanpa id"}}]),
        wa_envelope(
            [{"from": 6281234567890, "id": "wamid.A", "type": "text", "text": {"body": "x"}}]
        ),
        wa_envelope(
            [{"from": CUSTOMER_WA_ID, "id": "wamid.B", "type": "text", "text": {"body": 123}}]
        ),
    ],
    ids=[
        "array",
        "wrong-object",
        "entry-not-list",
        "missing-id",
        "from-not-string",
        "body-not-string",
    ],
)
async def test_missing_fields_or_wrong_types_are_400(wa, body):
    response = await wa.post(URL, **signed(body))
    assert response.status == 400
    assert wa.received == []


async def test_a_1_mb_body_is_413_before_anything_else(wa):
    response = await wa.post(URL, **signed(b"{" + b" " * (1024 * 1024) + b"}"))
    assert response.status == 413
    assert wa.received == []


async def test_a_10000_character_message_gets_a_polite_too_long_reply(wa, whatsapp_env):
    response = await wa.post(URL, **signed(wa_envelope([wa_text("a" * 10_000)])))
    assert response.status == 200
    assert wa.received == []
    [sent] = whatsapp_env.sent()
    assert "terlalu panjang" in sent["text"]["body"]


async def test_emoji_and_non_latin_scripts_reach_the_bot_verbatim(wa):
    texts = ["Halo 👋🏽 mau kalibrasi 🌡️", "مرحبا", "こんにちは、校正をお願いします", "Привет"]
    for n, text in enumerate(texts):
        response = await wa.post(URL, **signed(wa_envelope([wa_text(text, n=n)])))
        assert response.status == 200
    assert [m.text for m in wa.received] == texts


async def test_server_keeps_serving_after_bad_input(wa):
    await wa.post(URL, **signed(b"\xff\xfe not json"))
    await wa.post(URL, **signed(b"{" + b" " * (1024 * 1024) + b"}"))
    response = await wa.post(URL, **signed(wa_envelope([wa_text("masih bisa?")])))
    assert response.status == 200
    assert [m.text for m in wa.received] == ["masih bisa?"]


async def test_secret_never_appears_in_an_answer(wa):
    response = await wa.post(URL, **signed(wa_envelope([wa_text("x")]), secret="wrong"))
    assert APP_SECRET not in response.text
