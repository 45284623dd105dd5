"""One entry point: ``python -m bot <command>``.

Each command imports its implementation lazily, so ``python -m bot db upgrade`` does not pay
for loading Rasa and TensorFlow.
"""

from __future__ import annotations

import argparse
import sys


def _cmd_db(args: argparse.Namespace) -> int:
    from bot.crm.migrate import upgrade

    upgrade()
    print("CRM database is up to date.")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.training import train_if_needed

    path = train_if_needed(force=args.force)
    print(f"Model: {path}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run

    return run(train=not args.no_train)


def _cmd_shell(args: argparse.Namespace) -> int:
    from bot.runner import shell

    return shell()


def _cmd_agent(args: argparse.Namespace) -> int:
    from bot.desk import cli as desk_cli

    commands = {
        "create": desk_cli.create_agent_command,
        "passwd": desk_cli.passwd_command,
        "disable": desk_cli.disable_command,
        "enable": desk_cli.enable_command,
        "role": desk_cli.role_command,
    }
    return commands[args.agent_command](args)


def _cmd_web(args: argparse.Namespace) -> int:
    from bot.demo.site import serve

    serve()
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from bot.notify.worker import run_worker

    return run_worker()


def _cmd_customer(args: argparse.Namespace) -> int:
    from bot.privacy_cli import customer_command

    return customer_command(args)


def _cmd_serve_rasa(args: argparse.Namespace) -> int:
    from bot.serve import serve_rasa

    return serve_rasa(args.rasa_args)


def _cmd_serve_actions(args: argparse.Namespace) -> int:
    from bot.serve import serve_actions

    return serve_actions(args.action_args)


def _cmd_bench(args: argparse.Namespace) -> int:
    from bench.run import main as bench_main

    return bench_main(args.bench_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply Alembic migrations").set_defaults(func=_cmd_db)

    train = sub.add_parser("train", help="train a model unless one matches the current data")
    train.add_argument("--force", action="store_true", help="train even if a matching model exists")
    train.set_defaults(func=_cmd_train)

    run = sub.add_parser("run", help="run the whole product on this machine")
    run.add_argument("--no-train", action="store_true", help="use the newest model as it is")
    run.set_defaults(func=_cmd_run)

    sub.add_parser("shell", help="talk to the bot in the terminal").set_defaults(func=_cmd_shell)

    agent = sub.add_parser("agent", help="manage agent-desk accounts")
    agent_sub = agent.add_subparsers(dest="agent_command", required=True)
    roles = ["agent", "supervisor", "admin"]
    create = agent_sub.add_parser("create", help="create an agent, supervisor or admin")
    create.add_argument("username")
    create.add_argument("--name", dest="display_name", default=None)
    create.add_argument("--role", choices=roles, default="agent")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(func=_cmd_agent)
    passwd = agent_sub.add_parser(
        "passwd", help="set a new password (prompted, or --password-stdin); ends their sessions"
    )
    passwd.add_argument("username")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    passwd.set_defaults(func=_cmd_agent)
    for name, text in (
        ("disable", "disable an account and end its sessions"),
        ("enable", "re-enable a disabled account"),
    ):
        agent_sub.add_parser(name, help=text).add_argument("username")
        agent_sub.choices[name].set_defaults(func=_cmd_agent)
    role = agent_sub.add_parser("role", help="change an account's role; ends their sessions")
    role.add_argument("username")
    role.add_argument("role", choices=roles)
    role.set_defaults(func=_cmd_agent)

    sub.add_parser("web", help="serve the demo company page with the chat widget").set_defaults(
        func=_cmd_web
    )

    sub.add_parser(
        "worker", help="send queued notifications (e-mail, WhatsApp, widget) and run jobs"
    ).set_defaults(func=_cmd_worker)

    from bot.privacy_cli import add_customer_parser

    add_customer_parser(sub).set_defaults(func=_cmd_customer)

    serve_rasa = sub.add_parser(
        "serve-rasa",
        help="the Rasa server: `rasa run` options; the API token comes from RASA_AUTH_TOKEN",
    )
    serve_rasa.add_argument("rasa_args", nargs=argparse.REMAINDER)
    serve_rasa.set_defaults(func=_cmd_serve_rasa)
    serve_actions = sub.add_parser(
        "serve-actions", help="the action server, behind ACTION_SERVER_TOKEN"
    )
    serve_actions.add_argument("action_args", nargs=argparse.REMAINDER)
    serve_actions.set_defaults(func=_cmd_serve_actions)

    bench = sub.add_parser("bench", help="run the benchmark (see bench/README.md)")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # argparse.REMAINDER drops options ("--levels 1") after a sub-command: pass them on as is.
    passthrough = {
        "bench": ("bench_args", _cmd_bench),
        "serve-rasa": ("rasa_args", _cmd_serve_rasa),
        "serve-actions": ("action_args", _cmd_serve_actions),
    }
    if argv[:1] and argv[0] in passthrough:
        dest, func = passthrough[argv[0]]
        args = argparse.Namespace(command=argv[0], func=func, **{dest: argv[1:]})
    else:
        args = build_parser().parse_args(argv)
    if not args.command.startswith("serve-"):
        # The servers configure logging themselves (Rasa's and rasa_sdk's own set-up).
        from bot.logging_setup import configure_logging

        configure_logging()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from bot.errors import StartupError

        if isinstance(exc, StartupError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())
