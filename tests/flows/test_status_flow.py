"""Status check: only the owner sees a record; nobody learns whether another's exists."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cases.transition import transition
from bot.cases.types import Actor
from bot.flows import status
from bot.flows.base import Context
from tests.flows.conftest import Records
from tests.flows.helpers import Conversation, ent, start


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
    assert conversation.asked is None  # recognised by the channel identity: no phone asked
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
    assert (reply_en.values["kind"], reply_en.values["stage"], reply_en.values["updated"]) == (
        "Calibration request",
        "Quotation sent",
        "25 November 2026, 03:00 WIB",
    )
    assert reply_en.values["details"] == (
        "\nNext step: we are waiting for your PO/SPK for this quotation."
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
