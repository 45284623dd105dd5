"""Idempotency keys: same conversation + same confirming message -> same key."""

from __future__ import annotations

import pytest

from bot.flows.idempotency import confirming_event, idempotency_key

EVENTS = [
    {"event": "user", "text": "mau kalibrasi", "message_id": "m1", "timestamp": 1.0},
    {"event": "action", "name": "calibration_request_form"},
    {"event": "user", "text": "ya", "message_id": "m2", "timestamp": 2.0},
    {"event": "slot", "name": "cal_confirm", "value": True},
]


def test_the_confirming_event_is_the_latest_user_message() -> None:
    assert confirming_event(EVENTS)["message_id"] == "m2"
    assert confirming_event([{"event": "action", "name": "x"}]) is None


def test_key_depends_on_sender_and_confirming_message_only() -> None:
    key = idempotency_key("calibration", "6281234567890", confirming_event(EVENTS))
    assert key == idempotency_key("calibration", "6281234567890", dict(EVENTS[2]))
    assert key != idempotency_key("calibration", "6281234567890", EVENTS[0])
    assert key != idempotency_key("calibration", "someone-else", EVENTS[2])
    assert key != idempotency_key("financing", "6281234567890", EVENTS[2])
    assert (
        key.startswith("calibration:") and "6281234567890" not in key
    )  # no phone number in the key
    assert len(key) <= 200


def test_without_a_message_id_the_timestamp_is_used() -> None:
    first = idempotency_key("feedback", "s", {"event": "user", "timestamp": 5.0})
    assert first == idempotency_key("feedback", "s", {"event": "user", "timestamp": 5.0})
    assert first != idempotency_key("feedback", "s", {"event": "user", "timestamp": 6.0})
    with pytest.raises(ValueError):
        idempotency_key("feedback", "s", None)
