"""Reading the tracker for the agent: transcript lines, captured slots, handoff reason."""

from __future__ import annotations

from bot.handoff.reasons import CUSTOMER_REQUEST, NOT_HELPFUL, REPEATED_FALLBACK, infer_reason
from bot.handoff.transcript import captured_slots, latest_user_timestamp, transcript_lines


def user(text, intent, ts):
    return {
        "event": "user",
        "text": text,
        "timestamp": ts,
        "parse_data": {"intent": {"name": intent}},
        "input_channel": "socketio",
    }


def bot(text, ts, utter=None, agent=None, buttons=None):
    metadata = {}
    if utter:
        metadata["utter_action"] = utter
    if agent:
        metadata["agent"] = agent
    return {
        "event": "bot",
        "text": text,
        "timestamp": ts,
        "metadata": metadata,
        "data": {"buttons": buttons or []},
    }


def test_transcript_keeps_who_said_what_verbatim() -> None:
    events = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        user("<b>halo</b>", "greet", 2.0),
        bot("Halo!", 3.0, buttons=[{"title": "FAQ", "payload": "/faq"}]),
        {"event": "pause", "timestamp": 4.0},
        bot("Saya Rina dari CS", 5.0, agent="Rina"),
    ]
    lines = transcript_lines(events)
    assert [(line["sender"], line["text"]) for line in lines] == [
        ("customer", "<b>halo</b>"),
        ("bot", "Halo!"),
        ("system", "pause"),
        ("agent", "Saya Rina dari CS"),
    ]
    assert lines[1]["buttons"] == ["FAQ"]
    assert lines[3]["agent"] == "Rina"
    assert latest_user_timestamp(events) == 2.0


def test_captured_slots_leave_out_bookkeeping_and_empty_values() -> None:
    slots = {
        "phone": "+6281234567890",
        "requested_slot": "phone",
        "handoff_reason": "x",
        "city": None,
        "language": "id",
    }
    assert captured_slots(slots) == {"phone": "+6281234567890", "language": "id"}


def test_reason_comes_from_the_slot_first() -> None:
    assert (
        infer_reason("price_negotiation", [user("mau nego", "request_human", 1.0)])
        == "price_negotiation"
    )


def test_reason_not_helpful_and_plain_request() -> None:
    assert infer_reason(None, [user("tidak membantu", "not_helpful", 1.0)]) == NOT_HELPFUL
    assert (
        infer_reason(None, [user("mau bicara dengan CS", "request_human", 1.0)]) == CUSTOMER_REQUEST
    )
    assert infer_reason(None, []) == CUSTOMER_REQUEST


def test_tapping_the_fallback_offer_counts_as_repeated_fallback() -> None:
    events = [
        user("asdf", "nlu_fallback", 1.0),
        bot("Maaf...", 2.0, utter="utter_ask_rephrase"),
        user("qwer", "nlu_fallback", 3.0),
        bot("Mau saya sambungkan?", 4.0, utter="utter_offer_human"),
        user("/request_human", "request_human", 5.0),
    ]
    assert infer_reason(None, events) == REPEATED_FALLBACK
    # The same button tapped later, after another turn, is an ordinary request.
    later = [
        *events,
        bot("...", 6.0, utter="utter_greet"),
        user("/request_human", "request_human", 7.0),
    ]
    assert infer_reason(None, later) == CUSTOMER_REQUEST


def test_the_channels_neutraliser_is_not_shown_to_the_agent() -> None:
    from bot.channels.typed_intents import NEUTRALISER, neutralise
    from bot.handoff.transcript import customer_text

    typed = neutralise("/restart")
    assert typed.startswith(NEUTRALISER)
    assert customer_text(typed) == "/restart"
    assert transcript_lines([{"event": "user", "text": typed}])[0]["text"] == "/restart"


def test_a_tapped_button_reads_as_its_title_but_typed_slashes_stay() -> None:
    events = [
        bot(
            "Mau saya sambungkan?",
            1.0,
            buttons=[{"title": "Ya, sambungkan", "payload": "/request_human"}],
        ),
        user("/request_human", "request_human", 2.0),
        # Typed by the customer: the channels neutralise it (WORD JOINER); shown as typed.
        user("\u2060/request_human", "request_human", 3.0),
    ]
    lines = transcript_lines(events)
    assert (lines[1]["text"], lines[1].get("button")) == ("Ya, sambungkan", True)
    assert (lines[2]["text"], lines[2].get("button")) == ("/request_human", None)


def test_payloads_without_a_matching_offer_read_as_friendly_text() -> None:
    """Issue 16: the widget's opening "/greet" and a button tapped on an older message are
    not shown to the agent as raw payloads."""
    events = [
        user("/greet", "greet", 1.0),
        bot("Pilih layanan", 2.0, buttons=[{"title": "Kalibrasi", "payload": "/kalibrasi"}]),
        user('/inform{"choice": "lab"}', "inform", 3.0),  # a button of an earlier message
        user('/inform{"choice": "something_new"}', "inform", 4.0),
        user("/request_human", "request_human", 5.0),
    ]
    texts = [line["text"] for line in transcript_lines(events) if line["sender"] == "customer"]
    assert texts == [
        "(membuka chat)",
        "Dikirim ke laboratorium",  # the domain's button title for that payload
        "Memilih: something_new",
        "Bicara dengan petugas",
    ]
