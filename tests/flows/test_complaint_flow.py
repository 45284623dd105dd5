"""Complaint form: taxonomy from the profile, related reference owned by the customer, human offer."""

from __future__ import annotations

from bot.flows import complaints as cmp
from bot.flows.base import Context
from tests.flows.helpers import Conversation, Records, ent, start


def _start(ctx: Context, text: str = "saya mau komplain") -> Conversation:
    conversation, _ = start(cmp.FLOW, ctx, text, "file_complaint")
    return conversation


def test_category_buttons_come_from_the_business_profile(ctx: Context) -> None:
    reply = cmp.ask_category(ctx)
    assert [b.title for b in reply.buttons] == [
        c.label["id"] for c in ctx.profile.complaint_categories
    ]
    assert reply.buttons[0].payload == '/inform{"choice": "late_certificate"}'


def test_category_by_button_or_typed_label(ctx: Context) -> None:
    conversation = _start(ctx)
    assert conversation.asked == cmp.CATEGORY
    conversation.say("pokoknya kesal")
    assert conversation.responses == ["utter_invalid_choice"]
    conversation.say("invoice salah")
    assert conversation.state[cmp.CATEGORY] == "wrong_invoice"
    conversation = _start(ctx)
    conversation.click("debt_collection_conduct")
    assert conversation.state[cmp.CATEGORY] == "debt_collection_conduct"


def test_a_long_first_message_is_the_description(ctx: Context) -> None:
    text = "Sertifikat kalibrasi kami belum dikirim padahal sudah tiga minggu sejak alat kembali"
    conversation = _start(ctx, text)
    assert conversation.state[cmp.DESCRIPTION] == text
    assert _start(ctx, "mau komplain dong").state.get(cmp.DESCRIPTION) is None


def _to_reference(ctx: Context) -> Conversation:
    conversation = _start(ctx)
    conversation.click("late_certificate")
    conversation.say("Budi")
    conversation.say("0812-3456-7890")
    assert conversation.asked == cmp.RELATED
    return conversation


def test_own_reference_is_accepted(crm_url: str, records: Records, ctx: Context) -> None:
    ctx.customer_id = records.owner.id
    conversation = _to_reference(ctx)
    conversation.say(records.kal.lower(), entities=[ent("reference", records.kal)])
    assert conversation.state[cmp.RELATED] == records.kal


def test_a_typed_phone_does_not_make_someone_elses_reference_acceptable(
    crm_url: str, records: Records, ctx: Context
) -> None:
    from bot.crm.customers import resolve_customer

    ctx.customer_id = resolve_customer("rest", "same-person-on-the-website").id
    conversation = _to_reference(ctx)  # types 0812-3456-7890, the number on the record
    conversation.say(records.kal)
    assert conversation.state[cmp.RELATED] is None
    assert conversation.responses == ["utter_invalid_related_reference"]


