"""STOP / START through the real channel blueprints (issue 15): the keyword is answered by
the channel before Rasa, so it works while an agent has the conversation (the bot paused),
and the confirmation is the one message an opted-out customer still gets."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from channel_helpers import CUSTOMER_WA_ID, signed, wa_envelope, wa_interactive, wa_text
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.rest import GuardedRestInput
from bot.channels.whatsapp import WhatsAppInput
from bot.crm.db import session_scope
from bot.crm.models import Consent, Notification
from bot.notify.outbox import enqueue

WA_URL = "/webhooks/whatsapp/webhook"
REST_URL = "/webhooks/rest/webhook"


@pytest.fixture
def wa(channel_app, whatsapp_env, crm_db):
    return channel_app(WhatsAppInput.from_credentials({}))


@pytest.fixture
def rest(channel_app, monkeypatch, crm_db):
    import bot.channels.rest as rest_module

    monkeypatch.delenv("REST_CHANNEL_TOKEN", raising=False)
    monkeypatch.delenv("RASA_BIND_HOST", raising=False)
    monkeypatch.setattr(rest_module, "_is_loopback_peer", lambda request: True)
    return channel_app(GuardedRestInput.from_credentials({}))


def _pending_update(url: str) -> int:
    with session_scope(url) as session:
        return enqueue(
            session,
            kind="stage_changed",
            channel="whatsapp",
            recipient=CUSTOMER_WA_ID,
            idempotency_key="stage:wa:1",
            reference="KAL-2026-0042",
            payload={"stage": "scheduled"},
        ).id


async def test_stop_during_a_paused_handoff_opts_out_and_is_confirmed(wa, crm_db):
    await wa.tracker_store.save(
        DialogueStateTracker.from_events(
            CUSTOMER_WA_ID, [UserUttered("mau bicara dengan CS"), ConversationPaused()]
        )
    )
    nid = _pending_update(crm_db)

    response = await wa.post(WA_URL, **signed(wa_envelope([wa_text("STOP")])))

    assert response.status == 200
    assert wa.received == []  # not passed to Rasa (which is paused anyway)
    with session_scope(crm_db, readonly=True) as session:
        row = session.get(Notification, nid)
        assert row is not None and row.status == "cancelled"
        consent = session.execute(sa.select(Consent)).scalar_one()
        assert (consent.channel, consent.address, consent.via, consent.granted) == (
            "whatsapp",
            CUSTOMER_WA_ID,
            "whatsapp",
            False,
        )


async def test_the_confirmation_goes_back_on_whatsapp(wa, whatsapp_env, crm_db):
    await wa.post(WA_URL, **signed(wa_envelope([wa_text("berhenti")])))
    (reply,) = whatsapp_env.sent()
    assert reply["to"] == CUSTOMER_WA_ID
    assert reply["text"]["body"].startswith("Baik, Bapak/Ibu. Kami tidak akan mengirim")

    await wa.post(WA_URL, **signed(wa_envelope([wa_text("Mulai lagi", n=1)])))
    assert whatsapp_env.sent()[1]["text"]["body"].startswith("Terima kasih, Bapak/Ibu.")
    assert wa.received == []


async def test_rest_unsubscribe_is_answered_in_english_and_not_sent_to_the_bot(rest, crm_db):
    response = await rest.post(REST_URL, json={"sender": "web-9", "message": "Unsubscribe"})
    assert response.status == 200
    (message,) = response.json
    assert message["text"].startswith("Done. We will not send you")
    assert rest.received == []
    response = await rest.post(REST_URL, json={"sender": "web-9", "message": "stop dulu ya"})
    assert [m.text for m in rest.received] == ["stop dulu ya"]  # a sentence is not a keyword


async def test_the_reminder_question_answered_by_button_on_whatsapp(wa, whatsapp_env, crm_db):
    """The "Ya, ingatkan" reply button (payload /reminders_yes) records reminder consent with
    time and channel; a button is matched by its payload, never its title."""
    await wa.post(
        WA_URL, **signed(wa_envelope([wa_interactive("button_reply", "/greet", "Start")]))
    )
    with session_scope(crm_db, readonly=True) as session:
        assert session.execute(sa.select(Consent)).first() is None  # a "Start" title is no START
    await wa.post(
        WA_URL,
        **signed(
            wa_envelope([wa_interactive("button_reply", "/reminders_yes", "Ya, ingatkan", n=1)])
        ),
    )
    assert whatsapp_env.sent()[-1]["text"]["body"].startswith("Terima kasih, Bapak/Ibu. Kami akan")
    assert [m.text for m in wa.received] == ["/greet"]  # the answer is not passed to Rasa
    with session_scope(crm_db, readonly=True) as session:
        consent = session.execute(sa.select(Consent)).scalar_one()
        assert (consent.purpose, consent.granted, consent.source, consent.via) == (
            "reminders",
            True,
            "asked",
            "whatsapp",
        )
        assert consent.address == CUSTOMER_WA_ID and consent.at is not None
