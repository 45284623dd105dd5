"""Plain functions behind the channels: typed-intent rule, WhatsApp message limits, signatures."""

from __future__ import annotations

import hashlib
import hmac

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from bot.channels.signatures import SignatureCheck, check_meta_signature, meta_signature
from bot.channels.typed_intents import Offer, neutralise, offer_from_events, resolve_typed_text
from bot.channels.whatsapp_messages import button_messages, split_text


def parsed_intent(text: str) -> str | None:
    """What Rasa's RegexMessageHandler makes of a text (None: left to the NLU model)."""
    domain = Domain.from_dict({"intents": ["restart", "greet", "inform"]})
    message = YAMLStoryReader.unpack_regex_message(Message(data={"text": text}), domain)
    return (message.get("intent") or {}).get("name")


def test_rasa_would_parse_a_typed_restart_as_the_restart_intent():
    assert parsed_intent("/restart") == "restart"  # the pitfall this module guards against


def test_neutralised_text_is_not_parsed_as_an_intent():
    for typed in ["/restart", "  /restart  ", '/inform{"phone": "0811"}', "\u3000/greet"]:
        assert parsed_intent(neutralise(typed)) is None
        assert neutralise(typed).strip().endswith(typed.strip())


def test_plain_text_is_left_alone():
    assert neutralise("harga kalibrasi 1/2 inch?") == "harga kalibrasi 1/2 inch?"


def test_offer_is_the_buttons_of_the_bot_turn_after_the_last_user_message():
    events = [
        UserUttered("halo"),
        BotUttered("lama", data={"buttons": [{"title": "A", "payload": "/old"}]}),
        UserUttered("kalibrasi"),
        BotUttered("Baik."),
        BotUttered(
            "Pilih:",
            data={"buttons": [{"title": "Lab", "payload": '/inform{"service_location": "lab"}'}]},
        ),
    ]
    offer = offer_from_events(events)
    assert offer.payloads == ['/inform{"service_location": "lab"}']
    assert not offer.is_new_conversation
    assert resolve_typed_text("/old", offer) == neutralise("/old")


def test_a_new_conversation_allows_only_the_greeting_payload():
    offer = Offer()
    assert resolve_typed_text("/greet", offer) == "/greet"
    assert resolve_typed_text("/restart", offer) == neutralise("/restart")


def test_split_text_keeps_every_word_and_respects_the_limit():
    text = " ".join(f"kata{i}" for i in range(3000))
    parts = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_reply_button_titles_are_unique_after_truncation():
    buttons = [
        {"title": "Kalibrasi tekanan digital", "payload": "/a"},
        {"title": "Kalibrasi tekanan analog", "payload": "/b"},
    ]
    [message] = button_messages("628123", "Pilih:", buttons)
    titles = [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]]
    assert len(set(titles)) == 2 and all(len(t) <= 20 for t in titles)


def test_a_body_too_long_for_buttons_is_sent_first_as_text():
    messages = button_messages("628123", "x" * 2000, [{"title": "OK", "payload": "/affirm"}])
    assert [m["type"] for m in messages] == ["text", "interactive"]
    assert len(messages[1]["interactive"]["body"]["text"]) <= 1024


def test_meta_signature_checks():
    body = b'{"object":"whatsapp_business_account"}'
    good = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert meta_signature(body, "secret") == good
    assert check_meta_signature(body, good, "secret") is SignatureCheck.VALID
    assert (
        check_meta_signature(body, good.upper().replace("SHA256", "sha256"), "secret")
        is SignatureCheck.VALID
    )
    assert check_meta_signature(body, None, "secret") is SignatureCheck.MISSING
    assert check_meta_signature(body, "sha256=" + "0" * 64, "secret") is SignatureCheck.INVALID
    assert check_meta_signature(body + b" ", good, "secret") is SignatureCheck.INVALID
    assert check_meta_signature(body, "sha256=ünïcode", "secret") is SignatureCheck.INVALID
