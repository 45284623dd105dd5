"""Feedback: rating, kind, recommend, comment; skippable; linked to what it is about."""

from __future__ import annotations

from bot.flows import feedback as fb
from bot.flows.base import Context
from tests.flows.helpers import Conversation, ent, start


def test_full_feedback(ctx: Context) -> None:
    conversation, _ = start(fb.FLOW, ctx, "mau kasih masukan", "give_feedback")
    assert conversation.asked == fb.RATING
    conversation.say("7")
    assert conversation.responses == ["utter_invalid_rating"]
    conversation.say("4")
    conversation.say("saran")
    conversation.say("iya", "affirm")
    conversation.say("Kabari lewat WA kalau sertifikat sudah dikirim ke email")
    assert conversation.asked is None
    data = fb.build_input(conversation.state)
    assert (data.rating, data.kind, data.would_recommend) == (4, "saran", True)
    assert data.comment == "Kabari lewat WA kalau sertifikat sudah dikirim ke email"


def test_rating_button_after_a_saved_request_links_the_reference(ctx: Context) -> None:
    offered = fb.offer_slots(reference="KAL-2026-000007")
    conversation, _ = start(
        fb.FLOW,
        ctx,
        fb.rating_payload(5),
        "give_feedback",
        [ent("feedback_rating", "5")],
        state=offered,
    )
    assert conversation.state[fb.RATING] == 5 and conversation.asked == fb.KIND
    conversation.click("pujian")
    conversation.say("tidak", "deny")
    conversation.click("skip")
    data = fb.build_input(conversation.state)
    assert (data.rating, data.kind, data.would_recommend, data.comment) == (
        5,
        "pujian",
        False,
        None,
    )
    assert data.related_reference == "KAL-2026-000007" and data.handoff_id is None


def test_rating_from_the_desks_closing_prompt_links_the_handoff(ctx: Context) -> None:
    conversation, _ = start(
        fb.FLOW,
        ctx,
        fb.rating_payload(2),
        "give_feedback",
        [ent("feedback_rating", "2")],
        state={fb.LAST_HANDOFF_ID: 41},
    )
    assert conversation.state[fb.HANDOFF_ID] == 41


def test_feedback_asked_for_directly_is_not_linked_to_an_old_handoff(ctx: Context) -> None:
    conversation, _ = start(
        fb.FLOW, ctx, "saya mau kasih penilaian", "give_feedback", state={fb.LAST_HANDOFF_ID: 41}
    )
    assert conversation.state[fb.HANDOFF_ID] is None


def test_skipping_stores_nothing(ctx: Context) -> None:
    for answer in (("lewati", "inform"), ("nggak usah", "deny")):
        conversation: Conversation
        conversation, _ = start(fb.FLOW, ctx, "kasih nilai", "give_feedback")
        conversation.say(*answer)
        assert conversation.asked is None and conversation.state[fb.SKIPPED] is True
        assert fb.build_input(conversation.state) is None
