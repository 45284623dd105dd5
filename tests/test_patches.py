"""bot/patches.py: the patches have their effect, and refuse versions they were not written for.

Also: the Rasa server gets them from its entry point (``python -m bot serve-rasa``), not as a
side effect of importing a channel, so the widget's websocket works without the desk.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
import rasa
import sanic
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig
from sanic.server.websockets import impl

from bot import PROJECT_ROOT, patches


@pytest.fixture
def action() -> RemoteAction:
    patches.install()
    return RemoteAction(
        "action_submit_calibration_request", EndpointConfig("http://localhost:5055/webhook")
    )


# --- fail loudly ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("module", "version"),
    [(rasa, "3.7.0"), (rasa, "3.5.17"), (sanic, "22.12.0"), (sanic, "21.9.3")],
)
def test_another_rasa_or_sanic_version_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, module: object, version: str
) -> None:
    monkeypatch.setattr(module, "__version__", version)
    with pytest.raises(patches.PatchError, match=version.replace(".", r"\.")):
        patches.install()


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (RemoteAction, "_validate_action_result"),
        (Event, "resolve_by_type"),
        (impl.WebsocketImplProtocol, "recv"),
        (impl.WebsocketImplProtocol, "recv_burst"),
    ],
)
def test_a_renamed_attribute_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str
) -> None:
    monkeypatch.delattr(owner, name)
    with pytest.raises(patches.PatchError, match=name):
        patches.install()


# --- Rasa speed-ups: same behaviour ------------------------------------------------------------
def test_the_patch_is_what_rasa_runs() -> None:
    patches.install()
    assert RemoteAction._validate_action_result is patches.validate_action_result


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
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    patches.install()
    for _ in range(2):  # the second round is answered from the cache
        assert Event.resolve_by_type("user") is UserUttered
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    restored = Event.from_parameters({"event": "slot", "name": "city", "value": "Bandung"})
    assert restored == SlotSet("city", "Bandung")


# --- Sanic 21.12 websockets on Python 3.11 --------------------------------------------------
async def test_sanic_websocket_wait_accepts_a_coroutine_like_python_3_10_did() -> None:
    patches.install()
    cancel = asyncio.get_running_loop().create_future()

    async def message() -> str:
        return "frame"

    # What WebsocketImplProtocol.recv does: asyncio.wait with a bare coroutine in the set.
    done, pending = await impl.asyncio.wait(
        (cancel, message()), return_when=asyncio.FIRST_COMPLETED
    )
    assert [task.result() for task in done] == ["frame"]
    assert pending == {cancel}


async def test_a_cancelled_wait_cancels_the_reader_it_created() -> None:
    shim = patches._AsyncioWrappingWait()
    started = asyncio.Event()
    reader_cancelled = asyncio.Event()

    async def never() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            reader_cancelled.set()
            raise

    waiter = asyncio.ensure_future(shim.wait((never(),)))
    await started.wait()
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    await asyncio.wait_for(reader_cancelled.wait(), 5)


# --- installed by the server's entry point, not by imports -----------------------------------
_PROBE = r"""
import json, sys
import asyncio
import rasa.__main__
from sanic.server.websockets import impl
from rasa.core.actions.action import RemoteAction

import bot.channels.webchat, bot.tracker_store, bot.desk.channel  # what credentials.yml loads
report = {"patched_by_imports": impl.asyncio is not asyncio}

def fake_rasa_main():
    report["patched_at_start"] = impl.asyncio is not asyncio and (
        RemoteAction._validate_action_result.__module__ == "bot.patches")
    report["rasa_argv"] = sys.argv[1:]

rasa.__main__.main = fake_rasa_main
from bot.cli import main
main(["serve-rasa", "--model", "m.tar.gz", "--credentials", "no-desk.yml"])
print(json.dumps(report))
"""


def test_the_rasa_entry_point_installs_the_patches_and_hands_rasa_the_token_in_process(
    tmp_path,
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(PROJECT_ROOT),
        "BOT_VAR_DIR": str(tmp_path),
        "RASA_AUTH_TOKEN": "probe-token-1234",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["patched_by_imports"] is False
    assert report["patched_at_start"] is True
    # Rasa's parser gets the token in-process; the real command line never had it.
    assert report["rasa_argv"] == [
        "run",
        "--model",
        "m.tar.gz",
        "--credentials",
        "no-desk.yml",
        "--enable-api",
        "--auth-token",
        "probe-token-1234",
    ]


def test_serve_rasa_refuses_a_token_on_its_command_line() -> None:
    from bot.errors import StartupError
    from bot.serve import serve_rasa

    with pytest.raises(StartupError, match="command line"):
        serve_rasa(["--model", "m.tar.gz", "--auth-token", "secret"])
