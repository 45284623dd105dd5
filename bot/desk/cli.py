"""``python -m bot agent create USERNAME [--name N] [--role agent|supervisor] [--password-stdin]``."""

from __future__ import annotations

import argparse
import getpass
import sys


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
