"""bot.runner: one set of command lines for every caller, no secret in them, training apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot import PROJECT_ROOT
from bot.config import load_settings
from bot.runner import process_env, product_specs


def test_product_commands_carry_no_secret_and_the_configured_origins(tmp_path: Path) -> None:
    env = process_env(
        BOT_VAR_DIR=str(tmp_path),
        RASA_AUTH_TOKEN="rasa-secret-1",
        ACTION_SERVER_TOKEN="action-secret-1",
        DESK_SECRET_KEY="desk-secret-1",
        WEB_ORIGINS="https://shop.example",
        RASA_PORT="6001",
        ACTION_PORT="6002",
        WEB_PORT="6003",
    )
    specs = product_specs(load_settings(env), tmp_path / "m.tar.gz", tmp_path / "e.yml")
    assert [s.name for s in specs] == ["action-server", "rasa", "web", "worker"]
    everything = " ".join(" ".join(s.command) for s in specs)
    for secret in ("rasa-secret-1", "action-secret-1", "desk-secret-1"):
        assert secret not in everything
    rasa = specs[1].command
    assert rasa[1:4] == ("-m", "bot", "serve-rasa")
    assert rasa[rasa.index("--cors") + 1 :] == ("https://shop.example",)
    assert "*" not in rasa
    assert specs[0].command[-4:] == ("--host", "127.0.0.1", "--port", "6002")
    assert [s.health_url for s in specs] == [
        "http://127.0.0.1:6002/health",
        "http://127.0.0.1:6001/",
        "http://127.0.0.1:6003/healthz",
        None,  # the worker has no HTTP port
    ]


_PROBE = r"""
import json, subprocess, sys
from pathlib import Path
import bot.runner, bot.training

calls = []
model = Path(sys.argv[1])
def fake_call(command, **kwargs):
    calls.append(command)
    model.write_text("model")
    return 0
subprocess.call = fake_call
bot.training.model_path_for_current_data = lambda: model
result = bot.runner.train_in_child({})
print(json.dumps({"calls": calls, "model": str(result),
                  "heavy": sorted(m for m in ("rasa", "tensorflow") if m in sys.modules)}))
"""


def test_training_runs_in_a_child_so_the_supervisor_stays_small(tmp_path: Path) -> None:
    model = tmp_path / "assistant-x.tar.gz"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(model)],
        cwd=PROJECT_ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["calls"] == [[sys.executable, "-m", "bot", "train"]]
    assert report["model"] == str(model)
    assert report["heavy"] == []  # neither Rasa nor TensorFlow loaded in `bot run` itself
