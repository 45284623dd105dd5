"""Same behaviour as Rasa 3.6, less CPU per message in the Rasa server.

Rasa validates every action-server response with ``jsonschema.validate(result, schema)``,
which re-checks the schema itself against the JSON-Schema meta-schema on each call. With
jsonschema 4.17 that check costs more than the rest of the message: profiling the Rasa
server under 10 concurrent customers (py-spy, see bench/README.md) put 29% of its CPU in
``check_schema``. Here the schema is checked once and the compiled validator reused, so
the same responses pass and the same ``ValidationError`` is raised for a bad one.

Rasa also looks up an event's class by walking every subclass of ``Event`` for each event
it deserialises (``Event.resolve_by_type``), i.e. for every event of a conversation each
time the tracker is loaded from SQL: 8% of the server's CPU. The answer for a type name is
remembered after the first lookup.

Installed by ``bot.channels`` (imported by the Rasa server for credentials.yml) and by
``bot.tracker_store`` (named in endpoints.yml), so any Rasa server of this project has it.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with a compiled validator (same errors)."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


_event_classes: dict[str, Any] = {}
# Rasa's own lookup, kept by install(); set also means "installed".
_original_resolve_by_type: Any = None


def resolve_event_type(type_name: str, default: type[Any] | None = None) -> type[Any] | None:
    """``Event.resolve_by_type`` remembering each answer (event classes are fixed at import)."""
    cached = _event_classes.get(type_name)
    if cached is not None:
        return cached
    resolved = _original_resolve_by_type(type_name, default)
    if resolved is not None and resolved is not default:
        _event_classes[type_name] = resolved
    return resolved


def install() -> None:
    """Patch the running Rasa (idempotent)."""
    global _original_resolve_by_type
    if _original_resolve_by_type is not None:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = validate_action_result
    _original_resolve_by_type = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(resolve_event_type)
