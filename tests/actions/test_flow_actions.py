"""The flows' rasa_sdk actions against a real CRM database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher

from actions.calibration import ActionSubmitCalibration, ValidateCalibrationRequestForm
from actions.common import ActionAskEditField, ActionCancelFlow, ActionSwitchFlow
from actions.complaints import ActionSubmitComplaint
from actions.feedback import ActionDeclineFeedback, ActionSubmitFeedback, ValidateFeedbackForm
from actions.financing import ActionSubmitFinancing
from actions.status import ActionShowStatus, ValidateStatusForm
from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.models import CalibrationRequest, Complaint, Feedback, FinancingRequest
from tests.actions.helpers import (
    active,
    domain_dict,
    entity,
    form_turn,
    responses,
    sdk_tracker,
    slot_values,
    start_of_conversation,
    user,
)

CAL = "calibration_request_form"
FIRST = "mau kalibrasi 12 pressure gauge di pabrik Cikarang"
CONFIRMED: dict[str, Any] = {
    "cal_service_type": "kalibrasi",
    "cal_instruments": [{"type": "pressure_gauge", "spec": "analog", "quantity": 12}],
    "cal_more_instruments": False,
    "cal_location": "lab",
    "cal_preferred_date": "2030-01-07",
    "contact_company": "PT Maju Jaya",
    "contact_name": "Budi Santoso",
    "contact_phone": "+6281234567890",
    "contact_email": "budi@majujaya.co.id",
}


async def _run(action: Any, tracker: Any) -> tuple:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain_dict())
    return dispatcher, events


def _count(model: Any) -> int:
    with session_scope(readonly=True) as session:
        return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


async def test_activation_prefills_from_the_first_message(crm_url: str) -> None:
    entities = [
        entity("service_type", "kalibrasi", "kalibrasi", FIRST),
        entity("quantity", "12", "12", FIRST),
        entity("instrument_type", "pressure_gauge", "pressure gauge", FIRST),
        entity("service_location", "onsite", "di pabrik", FIRST),
        entity("city", "Cikarang", "Cikarang", FIRST),
    ]
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            user(FIRST, "request_calibration", entities),
            ActiveLoop(CAL),
            *form_turn(CAL, None),
        ]
    )
    dispatcher, events = await _run(ValidateCalibrationRequestForm(), tracker)
    values = slot_values(events)
    assert values["cal_instrument_type"] == "pressure_gauge" and values["cal_quantity"] == 12
    assert values["cal_location"] == "onsite" and values["cal_service_type"] == "kalibrasi"
    assert values["requested_slot"] == "cal_instrument_spec"
    assert dispatcher.messages == []


async def test_a_faq_question_is_rejected_then_the_question_is_asked_again(crm_url: str) -> None:
    before_date = {
        k: v for k, v in CONFIRMED.items() if k.startswith("cal_") and k != "cal_preferred_date"
    }
    in_progress = [*start_of_conversation(), *active(CAL, "cal_preferred_date", before_date)]
    question = user("berapa lama kalibrasinya?", "faq")
    rejected_tracker = sdk_tracker([*in_progress, question, *form_turn(CAL, "cal_preferred_date")])
    _, events = await _run(ValidateCalibrationRequestForm(), rejected_tracker)
    assert events == []  # nothing extracted: Rasa rejects the form, the FAQ rule answers

    after_answer = sdk_tracker(
        [
            *in_progress,
            question,
            ActionExecuted("action_answer_faq"),
            BotUttered("Sekitar 3 hari kerja."),
            *form_turn(CAL, "cal_preferred_date"),
        ]
    )
    dispatcher, events = await _run(ValidateCalibrationRequestForm(), after_answer)
    assert slot_values(events)["requested_slot"] == "cal_preferred_date"
    assert (
        "cal_preferred_date" not in slot_values(events)
        or slot_values(events)["cal_preferred_date"] is None
    )
    assert dispatcher.messages == []


async def test_three_invalid_answers_offer_a_human(crm_url: str) -> None:
    events_so_far = [*start_of_conversation(), *active(CAL, "contact_email", {})]
    for _attempt in range(3):
        tracker = sdk_tracker(
            [*events_so_far, user("budi@maju", "inform"), *form_turn(CAL, "contact_email")]
        )
        dispatcher, events = await _run(ValidateCalibrationRequestForm(), tracker)
        events_so_far += [user("budi@maju", "inform"), ActionExecuted(CAL)]
        events_so_far += [SlotSet(e["name"], e["value"]) for e in events if e["event"] == "slot"]
        events_so_far.append(ActionExecuted("action_listen"))
    assert responses(dispatcher) == ["utter_invalid_email", "utter_offer_human_after_failures"]
    assert slot_values(events)["handoff_reason"] == "failed_validation"


def _confirmed_tracker(message_id: str = "msg-confirm-1", sender: str = "web-abc") -> Any:
    return sdk_tracker(
        [
            *start_of_conversation(),
            *active(CAL, "cal_confirm", CONFIRMED),
            user("ya, benar", "affirm", message_id=message_id),
            SlotSet("cal_confirm", True),
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            ActionExecuted(CAL),
        ],
        sender=sender,
    )


async def test_saving_twice_with_the_same_tracker_stores_one_request(crm_url: str) -> None:
    tracker = _confirmed_tracker()
    first, first_events = await _run(ActionSubmitCalibration(), tracker)
    second, _ = await _run(ActionSubmitCalibration(), tracker)  # Rasa retrying the call
    assert _count(CalibrationRequest) == 1
    assert (
        responses(first) == responses(second) == ["utter_calibration_saved", "utter_offer_feedback"]
    )
    reference = first.messages[0]["reference"]
    assert second.messages[0]["reference"] == reference and reference.startswith("KAL-")
    values = slot_values(first_events)
    assert values["feedback_offered"] is True and values["feedback_reference"] == reference
    assert values["cal_instruments"] is None and values["cal_confirm"] is None  # the form is reset
    assert values.get("contact_name", "kept") == "kept"  # contact details stay for the next request
    with session_scope(readonly=True) as session:
        row = session.execute(sa.select(CalibrationRequest)).scalar_one()
        assert (row.company_name, row.email, row.service_location) == (
            "PT Maju Jaya",
            "budi@majujaya.co.id",
            "lab",
        )
        customer = resolve_customer("rest", "web-abc")
        assert row.customer_id == customer.id


async def test_a_new_confirmation_is_a_new_request(crm_url: str) -> None:
    await _run(ActionSubmitCalibration(), _confirmed_tracker("msg-1"))
    await _run(ActionSubmitCalibration(), _confirmed_tracker("msg-2"))
    assert _count(CalibrationRequest) == 2


async def test_financing_without_consent_stores_nothing_and_says_why(crm_url: str) -> None:
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            *active(
                "financing_request_form",
                "fin_consent",
                {"fin_product": "car", "fin_amount": "150000000"},
            ),
            user("tidak setuju", "deny", message_id="m-1"),
            SlotSet("fin_consent", False),
            ActiveLoop(None),
            ActionExecuted("financing_request_form"),
        ]
    )
    dispatcher, events = await _run(ActionSubmitFinancing(), tracker)
    assert responses(dispatcher) == ["utter_financing_no_consent"]
    assert _count(FinancingRequest) == 0
    assert slot_values(events)["fin_product"] is None


async def test_cancel_stops_the_form_and_forgets_its_answers(crm_url: str) -> None:
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            *active(CAL, "cal_quantity", {"cal_instrument_type": "scale"}),
            user("batal", "cancel"),
        ]
    )
    dispatcher, events = await _run(ActionCancelFlow(), tracker)
    assert responses(dispatcher) == ["utter_flow_cancelled_calibration"]
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert slot_values(events)["cal_instrument_type"] is None
    assert _count(CalibrationRequest) == 0


async def test_another_request_mid_form_asks_before_switching(crm_url: str) -> None:
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            *active(CAL, "cal_quantity", {"cal_instrument_type": "scale"}),
            user("eh saya mau komplain saja", "file_complaint"),
        ]
    )
    dispatcher, events = await _run(ActionSwitchFlow(), tracker)
    assert responses(dispatcher) == ["utter_ask_switch_flow"]
    message = dispatcher.messages[0]
    assert (message["current"], message["target"]) == ("permintaan kalibrasi", "keluhan")
    assert [b["title"] for b in message["buttons"]] == [
        "Lanjutkan permintaan kalibrasi",
        "Mulai keluhan",
    ]
    assert [b["payload"] for b in message["buttons"]] == [
        '/inform{"choice": "resume_flow"}',
        "/file_complaint",
    ]
    # The form stays active with everything it collected; only the question is remembered.
    assert all(e["event"] != "active_loop" for e in events)
    assert slot_values(events) == {"flow_switch_to": "complaint_form"}


async def test_choosing_the_other_request_sets_the_form_aside_with_its_answers(
    crm_url: str,
) -> None:
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            *active(CAL, "cal_quantity", {"cal_instrument_type": "scale"}),
            user("eh saya mau komplain saja", "file_complaint"),
            ActionExecuted("action_switch_flow"),
            SlotSet("flow_switch_to", "complaint_form"),
            ActionExecuted("action_listen"),
            user("/file_complaint", "file_complaint", confidence=1.0),
        ]
    )
    dispatcher, events = await _run(ActionSwitchFlow(), tracker)
    assert responses(dispatcher) == ["utter_flow_paused"]
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert {"event": "followup", "name": "complaint_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    values = slot_values(events)
    assert "cal_instrument_type" not in values  # the half-filled request is kept
    assert values["paused_flows"] == [CAL]
    assert values["flow_switch_to"] is None and values["requested_slot"] is None


async def test_an_english_looking_company_name_keeps_the_conversation_indonesian(
    crm_url: str,
) -> None:
    name = "Robert'); DELETE FROM customers;--"
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            *active(
                CAL, "contact_company", {k: v for k, v in CONFIRMED.items() if k[:4] == "cal_"}
            ),
            user(name, "check_status", [entity("language", "en")], confidence=0.93),
            *form_turn(CAL, "contact_company"),
        ]
    )
    _, events = await _run(ValidateCalibrationRequestForm(), tracker)
    values = slot_values(events)
    assert values["contact_company"] == name
    assert "language" not in values


async def test_edit_question_offers_the_fields_of_the_active_form(crm_url: str) -> None:
    tracker = sdk_tracker([*start_of_conversation(), *active("complaint_form", "edit_field", {})])
    dispatcher, _ = await _run(ActionAskEditField(), tracker)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert (
        '/inform{"choice": "description"}' in payloads
        and '/inform{"choice": "email"}' not in payloads
    )


async def test_status_for_the_owner_and_for_a_stranger(crm_url: str) -> None:
    owner_tracker_events = [*start_of_conversation()]
    await _run(ActionSubmitCalibration(), _confirmed_tracker(sender="owner-web"))
    with session_scope(readonly=True) as session:
        reference = session.execute(sa.select(CalibrationRequest.reference)).scalar_one()
    for sender, expected in (("owner-web", "owner"), ("stranger-web", "verify")):
        text = f"status {reference}"
        tracker = sdk_tracker(
            [
                *owner_tracker_events,
                user(text, "check_status", [entity("reference", reference)]),
                ActiveLoop("status_form"),
                *form_turn("status_form", None),
            ],
            sender=sender,
        )
        _, events = await _run(ValidateStatusForm(), tracker)
        assert slot_values(events)["requested_slot"] is None
        assert slot_values(events)["status_access"] == expected
    shown = sdk_tracker(
        [
            *owner_tracker_events,
            user("status", "check_status"),
            SlotSet("status_reference", reference),
            SlotSet("status_access", "owner"),
        ],
        sender="owner-web",
    )
    dispatcher, _ = await _run(ActionShowStatus(), shown)
    assert responses(dispatcher) == ["utter_status_result"]
    assert dispatcher.messages[0]["reference"] == reference
    refused = sdk_tracker(
        [
            *owner_tracker_events,
            user("status", "check_status"),
            SlotSet("status_reference", reference),
            SlotSet("status_access", "owner"),  # forged: checked again
        ],
        sender="stranger-web",
    )
    dispatcher, _ = await _run(ActionShowStatus(), refused)
    assert responses(dispatcher) == ["utter_status_not_available"]
    to_verify = sdk_tracker(
        [
            *owner_tracker_events,
            user("status", "check_status"),
            SlotSet("status_reference", reference),
            SlotSet("status_access", "verify"),
        ],
        sender="stranger-web",
    )
    dispatcher, events = await _run(ActionShowStatus(), to_verify)
    assert responses(dispatcher) == []
    assert slot_values(events)["verification_reference"] == reference
    assert {"event": "followup", "name": "verification_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]


async def test_complaint_with_high_severity_offers_a_human_with_the_reason(crm_url: str) -> None:
    state = {
        "cmp_category": "service_quality",
        "cmp_related_reference": "none",
        "contact_name": "Siti",
        "contact_phone": "+6281255556666",
        "cmp_description": "CS tidak membalas sejak seminggu",
        "cmp_resolution": "Dihubungi hari ini",
        "cmp_severity": "high",
    }
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            *active("complaint_form", "cmp_confirm", state),
            user("ya", "affirm", message_id="c-1"),
            SlotSet("cmp_confirm", True),
            ActiveLoop(None),
        ]
    )
    dispatcher, events = await _run(ActionSubmitComplaint(), tracker)
    await _run(ActionSubmitComplaint(), tracker)
    assert responses(dispatcher) == [
        "utter_complaint_saved",
        "utter_complaint_offer_human_high_severity_complaint",
    ]
    assert slot_values(events)["handoff_reason"] == "high_severity_complaint"
    assert _count(Complaint) == 1


async def test_feedback_saved_once_and_declining_the_offer(crm_url: str) -> None:
    state = {
        "fb_rating": 4,
        "fb_kind": "saran",
        "fb_recommend": True,
        "fb_comment": "Balas lebih cepat",
        "feedback_offered": True,
        "feedback_reference": "KAL-2026-000001",
    }
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            *active("feedback_form", "fb_comment", state),
            user("Balas lebih cepat", "inform", message_id="f-1"),
            ActiveLoop(None),
        ]
    )
    dispatcher, events = await _run(ActionSubmitFeedback(), tracker)
    await _run(ActionSubmitFeedback(), tracker)
    assert responses(dispatcher) == ["utter_feedback_thanks"] and _count(Feedback) == 1
    assert slot_values(events)["feedback_offered"] is None
    dispatcher, events = await _run(
        ActionDeclineFeedback(), sdk_tracker([*start_of_conversation()])
    )
    assert (
        responses(dispatcher) == ["utter_feedback_skipped"]
        and slot_values(events)["feedback_offered"] is None
    )


async def test_a_rating_is_stored_when_given_and_kept_when_the_rest_is_skipped(
    crm_url: str,
) -> None:
    offered = {"feedback_offered": True, "feedback_reference": "KAL-2026-000001"}
    rating = user('/give_feedback{"feedback_rating": "4"}', "give_feedback", message_id="r-1")
    rating_turn = [
        *start_of_conversation(),
        *[SlotSet(k, v) for k, v in offered.items()],
        ActionExecuted("action_offer_feedback"),
        ActionExecuted("action_listen"),
        UserUttered(
            rating.text,
            {"name": "give_feedback", "confidence": 1.0},
            [{"entity": "feedback_rating", "value": "4"}],
            message_id="r-1",
            input_channel="rest",
        ),
        ActiveLoop("feedback_form"),
        *form_turn("feedback_form", None),
    ]
    _, events = await _run(ValidateFeedbackForm(), sdk_tracker(rating_turn))
    _, _again = await _run(ValidateFeedbackForm(), sdk_tracker(rating_turn))  # a retried call
    assert _count(Feedback) == 1
    with session_scope(readonly=True) as session:
        stored = session.execute(sa.select(Feedback)).scalar_one()
        assert (stored.rating, stored.kind) == (4, None)

    after_rating = [
        *rating_turn,
        *[SlotSet(e["name"], e["value"]) for e in events if e["event"] == "slot"],
        ActionExecuted("action_listen"),
        user("saran", "inform", message_id="r-2"),
        *form_turn("feedback_form", "fb_kind"),
    ]
    _, events = await _run(ValidateFeedbackForm(), sdk_tracker(after_rating))
    after_kind = [
        *after_rating,
        *[SlotSet(e["name"], e["value"]) for e in events if e["event"] == "slot"],
        ActionExecuted("action_listen"),
        user("lewati", "deny", message_id="r-3"),
        *form_turn("feedback_form", "fb_recommend"),
    ]
    _, events = await _run(ValidateFeedbackForm(), sdk_tracker(after_kind))
    assert slot_values(events)["fb_skipped"] is True
    done = [
        *after_kind,
        *[SlotSet(e["name"], e["value"]) for e in events if e["event"] == "slot"],
        ActiveLoop(None),
    ]
    dispatcher, _ = await _run(ActionSubmitFeedback(), sdk_tracker(done))
    assert responses(dispatcher) == ["utter_feedback_thanks"]
    assert _count(Feedback) == 1  # exactly once, however many steps stored it
    with session_scope(readonly=True) as session:
        stored = session.execute(sa.select(Feedback)).scalar_one()
        assert (stored.rating, stored.kind, stored.related_reference) == (
            4,
            "saran",
            "KAL-2026-000001",
        )


def test_the_action_server_registers_every_flow_action() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")  # fails if a base class were registered as an action
    flow_actions = [
        a
        for a in domain_dict()["actions"]
        if a.startswith(("validate_", "action_ask_", "action_submit"))
    ]
    flow_actions += [
        "action_show_status",
        "action_cancel_flow",
        "action_switch_flow",
        "action_offer_feedback",
        "action_decline_feedback",
    ]
    missing = [name for name in flow_actions if name not in executor.actions]
    assert missing == []
