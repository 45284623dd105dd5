"""WhatsApp through Twilio: X-Twilio-Signature validation, dedupe, typed text, numbered choices.

Signatures are computed with Twilio's own ``RequestValidator`` over the URL and form fields,
exactly as Twilio computes them.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from twilio.request_validator import RequestValidator

from bot.channels.twilio import ValidatedTwilioInput

AUTH_TOKEN = "twilio-test-auth-token-0123456789"
PUBLIC_URL = "https://bot.contoh-layanan.example/webhooks/twilio/webhook"
SENDER = "whatsapp:+6281234567890"
PATH = "/webhooks/twilio/webhook"


def form(body: str, sid: str = "SM1f0e8ae6ade43cb3c0ce4525424e404f", **extra: str) -> dict:
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Budi",
        "SmsSid": sid,
        "WaId": "6281234567890",
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:+14155238886",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": SENDER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def signed_post(fields: dict, token: str = AUTH_TOKEN, url: str = PUBLIC_URL) -> dict:
    signature = RequestValidator(token).compute_signature(url, fields)
    return {
        "content": urlencode(fields).encode(),
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    }


@pytest.fixture
def twilio(channel_app, crm_db, fake_graph, monkeypatch):
    monkeypatch.setenv("TWILIO_API_BASE_URL", fake_graph.base_url.rsplit("/", 1)[0])
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", "whatsapp:+14155238886")
    monkeypatch.setenv("TWILIO_WEBHOOK_URL", PUBLIC_URL)
    return channel_app(ValidatedTwilioInput.from_credentials({}))


async def test_a_correctly_signed_message_reaches_the_bot(twilio):
    response = await twilio.post(PATH, **signed_post(form("Halo, mau tanya status")))
    assert response.status == 204
    [message] = twilio.received
    assert message.text == "Halo, mau tanya status"
    assert message.sender_id == SENDER
    assert message.metadata["wa_id"] == "6281234567890"


async def test_missing_signature_is_401_and_nothing_reaches_the_bot(twilio):
    kwargs = signed_post(form("Halo"))
    del kwargs["headers"]["X-Twilio-Signature"]
    response = await twilio.post(PATH, **kwargs)
    assert response.status == 401
    assert twilio.received == []


async def test_signature_with_another_auth_token_is_403(twilio):
    response = await twilio.post(PATH, **signed_post(form("Halo"), token="someone-elses-token"))
    assert response.status == 403
    assert twilio.received == []


async def test_signature_over_other_fields_is_403(twilio):
    kwargs = signed_post(form("Halo"))
    kwargs["content"] = urlencode(form("/restart")).encode()
    response = await twilio.post(PATH, **kwargs)
    assert response.status == 403
    assert twilio.received == []


async def test_signature_for_another_url_is_403(twilio):
    response = await twilio.post(PATH, **signed_post(form("Halo"), url="https://evil.example/hook"))
    assert response.status == 403


async def test_unconfigured_auth_token_refuses_everything(channel_app, crm_db, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    app = channel_app(ValidatedTwilioInput.from_credentials({}))
    response = await app.post(PATH, **signed_post(form("Halo")))
    assert response.status == 403
    assert app.received == []


async def test_a_retried_message_sid_is_processed_once(twilio):
    fields = form("Halo", sid="SM00000000000000000000000000000042")
    await twilio.post(PATH, **signed_post(fields))
    await twilio.post(PATH, **signed_post(fields))
    assert len(twilio.received) == 1


async def test_typed_restart_is_text(twilio):
    await twilio.post(PATH, **signed_post(form("/restart")))
    assert not twilio.received[0].text.startswith("/")


async def test_a_number_picks_the_offered_button(twilio):
    tracker = DialogueStateTracker.from_events(
        SENDER,
        [
            UserUttered("halo"),
            BotUttered(
                "Pilih:",
                data={
                    "buttons": [
                        {"title": "Kalibrasi", "payload": "/request_calibration"},
                        {"title": "Bicara dengan CS", "payload": "/request_human"},
                    ]
                },
            ),
        ],
    )
    await twilio.tracker_store.save(tracker)
    await twilio.post(PATH, **signed_post(form("2")))
    assert twilio.received[0].text == "/request_human"


async def test_missing_from_is_400(twilio):
    fields = form("Halo")
    del fields["From"]
    response = await twilio.post(PATH, **signed_post(fields))
    assert response.status == 400
    assert twilio.received == []


async def test_a_location_gets_a_polite_reply_and_no_typed_intent(twilio, fake_graph):
    # Rasa's TwilioInput would turn this into "/locationData{...}" and pass it to the bot.
    fields = form("", Latitude="-6.2", Longitude="106.8")
    response = await twilio.post(PATH, **signed_post(fields))
    assert response.status == 204
    assert twilio.received == []
    [reply] = fake_graph.requests
    assert reply.body["To"] == SENDER
    assert "hanya dapat membaca pesan teks" in reply.body["Body"]


async def test_offered_buttons_are_sent_as_a_numbered_list(twilio, fake_graph):
    from bot.channels.twilio import ValidatedTwilioInput

    output = ValidatedTwilioInput.from_credentials({}).get_output_channel()
    buttons = [
        {"title": "Kalibrasi", "payload": "/request_calibration"},
        {"title": "Bicara dengan CS", "payload": "/request_human"},
    ]
    await output.send_response(SENDER, {"text": "Ada yang bisa kami bantu?", "buttons": buttons})
    body = fake_graph.requests[0].body["Body"]
    assert "1. Kalibrasi" in body and "2. Bicara dengan CS" in body
    assert "/request" not in body  # payloads are not shown to the customer
