"""``python -m bot customer export|erase|purge-expired``: personal-data rights from the shell.

Kept apart from bot/cli.py so the command wiring there stays one line. The logic is in
bot/crm/privacy.py; this module parses arguments, names the actor for the audit table and
prints the result (the export as JSON on standard output, counts on standard error).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any


def add_customer_parser(sub: Any) -> argparse.ArgumentParser:
    customer = sub.add_parser(
        "customer", help="personal-data rights: export or erase a customer's data (UU PDP)"
    )
    actions = customer.add_subparsers(dest="customer_command", required=True)
    for name, text in (
        ("export", "print everything held about a person as JSON"),
        ("erase", "irreversibly anonymise a person's data (references and figures are kept)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("subject", help="phone number, e-mail address or reference")
    erase = actions.choices["erase"]
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    actions.add_parser(
        "purge-expired",
        help="anonymise conversations inactive longer than PERSONAL_DATA_RETENTION_DAYS",
    )
    customer.add_argument(
        "--actor",
        default=None,
        help="who runs this, for the audit table (default: the login name)",
    )
    return customer


def _actor(args: argparse.Namespace) -> str:
    if args.actor:
        return str(args.actor)
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return os.environ.get("USER", "unknown")


def customer_command(args: argparse.Namespace) -> int:
    from bot.config import personal_data_retention_days
    from bot.crm import privacy
    from bot.crm.migrate import upgrade

    upgrade()
    actor = _actor(args)
    try:
        if args.customer_command == "export":
            data = privacy.export_subject(args.subject, actor=actor)
            json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
            sys.stdout.write("\n")
            return 0
        if args.customer_command == "erase":
            if not args.yes and not _confirmed():
                print("Nothing erased.", file=sys.stderr)
                return 1
            counts = privacy.erase_subject(args.subject, actor=actor)
            print(f"Erased (rows anonymised per table): {_summary(counts)}", file=sys.stderr)
            return 0
        days = personal_data_retention_days()
        if days is None:
            print(
                "PERSONAL_DATA_RETENTION_DAYS is not set: nothing is purged automatically.",
                file=sys.stderr,
            )
            return 0
        counts = privacy.purge_expired(days, actor=actor)
        print(f"Purged data older than {days} days: {_summary(counts)}", file=sys.stderr)
        return 0
    except privacy.SubjectNotFound:
        print("error: no customer, request or conversation matches.", file=sys.stderr)
        return 3
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input("Erase this person's data irreversibly? Type 'erase' to confirm: ")
    return answer.strip().lower() == "erase"


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in counts.items() if n) or "nothing to do"