def test_someone_elses_reference_reads_exactly_like_a_missing_one(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id = records.owner.id
    conversation = _to_reference(ctx)
    conversation.say(records.fin)  # exists, belongs to someone else
    other = conversation.replies
    missing = records.fin[:-6] + "999999"
    conversation.say(missing)  # does not exist
    assert (
        [r.response for r in other]
        == [r.response for r in conversation.replies]
        == ["utter_invalid_related_reference"]
    )
    assert dict(other[0].values) == {"reference": records.fin}
    assert dict(conversation.replies[0].values) == {"reference": missing}
    assert conversation.state[cmp.RELATED] is None
    conversation.click("none")
    assert conversation.state[cmp.RELATED] == cmp.NO_REFERENCE


def test_no_reference_typed(ctx: Context) -> None:
    conversation = _to_reference(ctx)
    conversation.say("tidak ada")
    assert (
        conversation.state[cmp.RELATED] == cmp.NO_REFERENCE
        and conversation.asked == cmp.DESCRIPTION
    )


def test_descriptions_are_answers_even_when_nlu_thinks_they_are_questions(ctx: Context) -> None:
    conversation = _to_reference(ctx)
    conversation.say("tidak ada")
    text = "Kenapa sertifikatnya belum dikirim? Sudah 3 minggu. <script>x</script>"
    assert not conversation.say(text, "faq").rejected
    assert conversation.state[cmp.DESCRIPTION] == text


def _complete(ctx: Context, description: str, severity: str = "medium") -> Conversation:
    conversation = _to_reference(ctx)
    conversation.say("tidak ada")
    conversation.say(description)
    conversation.say("Mohon dikirim minggu ini")
    conversation.click(severity)
    assert conversation.asked == cmp.CONFIRM
    conversation.say("ya", "affirm")
    return conversation


def test_complete_complaint_record(ctx: Context) -> None:
    conversation = _complete(ctx, "Sertifikat belum diterima")
    data = cmp.build_input(conversation.state)
    assert (data.category, data.severity, data.related_reference) == (
        "late_certificate",
        "medium",
        None,
    )
    assert (data.description, data.desired_resolution) == (
        "Sertifikat belum diterima",
        "Mohon dikirim minggu ini",
    )
    assert cmp.human_reason(conversation.state) is None
    assert [r.response for r in cmp.saved_replies("CMP-2026-000001", conversation.state, ctx)] == [
        "utter_complaint_saved"
    ]


def test_high_severity_price_negotiation_and_spec_dispute_offer_a_human(ctx: Context) -> None:
    cases = [
        ("Sertifikat belum diterima", "high", "high_severity_complaint"),
        ("Harganya bisa nego? Penawaran terlalu mahal", "low", "price_negotiation"),
        (
            "Di PO kami tulis digital tapi di lapangan analog, kok ada selisih harga?",
            "medium",
            "spec_dispute",
        ),
        ("The instrument on site does not match the PO specification", "low", "spec_dispute"),
    ]
    for description, severity, reason in cases:
        conversation = _complete(ctx, description, severity)
        assert cmp.human_reason(conversation.state) == reason
        responses = [
            r.response for r in cmp.saved_replies("CMP-2026-000002", conversation.state, ctx)
        ]
        assert responses == ["utter_complaint_saved", f"utter_complaint_offer_human_{reason}"]


def test_a_reference_that_nlu_reads_as_a_status_check_is_still_the_answer(
    crm_url: str, records: Records, ctx: Context
) -> None:
    ctx.customer_id = records.owner.id
    conversation = _to_reference(ctx)
    # Someone else's reference: refused with the reason, not taken as a switch to a status check.
    result = conversation.say(records.fin, "check_status", [ent("reference", records.fin)])
    assert not result.rejected and conversation.responses == ["utter_invalid_related_reference"]
    conversation.say(records.kal, "check_status", [ent("reference", records.kal)])
    assert conversation.state[cmp.RELATED] == records.kal
    # A real request for another flow still switches.
    assert conversation.say("saya mau cek status pengajuan", "check_status").rejected


def test_failure_counters_are_set_only_when_they_change(ctx: Context) -> None:
    from bot.flows.base import FAILED_SLOT_SLOT, FAILURES_SLOT

    conversation = _start(ctx)
    conversation.say("pokoknya kesal")  # not a category: counted
    assert (conversation.state[FAILURES_SLOT], conversation.state[FAILED_SLOT_SLOT]) == (
        1,
        cmp.CATEGORY,
    )
    result = conversation.say("invoice salah")  # answered: counters reset
    assert (result.slots[FAILURES_SLOT], result.slots[FAILED_SLOT_SLOT]) == (0, None)
    result = conversation.say("Budi")  # already clear: no redundant slot events
    assert conversation.state[cmp.CATEGORY] == "wrong_invoice"
    assert FAILURES_SLOT not in result.slots and FAILED_SLOT_SLOT not in result.slots
