"""What the WhatsApp webhook tells the notification worker: when the customer last wrote
(the 24-hour window) and the delivery status of the notifications it sent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from channel_helpers import CUSTOMER_WA_ID, signed, wa_envelope, wa_message_id, wa_status, wa_text

from bot.channels.whatsapp import WhatsAppInput
from bot.crm.db import session_scope
from bot.crm.dedupe import last_inbound_at
from bot.crm.models import Notification
from bot.notify.outbox import enqueue

URL = "/webhooks/whatsapp/webhook"


@pytest.fixture
def wa(channel_app, whatsapp_env, crm_db):
    return channel_app(WhatsAppInput.from_credentials({}))


async def test_an_inbound_message_opens_the_customers_24_hour_window(wa):
    assert last_inbound_at("whatsapp", CUSTOMER_WA_ID) is None
    response = await wa.post(URL, **signed(wa_envelope([wa_text("halo")])))
    assert response.status == 200
    assert last_inbound_at("whatsapp", CUSTOMER_WA_ID) is not None


async def test_delivery_statuses_update_the_notification_sent_as_that_message(wa, crm_db):
    with session_scope(crm_db) as session:
        nid = enqueue(
            session,
            kind="stage_changed",
            channel="whatsapp",
            recipient=CUSTOMER_WA_ID,
            idempotency_key="stage:wh",
        ).id
        session.execute(
            sa.update(Notification)
            .where(Notification.id == nid)
            .values(status="sent", provider_message_id=wa_message_id(500))
        )
    for status in ("delivered", "read"):
        response = await wa.post(URL, **signed(wa_envelope(statuses=[wa_status(status)])))
        assert response.status == 200
    with session_scope(crm_db, readonly=True) as session:
        row = session.get(Notification, nid)
        assert row is not None and row.status == "read"
