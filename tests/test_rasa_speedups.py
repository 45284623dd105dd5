"""The Rasa server still rejects malformed action-server responses after the speed-up."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups


@pytest.fixture
def action() -> RemoteAction:
    rasa_speedups.install()
    return RemoteAction(
        "action_submit_calibration_request", EndpointConfig("http://localhost:5055/webhook")
    )


def test_the_patch_is_what_rasa_runs() -> None:
    rasa_speedups.install()
    assert RemoteAction._validate_action_result is rasa_speedups.validate_action_result


def test_well_formed_responses_pass(action: RemoteAction) -> None:
    response = {
        "events": [
            {"event": "slot", "name": "reference", "value": "KAL-2026-000001", "timestamp": None}
        ],
        "responses": [{"text": "Permintaan Anda tercatat."}],
    }
    assert action._validate_action_result(response) is True
    assert action._validate_action_result({"events": [], "responses": []}) is True


@pytest.mark.parametrize(
    "response",
    [
        {"events": [{"event": "no_such_event"}], "responses": []},
        {"events": "not a list", "responses": []},
        {"events": [], "responses": ["not an object"]},
    ],
)
def test_malformed_responses_are_rejected_with_rasas_message(
    action: RemoteAction, response: dict
) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(response)


def test_events_deserialise_to_the_same_classes() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    rasa_speedups.install()
    for _ in range(2):  # the second round is answered from the cache
        assert Event.resolve_by_type("user") is UserUttered
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    restored = Event.from_parameters({"event": "slot", "name": "city", "value": "Bandung"})
    assert restored == SlotSet("city", "Bandung")
