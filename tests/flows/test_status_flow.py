"""Status check: only the owner sees a record; nobody learns whether another's exists."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cases.transition import transition
from bot.cases.types import Actor
from bot.flows import status
from bot.flows.base import Context
from tests.flows.helpers import Conversation, Records, ent, start


def _check(ctx: Context, reference: str) -> Conversation:
    text = f"cek status {reference}"
    conversation, _ = start(status.FLOW, ctx, text, "check_status", [ent("reference", reference)])
    return conversation


def test_the_owner_sees_the_real_stage_since_when_and_the_next_step(
    crm_url: str, records: Records, ctx: Context
) -> None:
    # Staff send the quotation in the back office (20:00 UTC on 24 November = 03:00 WIB on 25).
    transition(
        records.kal,
        "quotation_sent",
        {"quotation_number": "Q-1", "amount": "Rp2.500.000", "valid_until": "2026-12-31"},
        actor=Actor(None, "supervisor"),
        now=datetime(2026, 11, 24, 20, 0, tzinfo=UTC),
    )
    ctx.customer_id = records.owner.id
    conversation = _check(ctx, records.kal)
    assert conversation.asked is None  # recognised by the channel identity
    assert conversation.state[status.ACCESS] == status.OWNER
    reply = status.status_reply(conversation.state, ctx)
    assert reply.response == "utter_status_result"
    assert dict(reply.values) == {
        "reference": records.kal,
        "kind": "Permintaan kalibrasi",
        "stage": "Penawaran sudah dikirim",
        "updated": "25 November 2026 pukul 03.00 WIB",
        "details": "\nLangkah berikutnya: kami menunggu PO/SPK dari Bapak/Ibu untuk penawaran ini.",
    }
    ctx_en = Context(
        language="en", today=ctx.today, profile=ctx.profile, customer_id=records.owner.id
    )
    reply_en = status.status_reply(conversation.state, ctx_en)
    # Inside the English sentence "Status of calibration request KAL-…", not "of Calibration".
    assert (reply_en.values["kind"], reply_en.values["stage"], reply_en.values["updated"]) == (
        "calibration request",
        "Quotation sent",
        "25 November 2026, 03:00 WIB",
    )
    assert reply_en.values["details"] == (
        "\nNext step: we are waiting for your PO/SPK for this quotation."
    )


def test_a_stranger_who_knows_the_phone_still_gets_only_the_verification_step(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id, ctx.sender_id, ctx.channel = records.other.id, "web-visitor-2", "rest"
    conversation = _check(ctx, records.kal)
    assert conversation.asked is None  # no phone asked: knowing a number proves nothing
    assert conversation.state[status.ACCESS] == status.VERIFY
    assert status.needs_verification(conversation.state) == records.kal
    assert status.status_reply(conversation.state, ctx).response == "utter_status_not_available"


def test_an_unknown_reference_is_simply_not_available(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id, ctx.sender_id, ctx.channel = records.other.id, "web-visitor-2", "rest"
    missing = _check(ctx, "KAL-2026-999999")
    assert missing.state[status.ACCESS] == status.UNKNOWN
    assert status.needs_verification(missing.state) is None
    reply = status.status_reply(missing.state, ctx)
    assert (reply.response, dict(reply.values)) == (
        "utter_status_not_available",
        {"reference": "KAL-2026-999999"},
    )


def test_a_whatsapp_sender_is_verified_by_the_channel(
    crm_url: str, records: Records, ctx: Context
) -> None:
    from bot.crm.customers import resolve_customer

    # The financing lead was typed on the website with 0813-9999-8888; that number now
    # writes on WhatsApp, which vouches for its sender: no code needed.
    ctx.customer_id = resolve_customer("whatsapp", "6281399998888").id
    ctx.sender_id, ctx.channel = "6281399998888", "whatsapp"
    conversation = _check(ctx, records.fin)
    assert conversation.state[status.ACCESS] == status.OWNER
    assert status.status_reply(conversation.state, ctx).response == "utter_status_result"


def test_look_ups_are_limited_per_conversation_with_a_polite_reply(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id, ctx.sender_id, ctx.channel = records.owner.id, "6281234567890", "whatsapp"
    for _ in range(20):
        assert _check(ctx, records.kal).state[status.ACCESS] == status.OWNER
    blocked = _check(ctx, records.kal)
    assert blocked.state[status.ACCESS] == status.BLOCKED
    assert status.status_reply(blocked.state, ctx).response == "utter_status_too_many_attempts"


def test_look_ups_by_others_are_limited_per_reference(
    crm_url: str, records: Records, ctx: Context
) -> None:
    from bot.crm.customers import resolve_customer

    outcomes = []
    for i in range(6):
        ctx.sender_id, ctx.channel = f"prober-{i}", "rest"
        ctx.customer_id = resolve_customer("rest", ctx.sender_id).id
        outcomes.append(_check(ctx, records.kal).state[status.ACCESS])
    assert outcomes == [status.VERIFY] * 5 + [status.BLOCKED]


def test_the_reply_is_checked_again_not_taken_from_the_slots(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id = records.other.id
    forged = {status.REFERENCE: records.kal, status.ACCESS: status.OWNER}
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
    assert conversation.asked is None and conversation.state[status.ACCESS] == status.OWNER
