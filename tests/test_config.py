"""Settings come from bot/config.py, read when asked (tests and child processes change env)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import get_channel_settings, load_settings


def test_settings_for_another_process_come_from_its_environment(tmp_path: Path) -> None:
    env = {"BOT_VAR_DIR": str(tmp_path), "ACTION_PORT": "6123", "ACTION_HOST": "0.0.0.0"}
    settings = load_settings(env)
    assert settings.var_dir == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    assert (settings.action_host, settings.action_port) == ("0.0.0.0", 6123)
    assert settings.action_endpoint_url == "http://127.0.0.1:6123/webhook"
    assert load_settings({"BOT_VAR_DIR": str(tmp_path)}).action_host == "127.0.0.1"


def test_a_missing_secret_is_generated_once_into_a_private_file(tmp_path: Path) -> None:
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    token = settings.action_server_token
    path = tmp_path / "action_server_token"
    assert path.read_text() == token and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings({"BOT_VAR_DIR": str(tmp_path)}).action_server_token == token
    given = load_settings({"BOT_VAR_DIR": str(tmp_path), "ACTION_SERVER_TOKEN": "from-env"})
    assert given.action_server_token == "from-env"


def test_channel_limits_are_read_on_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.limits import TextProblem, text_problem, too_long_reply

    monkeypatch.setenv("CHAT_MAX_MESSAGE_CHARS", "10")
    monkeypatch.setenv("CHAT_INIT_PAYLOAD", "/mulai")
    assert text_problem("x" * 11) == TextProblem.TOO_LONG
    assert "10" in too_long_reply("please")
    assert get_channel_settings().init_payload == "/mulai"
    monkeypatch.delenv("CHAT_MAX_MESSAGE_CHARS")
    assert text_problem("x" * 11) is None
