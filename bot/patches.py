"""Every patch of third-party code, in one place, installed explicitly at process start.

The project pins Rasa 3.6 and, through it, Sanic 21.12. Two kinds of patches keep that pair
working well here; each was written against those exact versions, so ``install()`` first
checks the installed versions and the presence of every attribute it replaces, and raises
``PatchError`` on anything else (an upgrade must look at these patches again, not silently
run without them or patch a renamed function that nobody calls any more).

1. Sanic 21.12's websocket ``recv`` on Python 3.11. Sanic passes a bare coroutine to
   ``asyncio.wait`` in ``WebsocketImplProtocol.recv``/``recv_burst``; Python 3.11 refuses
   that with TypeError, so every server-side websocket read fails: the desk's websocket and
   python-engineio's websocket transport (the chat widget's socket.io) alike. Python 3.10
   wrapped the coroutine in a task itself; the shim restores exactly that, for that module
   only.

2. Less CPU per message in the Rasa server, same behaviour. Rasa validates every
   action-server response with ``jsonschema.validate(result, schema)``, which re-checks the
   schema itself against the meta-schema on each call: 29% of the server's CPU under 10
   concurrent customers (py-spy, see bench/README.md). Here the schema is checked once and
   the compiled validator reused; the same responses pass and the same ``ValidationError``
   is raised for a bad one. Rasa also looks up an event's class by walking every subclass of
   ``Event`` for each event it deserialises (``Event.resolve_by_type``): 8% of the CPU. The
   answer for a type name is remembered after the first lookup.

Who calls ``install()``: ``python -m bot serve-rasa`` (bot/serve.py) before Rasa starts, so
every Rasa server of this project has the patches whatever credentials.yml lists; tests that
build a Rasa/Sanic app in-process call it in their fixtures.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Iterable
from typing import Any

from bot.errors import StartupError

# The versions these patches were written and tested for (major.minor).
RASA_VERSION = "3.6"
SANIC_VERSION = "21.12"

# Rasa's own Event.resolve_by_type, kept by install(); set also means "Rasa patched".
_original_resolve_by_type: Any = None
_sanic_patched = False


class PatchError(StartupError):
    """The installed Rasa/Sanic is not what the patches were written for."""


# --- checks -------------------------------------------------------------------------------
def _require_version(package: str, installed: str, expected: str) -> None:
    if installed.split(".")[:2] != expected.split("."):
        raise PatchError(
            f"bot/patches.py was written for {package} {expected}.x, but {package} {installed} "
            "is installed: review every patch in bot/patches.py against the new version "
            "before changing the pinned versions"
        )


def _require_attribute(owner: Any, name: str, label: str) -> None:
    if not hasattr(owner, name):
        raise PatchError(
            f"{label}.{name} is missing: the installed version changed it; "
            "bot/patches.py must be revised"
        )


def check() -> None:
    """Raise PatchError unless Rasa 3.6.x and Sanic 21.12.x with every patched attribute."""
    import rasa
    import sanic
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from sanic.server.websockets import impl

    _require_version("rasa", rasa.__version__, RASA_VERSION)
    _require_version("sanic", sanic.__version__, SANIC_VERSION)
    _require_attribute(RemoteAction, "_validate_action_result", "RemoteAction")
    _require_attribute(RemoteAction, "action_response_format_spec", "RemoteAction")
    _require_attribute(Event, "resolve_by_type", "rasa.shared.core.events.Event")
    _require_attribute(impl, "asyncio", "sanic.server.websockets.impl")
    _require_attribute(impl.WebsocketImplProtocol, "recv", "WebsocketImplProtocol")
    _require_attribute(impl.WebsocketImplProtocol, "recv_burst", "WebsocketImplProtocol")


def install() -> None:
    """Check the versions and attributes, then patch (idempotent). Call at process start."""
    check()
    _install_sanic_websocket_shim()
    _install_rasa_speedups()


# --- 1. Sanic websockets on Python 3.11 ----------------------------------------------------
class _AsyncioWrappingWait:
    """The asyncio module, except that ``wait`` accepts coroutines as Python 3.10 did."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def wait(fs: Iterable[Any], **kwargs: Any) -> Any:
        given = list(fs)
        tasks = [asyncio.ensure_future(f) for f in given]
        try:
            return await asyncio.wait(tasks, **kwargs)
        except asyncio.CancelledError:
            # recv() cancelled (connection closing): do not leave our reader task pending.
            for task, original in zip(tasks, given, strict=False):
                if task is not original:
                    task.cancel()
            raise


def _install_sanic_websocket_shim() -> None:
    global _sanic_patched
    if _sanic_patched or sys.version_info < (3, 11):
        return
    from sanic.server.websockets import impl

    impl.asyncio = _AsyncioWrappingWait()  # type: ignore[assignment]
    _sanic_patched = True


# --- 2. Rasa speed-ups -----------------------------------------------------------------------
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


def resolve_event_type(type_name: str, default: type[Any] | None = None) -> type[Any] | None:
    """``Event.resolve_by_type`` remembering each answer (event classes are fixed at import)."""
    cached: type[Any] | None = _event_classes.get(type_name)
    if cached is not None:
        return cached
    resolved: type[Any] | None = _original_resolve_by_type(type_name, default)
    if resolved is not None and resolved is not default:
        _event_classes[type_name] = resolved
    return resolved


def _install_rasa_speedups() -> None:
    global _original_resolve_by_type
    if _original_resolve_by_type is not None:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = validate_action_result
    _original_resolve_by_type = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(resolve_event_type)
