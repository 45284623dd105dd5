"""``python -m bot agent ...``: manage agent-desk accounts from the server's shell.

- ``create USERNAME [--name N] [--role agent|supervisor|admin] [--password-stdin]``
- ``passwd USERNAME [--password-stdin]``: new password; ends all of that agent's sessions
- ``disable USERNAME`` / ``enable USERNAME``: disabling ends all of the agent's sessions
- ``role USERNAME agent|supervisor|admin``: ends all of the agent's sessions

A password is read from standard input or typed at a prompt, never taken from the command
line (where ``ps`` and the shell history would show it).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from bot.crm.types import AgentRecord


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # First line only, so `printf 'secret\n' | ...` and here-strings both work.
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Repeat password: ")
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def create_agent_command(args: argparse.Namespace) -> int:
    from bot.config import get_settings
    from bot.crm import agents
    from bot.crm.migrate import ensure_schema

    ensure_schema()
    try:
        password = _read_password(bool(getattr(args, "password_stdin", False)))
        record = agents.create_agent(
            args.username,
            password,
            getattr(args, "role", "agent") or "agent",
            getattr(args, "display_name", None),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"Created {record.role} {record.username!r} ({record.display_name}). "
        f"Log in at {get_settings().rasa_url}/desk/"
    )
    return 0


def _with_agent(args: argparse.Namespace, change: Callable[[AgentRecord], str]) -> int:
    from bot.crm import agents
    from bot.crm.migrate import ensure_schema

    ensure_schema()
    record = agents.find_agent(args.username)
    if record is None:
        print(
            f"error: no agent named {agents.normalize_username(args.username)!r}", file=sys.stderr
        )
        return 2
    try:
        message = change(record)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(message)
    return 0


def passwd_command(args: argparse.Namespace) -> int:
    from bot.crm import agents

    def change(record: AgentRecord) -> str:
        password = _read_password(bool(getattr(args, "password_stdin", False)))
        agents.change_password(record.id, password)
        return f"Password of {record.username!r} changed; their desk sessions were ended."

    return _with_agent(args, change)


def disable_command(args: argparse.Namespace) -> int:
    from bot.crm import agents

    def change(record: AgentRecord) -> str:
        agents.disable_agent(record.id)
        return f"Disabled {record.username!r}; their desk sessions were ended."

    return _with_agent(args, change)


def enable_command(args: argparse.Namespace) -> int:
    from bot.crm import agents

    def change(record: AgentRecord) -> str:
        agents.set_active(record.id, True)
        return f"Enabled {record.username!r}."

    return _with_agent(args, change)


def role_command(args: argparse.Namespace) -> int:
    from bot.crm import agents

    def change(record: AgentRecord) -> str:
        agents.set_role(record.id, args.role)
        return f"{record.username!r} is now {args.role}; their desk sessions were ended."

    return _with_agent(args, change)
