"""Verification by one-time code: masked offer, code from the outbox, owner vs stranger."""

from __future__ import annotations

import sqlalchemy as sa

from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.models import Notification
from bot.flows import status, verification
from bot.flows.base import Context
from tests.flows.helpers import Conversation, Records, ent, start


def _as(ctx: Context, sender: str) -> Context:
    ctx.sender_id, ctx.channel = sender, "rest"
    ctx.customer_id = resolve_customer("rest", sender).id
    return ctx


def _verification_for(ctx: Context, reference: str) -> Conversation:
    check, _ = start(
        status.FLOW, ctx, f"cek {reference}", "check_status", [ent("reference", reference)]
    )
    assert status.needs_verification(check.state) == reference
    conversation, _ = start(
        verification.FLOW,
        ctx,
        f"cek {reference}",
        "check_status",
        state={verification.REFERENCE: reference},
    )
    assert conversation.asked == verification.CHANNEL
    return conversation


def _last_code() -> str:
    with session_scope(readonly=True) as session:
        row = session.execute(
            sa.select(Notification).order_by(Notification.id.desc()).limit(1)
        ).scalar_one()
        assert (row.kind, row.channel, row.recipient) == ("otp_code", "whatsapp", "6281234567890")
        return str(row.payload["code"])


def test_the_offer_shows_the_contacts_on_record_masked_only(
    crm_url: str, records: Records, ctx: Context
) -> None:
    conversation = _verification_for(_as(ctx, "stranger"), records.kal)
    offer = verification.offer(conversation.state, ctx)
    titles = [b.title for b in offer.buttons]
    assert titles == ["WhatsApp 08**-****-7890", "Tidak, terima kasih"]
    assert "3456" not in " ".join(titles)


def test_the_owner_on_a_new_device_proves_the_number_and_sees_the_status(
    crm_url: str, records: Records, ctx: Context
) -> None:
    conversation = _verification_for(_as(ctx, "owner-laptop"), records.kal)
    conversation.click("phone")
    assert conversation.asked == verification.CODE
    assert conversation.state[verification.DESTINATION] == "08**-****-7890"
    code = _last_code()
    wrong = "000000" if code != "000000" else "111111"
    conversation.say(wrong)
    assert conversation.responses == ["utter_verification_code_wrong"]
    assert conversation.reply_values("utter_verification_code_wrong") == {"remaining": 4}
    conversation.say(code)
    assert conversation.asked is None
    replies, proven = verification.outcome(conversation.state)
    assert proven and [r.response for r in replies] == ["utter_verification_success"]
    # The number's owner (the WhatsApp customer) proved it first: this device joins it.
    ctx.customer_id = resolve_customer("rest", "owner-laptop").id
    assert ctx.customer_id == records.owner.id
    shown = {status.REFERENCE: records.kal, status.ACCESS: status.OWNER}
    assert status.status_reply(shown, ctx).response == "utter_status_result"


def test_a_stranger_without_the_code_gets_nothing(
    crm_url: str, records: Records, ctx: Context
) -> None:
    conversation = _verification_for(_as(ctx, "stranger"), records.kal)
    conversation.say("ya", "affirm")
    code = _last_code()
    for guess in ("123 456", "654321", "111111", "222222", "333333"):
        if guess.replace(" ", "") != code:
            conversation.say(guess)
    if conversation.asked is None:
        assert verification.outcome(conversation.state) == (
            [verification.Reply("utter_verification_locked")],
            False,
        )
    shown = {status.REFERENCE: records.kal, status.ACCESS: status.OWNER}
    assert status.status_reply(shown, ctx).response == "utter_status_not_available"
    assert resolve_customer("rest", "stranger").id != records.owner.id


def test_declining_ends_politely_and_sends_nothing(
    crm_url: str, records: Records, ctx: Context
) -> None:
    conversation = _verification_for(_as(ctx, "stranger"), records.kal)
    conversation.click("no")
    assert conversation.asked is None
    assert verification.outcome(conversation.state)[0][0].response == "utter_verification_declined"
    with session_scope(readonly=True) as session:
        assert session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 0


def test_not_a_code_is_asked_again(crm_url: str, records: Records, ctx: Context) -> None:
    conversation = _verification_for(_as(ctx, "stranger"), records.kal)
    conversation.click("phone")
    conversation.say("kodenya 12345")
    assert conversation.responses == ["utter_verification_code_invalid"]
    assert conversation.asked == verification.CODE
