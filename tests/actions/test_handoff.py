"""action_handoff and the callback-ticket form, against a real CRM (SQLite and PostgreSQL).

The business profile is written per test with a time zone that makes "now" local noon
(agents on duty) or 02:00 (off duty), so results do not depend on when the tests run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    ActionAskCallbackContact,
    ActionHandoff,
    ActionHandoffCallbackSubmit,
    ValidateHandoffCallbackForm,
    handoff_events,
)
from bot.crm import agents, customers, handoffs
from bot.crm.db import session_scope
from bot.crm.models import Customer, Handoff
from tests.actions.helpers import (
    active,
    domain,
    domain_dict,
    entity,
    form_turn,
    responses,
    sdk_tracker,
    slot_values,
    start_of_conversation,
    user,
)
from tests.desk.desk_helpers import ALL_DAYS, write_profile

FORM = "handoff_callback_form"


@pytest.fixture
def on_duty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import get_settings

    hours = {day: {"open": "00:00", "close": "23:59"} for day in ALL_DAYS}
    monkeypatch.setenv("BUSINESS_PROFILE", str(write_profile(tmp_path / "on.yml", 12, hours)))
    get_settings.cache_clear()


@pytest.fixture
def off_duty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import get_settings

    hours = {day: {"open": "08:00", "close": "17:00"} for day in ALL_DAYS}
    monkeypatch.setenv("BUSINESS_PROFILE", str(write_profile(tmp_path / "off.yml", 2, hours)))
    get_settings.cache_clear()


def agent_online() -> None:
    record = agents.create_agent("rina", "correct horse battery", "agent", "Rina")
    agents.touch_agent(record.id)


async def run(action: Any, tracker: Any) -> tuple:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain_dict())
    return dispatcher, events


def rendered(response: str, language: str = "id", **values: Any) -> dict[str, Any]:
    """A domain response as Rasa sends it to the customer."""
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    nlg = TemplatedNaturalLanguageGenerator(domain().responses)
    slots = {"language": language, "address_form": "Bapak/Ibu", "company_name": "PT Contoh"}
    message = nlg.generate_from_slots(response, slots, "rest", **values)
    assert message is not None
    return message


def texts(dispatcher: CollectingDispatcher, language: str = "id") -> list[str]:
    """What the customer reads: literal texts, and domain responses rendered as Rasa does."""
    return [m.get("text") or rendered(m["response"], language)["text"] for m in dispatcher.messages]


def handoff_rows() -> list[Handoff]:
    with session_scope(readonly=True) as session:
        return list(session.execute(sa.select(Handoff)).scalars())


def asked_for_human(sender: str = "web-1", channel: str = "rest", extra: tuple = ()) -> Any:
    return sdk_tracker(
        [
            *start_of_conversation(),
            user("berapa harga kalibrasi timbangan?", "faq", channel=channel),
            BotUttered("Rp150.000–Rp450.000 per unit."),
            ActionExecuted("action_listen"),
            *extra,
            user("saya mau bicara dengan CS saja", "request_human", channel=channel),
        ],
        sender=sender,
    )


async def test_agent_online_queues_and_pauses_the_bot(crm_url: str, on_duty: None) -> None:
    agent_online()
    dispatcher, events = await run(ActionHandoff(), asked_for_human())
    assert events[-1] == {"event": "pause", "timestamp": None}
    [message] = texts(dispatcher)
    assert "1 agen online" in message and "nomor 1" in message and "Jam layanan agen" in message
    [row] = handoff_rows()
    assert (row.status, row.reason, row.channel, row.sender_id) == (
        "waiting",
        "customer_request",
        "rest",
        "web-1",
    )
    assert [line["text"] for line in row.transcript if line["sender"] == "customer"] == [
        "berapa harga kalibrasi timbangan?",
        "saya mau bicara dengan CS saja",
    ]
    assert row.customer_id == customers.resolve_customer("rest", "web-1").id
    assert row.captured_fields["crm_snapshot"]["customer_id"] == row.customer_id


async def test_a_retried_call_does_not_open_a_second_handoff(crm_url: str, on_duty: None) -> None:
    agent_online()
    tracker = asked_for_human()
    await run(ActionHandoff(), tracker)
    dispatcher, events = await run(ActionHandoff(), tracker)
    assert len(handoff_rows()) == 1
    assert events[-1]["event"] == "pause"
    assert "sudah dalam antrean" in texts(dispatcher)[0]


async def test_flows_hand_over_with_their_reason_and_the_form_is_left(
    crm_url: str, on_duty: None
) -> None:
    """E.g. a price negotiation in a complaint: the flow sets handoff_reason (handoff_events)."""
    agent_online()
    assert handoff_events("price_negotiation") == [
        {
            "event": "slot",
            "timestamp": None,
            "name": "handoff_reason",
            "value": "price_negotiation",
        },
        {"event": "followup", "timestamp": None, "name": "action_handoff"},
    ]
    in_form = (
        *active("calibration_request_form", "contact_email", {}),
        SlotSet("handoff_reason", "price_negotiation"),
    )
    _, events = await run(ActionHandoff(), asked_for_human(extra=in_form))
    assert handoff_rows()[0].reason == "price_negotiation"
    assert {
        "event": "active_loop",
        "timestamp": None,
        "name": None,
    } in events  # the form does not resume later
    assert slot_values(events)["handoff_reason"] is None
    assert events[-1]["event"] == "pause"


async def test_nobody_online_offers_a_callback_and_keeps_the_bot_answering(
    crm_url: str, on_duty: None
) -> None:
    agents.create_agent("rina", "correct horse battery", "agent", "Rina")  # exists, desk closed
    dispatcher, events = await run(ActionHandoff(), asked_for_human())
    assert "belum ada agen yang online" in texts(dispatcher)[0]
    assert all(e["event"] != "pause" for e in events)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": FORM}
    assert slot_values(events)["handoff_reason"] == "customer_request"
    assert handoff_rows() == []  # no ticket until the customer says how to reach them


async def test_out_of_hours_says_so_in_english_too(crm_url: str, off_duty: None) -> None:
    agent_online()  # online, but outside agent hours nobody is on duty
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            SlotSet("language", "en"),
            user("I want to talk to a person", "request_human"),
        ]
    )
    dispatcher, events = await run(ActionHandoff(), tracker)
    assert "outside our agents' working hours" in texts(dispatcher)[0]
    assert "Monday–Sunday 08:00–17:00" in texts(dispatcher)[0]
    assert events[-1]["name"] == FORM


async def test_callback_form_asks_with_buttons_and_reads_taps_and_typed_answers(
    crm_url: str, off_duty: None
) -> None:
    for language in ("id", "en"):
        question = rendered("utter_ask_callback_channel", language)
        assert [b["payload"] for b in question["buttons"]] == [
            '/inform{"callback_channel": "whatsapp"}',
            '/inform{"callback_channel": "phone"}',
            '/inform{"callback_channel": "email"}',
        ]
    base = [*start_of_conversation(), *active(FORM, "callback_channel", {})]
    tap = '/inform{"callback_channel": "phone"}'
    tracker = sdk_tracker(
        [
            *base,
            user(tap, "inform", [entity("callback_channel", "phone")]),
            *form_turn(FORM, "callback_channel", [SlotSet("callback_channel", "phone")]),
        ]
    )
    _, events = await run(ValidateHandoffCallbackForm(), tracker)
    assert slot_values(events)["callback_channel"] == "phone"
    assert slot_values(events)["requested_slot"] == "callback_time"

    typed = sdk_tracker(
        [
            *base,
            user("lewat WA aja kak", "inform"),
            *form_turn(FORM, "callback_channel", [SlotSet("callback_channel", "lewat WA aja kak")]),
        ]
    )
    _, events = await run(ValidateHandoffCallbackForm(), typed)
    assert slot_values(events)["callback_channel"] == "whatsapp"

    nonsense = sdk_tracker(
        [
            *base,
            user("terserah", "inform"),
            *form_turn(FORM, "callback_channel", [SlotSet("callback_channel", "terserah")]),
        ]
    )
    dispatcher, events = await run(ValidateHandoffCallbackForm(), nonsense)
    assert slot_values(events)["callback_channel"] is None
    assert responses(dispatcher) == ["utter_invalid_callback_choice"]
    assert "pilih salah satu tombol" in texts(dispatcher)[0]


async def test_the_form_starting_after_the_handoff_offer_asks_without_an_error(
    crm_url: str, off_duty: None
) -> None:
    # action_handoff clears the callback slots and starts the form in the same turn; those
    # cleared values are not answers, so the customer must not read "not recognised".
    cleared = [
        SlotSet(slot, None) for slot in ("callback_channel", "callback_time", "callback_contact")
    ]
    tracker = sdk_tracker(
        [
            *start_of_conversation(),
            user("/request_human", "request_human"),
            ActionExecuted("action_handoff"),
            SlotSet("handoff_reason", "customer_request"),
            *form_turn(FORM, None, cleared),
        ]
    )
    dispatcher, events = await run(ValidateHandoffCallbackForm(), tracker)
    assert texts(dispatcher) == []
    assert slot_values(events).get("callback_channel") is None  # still to be asked
    # Nothing is stored in the CRM before the customer leaves a ticket.
    with session_scope(readonly=True) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Customer)).scalar() == 0


async def test_contact_is_asked_only_when_we_do_not_have_it(crm_url: str, off_duty: None) -> None:
    def tracker_for(channel: str, callback_channel: str) -> Any:
        return sdk_tracker(
            [
                *start_of_conversation(),
                user("mau ke CS", "request_human", channel=channel),
                *active(FORM, "callback_time", {"callback_channel": callback_channel}),
                user(
                    '/inform{"callback_time": "morning"}',
                    "inform",
                    [entity("callback_time", "morning")],
                    channel=channel,
                ),
                *form_turn(FORM, "callback_time", [SlotSet("callback_time", "morning")]),
            ],
            sender="6281234567890" if channel == "whatsapp" else "web-2",
        )

    _, events = await run(ValidateHandoffCallbackForm(), tracker_for("whatsapp", "whatsapp"))
    # The WhatsApp number is the contact: nothing more to ask (Rasa completes the form).
    assert slot_values(events).get("requested_slot") is None
    assert slot_values(events)["callback_time"] == "morning"
    _, events = await run(ValidateHandoffCallbackForm(), tracker_for("socketio", "whatsapp"))
    assert slot_values(events)["requested_slot"] == "callback_contact"
    _, events = await run(ValidateHandoffCallbackForm(), tracker_for("whatsapp", "email"))
    assert slot_values(events)["requested_slot"] == "callback_contact"


async def test_phone_is_validated_and_normalised(crm_url: str, off_duty: None) -> None:
    base = [
        *start_of_conversation(),
        user("mau ke CS", "request_human", channel="socketio"),
        *active(FORM, "callback_contact", {"callback_channel": "phone", "callback_time": "asap"}),
    ]
    bad = sdk_tracker(
        [
            *base,
            user("0812", "inform", channel="socketio"),
            *form_turn(FORM, "callback_contact", [SlotSet("callback_contact", "0812")]),
        ]
    )
    dispatcher, events = await run(ValidateHandoffCallbackForm(), bad)
    assert slot_values(events)["callback_contact"] is None
    assert "nomor itu sepertinya belum benar" in texts(dispatcher)[0]
    good = sdk_tracker(
        [
            *base,
            user("0812-3456-7890", "inform", channel="socketio"),
            *form_turn(FORM, "callback_contact", [SlotSet("callback_contact", "0812-3456-7890")]),
        ]
    )
    _, events = await run(ValidateHandoffCallbackForm(), good)
    assert slot_values(events)["callback_contact"] == "+6281234567890"


def filled_form(sender: str = "web-3") -> Any:
    return sdk_tracker(
        [
            *start_of_conversation(),
            user("mau ke CS", "request_human", channel="socketio"),
            SlotSet("handoff_reason", "customer_request"),
            ActiveLoop(FORM),
            SlotSet("callback_channel", "phone"),
            SlotSet("callback_time", "morning"),
            user("081234567890", "inform", channel="socketio"),
            SlotSet("callback_contact", "+6281234567890"),
            ActionExecuted(FORM),
            ActiveLoop(None),
            SlotSet("requested_slot", None),
        ],
        sender=sender,
    )


async def test_submit_stores_one_callback_ticket_and_says_when(
    crm_url: str, off_duty: None
) -> None:
    tracker = filled_form()
    dispatcher, events = await run(ActionHandoffCallbackSubmit(), tracker)
    [row] = handoff_rows()
    assert (row.status, row.callback_channel) == ("callback", "phone")
    assert row.callback_time.startswith("morning ")
    assert row.captured_fields["callback_contact"] == "+6281234567890"
    # It is 02:00 and agents start at 08:00: the customer is told exactly that.
    message = texts(dispatcher)[0]
    assert (
        f"tiket {row.reference}" in message
        and "lewat telepon mulai hari ini pukul 08.00" in message
    )
    assert all(
        value is None for name, value in slot_values(events).items() if name.startswith("callback_")
    )
    # A typed phone is a claim: kept on this ticket (above), never a customer identity.
    overview = customers.customer_overview(row.customer_id)
    assert [(i.kind, i.value) for i in overview.identities] == [("web", "web-3")]
    # A retried submit is the same ticket; the bot is never paused for a callback.
    await run(ActionHandoffCallbackSubmit(), tracker)
    assert len(handoff_rows()) == 1
    assert handoffs.active_handoff_for("web-3") is None
    assert all(e["event"] != "pause" for e in events)


async def test_the_contact_question_names_what_we_will_use(crm_url: str, off_duty: None) -> None:
    def chose(callback_channel: str) -> Any:
        return sdk_tracker(
            [
                *start_of_conversation(),
                user("mau ke CS", "request_human", channel="socketio"),
                *active(FORM, "callback_time", {"callback_channel": callback_channel}),
            ]
        )

    asked = {}
    for callback_channel in ("phone", "whatsapp", "email"):
        dispatcher, _ = await run(ActionAskCallbackContact(), chose(callback_channel))
        [asked[callback_channel]] = responses(dispatcher)
    assert asked == {
        "phone": "utter_ask_callback_phone",
        "whatsapp": "utter_ask_callback_whatsapp",
        "email": "utter_ask_callback_email",
    }
    assert "nomor WhatsApp Bapak/Ibu" in rendered(asked["whatsapp"])["text"]
    assert rendered(asked["email"], "en")["text"] == "Please type your e-mail address."


async def test_refused_answers_never_offer_a_person_nor_forget_why_one_was_asked_for(
    crm_url: str, off_duty: None
) -> None:
    # The customer came here because nobody is available: no "talk to a person" offer after
    # repeated failures, and the handoff reason of the ticket stays as it was.
    state = {
        "handoff_reason": "failed_validation",
        "flow_failures": 2,
        "flow_failed_slot": "callback_channel",
    }
    base = [*start_of_conversation(), *active(FORM, "callback_channel", state)]
    wrong = sdk_tracker(
        [
            *base,
            user("terserah", "inform"),
            *form_turn(FORM, "callback_channel"),
        ]
    )
    dispatcher, events = await run(ValidateHandoffCallbackForm(), wrong)
    assert responses(dispatcher) == ["utter_invalid_callback_choice"]
    assert "handoff_reason" not in slot_values(events)
    right = sdk_tracker(
        [*base, user("telepon saja", "inform"), *form_turn(FORM, "callback_channel")]
    )
    _, events = await run(ValidateHandoffCallbackForm(), right)
    assert slot_values(events)["callback_channel"] == "phone"
    assert "handoff_reason" not in slot_values(events)
