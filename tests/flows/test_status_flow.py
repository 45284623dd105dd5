"""Status check: only the owner sees a record; nobody learns whether another's exists."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.crm.db import session_scope
from bot.crm.models import CalibrationRequest
from bot.flows import status
from bot.flows.base import Context
from tests.flows.helpers import Conversation, Records, ent, start


def _check(ctx: Context, reference: str) -> Conversation:
    text = f"cek status {reference}"
    conversation, _ = start(status.FLOW, ctx, text, "check_status", [ent("reference", reference)])
    return conversation


def test_the_owner_sees_stage_and_last_update_at_once(
    crm_url: str, records: Records, ctx: Context
) -> None:
    with session_scope() as session:
        session.execute(
            sa.update(CalibrationRequest)
            .where(CalibrationRequest.reference == records.kal)
            .values(status="quote_sent", updated_at=datetime(2026, 11, 24, 20, 0, tzinfo=UTC))
        )
    ctx.customer_id = records.owner.id
    conversation = _check(ctx, records.kal)
    assert conversation.asked is None  # recognised by the channel identity: no phone asked
    reply = status.status_reply(conversation.state, ctx)
    # 20:00 UTC on 24 November is 25 November in Jakarta.
    assert reply.response == "utter_status_result"
    assert dict(reply.values) == {
        "reference": records.kal,
        "kind": "Permintaan kalibrasi",
        "stage": "Penawaran sudah dikirim",
        "updated": "25 November 2026",
    }
    ctx_en = Context(
        language="en", today=ctx.today, profile=ctx.profile, customer_id=records.owner.id
    )
    reply_en = status.status_reply(conversation.state, ctx_en)
    assert (reply_en.values["kind"], reply_en.values["stage"], reply_en.values["updated"]) == (
        "Calibration request",
        "Quotation sent",
        "25 November 2026",
    )


def test_a_stranger_is_asked_for_the_phone_on_record(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id = records.other.id
    conversation = _check(ctx, records.kal)
    assert conversation.asked == status.PHONE
    conversation.say("0812 3456 7890")
    assert status.status_reply(conversation.state, ctx).response == "utter_status_result"


def test_wrong_phone_and_unknown_reference_look_the_same(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id = records.other.id
    someone_elses = _check(ctx, records.kal)
    missing = _check(ctx, "KAL-2026-999999")
    # Same question for a record that exists (not theirs) and one that does not.
    assert someone_elses.asked == missing.asked == status.PHONE
    assert someone_elses.replies == missing.replies == []
    someone_elses.say("0899 1111 2222")
    missing.say("0899 1111 2222")
    first = status.status_reply(someone_elses.state, ctx)
    second = status.status_reply(missing.state, ctx)
    assert first.response == second.response == "utter_status_not_available"
    assert set(first.values) == set(second.values) == {"reference"}


def test_the_reply_is_checked_again_not_taken_from_the_slots(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id = records.other.id
    forged = {status.REFERENCE: records.kal, status.VERIFIED: True, status.PHONE: None}
    assert status.status_reply(forged, ctx).response == "utter_status_not_available"


def test_reference_typed_later_and_bad_formats(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id = records.owner.id
    conversation, _ = start(status.FLOW, ctx, "cek status dong", "check_status")
    assert conversation.asked == status.REFERENCE
    conversation.say("nomornya lupa")
    assert conversation.responses == ["utter_invalid_reference"]
    conversation.say(records.kal.replace("-", " ").lower())
    assert conversation.asked is None and conversation.state[status.VERIFIED] is True
