"""``python -m bot bench``: the assistant against a bare ``rasa init`` bot, in one go.

1. trains the full model (timed) and a bare ``rasa init`` bot (timed);
2. starts the bare bot, then the full stack on SQLite in a temporary var dir (and again on
   PostgreSQL when CRM_DATABASE_URL is set, in a throw-away database on that server);
3. creates the records the status checks ask about (not measured);
4. per concurrency level, drives the bare bot and then the full stack with the same scripted
   conversations (see bench/conversations.py), sampling both servers' RSS;
5. counts the CRM records: every confirmed form stored exactly once;
6. writes bench/results/latest.json, latest.md and latency.png, and prints the targets.

Exit code: 0 when the run finished without errors and with every record stored exactly once;
1 otherwise (missed performance targets are reported, not failed: this machine is shared).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "bench" / "results"
README = PROJECT_ROOT / "bench" / "README.md"
README_START, README_END = "<!-- bench-results:start -->", "<!-- bench-results:end -->"


if TYPE_CHECKING:
    from bot.runner import RunningProcess as Server


def _pids(**servers: Server | None) -> dict[str, int]:
    """Process ids of a stack's servers, which exist once its start() has returned."""
    pids = {name: server.pid for name, server in servers.items() if server is not None}
    if len(pids) != len(servers):
        raise RuntimeError(f"servers not started: {sorted(servers.keys() - pids.keys())}")
    return pids


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--levels",
        default="1,10,50",
        help="concurrent customers per level, comma-separated (default 1,10,50)",
    )
    # 100, not 50: at 50 a level lasts ~10 s and the bare bot's speed alone swung the ratios
    # by +-0.3 between runs.
    parser.add_argument(
        "--conversations",
        type=int,
        default=100,
        help="conversations per level (default 100: 50 FAQ, 20 calibration, "
        "10 financing, 10 complaint, 10 status)",
    )
    parser.add_argument(
        "--databases",
        default=None,
        help="sqlite,postgresql (default: sqlite, plus postgresql when CRM_DATABASE_URL is set)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="serve this model instead of training one (training is then not timed)",
    )
    parser.add_argument(
        "--bare-project",
        type=Path,
        default=None,
        help="reuse a trained `rasa init` project folder instead of creating one",
    )
    parser.add_argument(
        "--no-bare",
        action="store_true",
        help="skip the bare bot (no ratios; for quick checks only)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the results go")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="temporary files (default: a new folder under bench/results/tmp)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, models)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=6, help="unmeasured warm-up messages per bot")
    parser.add_argument("--timeout", type=float, default=120.0, help="per-message timeout (s)")
    parser.add_argument("--rest-path", default="/webhooks/rest/webhook")
    parser.add_argument(
        "--check-scripts",
        action="store_true",
        help="only run every script once against the full stack (SQLite) and "
        "print each turn and reply; for keeping the scripts in step with the flows",
    )
    return parser.parse_args(list(argv))


def _databases(choice: str | None) -> list[str]:
    if choice:
        names = [d.strip() for d in choice.split(",") if d.strip()]
    else:
        names = ["sqlite"] + (["postgresql"] if os.environ.get("CRM_DATABASE_URL") else [])
    for name in names:
        if name not in ("sqlite", "postgresql"):
            raise SystemExit(f"unknown database {name!r} (sqlite, postgresql)")
    if "postgresql" in names and not os.environ.get("CRM_DATABASE_URL", "").startswith(
        "postgresql"
    ):
        raise SystemExit(
            "postgresql needs CRM_DATABASE_URL=postgresql+psycopg2://... (a server URL)"
        )
    return names


def _warm_up(url: str, rest_path: str, count: int, sender: str) -> None:
    """A few unmeasured messages: the first predictions build TensorFlow graphs."""
    import requests

    texts = ["halo", "hi", "jam buka kapan?", "what are your opening hours?", "makasih", "bye"]
    for i in range(count):
        with contextlib.suppress(requests.RequestException):
            requests.post(
                f"{url}{rest_path}",
                json={"sender": f"{sender}-{i % 2}", "message": texts[i % len(texts)]},
                timeout=120,
            )


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    from bench import conversations as conv
    from bench.metrics import ProcessSampler, mib
    from bench.report import evaluate_targets, machine_info, now_iso
    from bench.stack import BareBot, train_full_model

    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    databases = _databases(args.databases)
    run_id, work = args.run_id, args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    _log(
        f"work dir {work}; levels {levels}; {args.conversations} conversations per level; "
        f"databases {databases}"
    )

    result: dict[str, Any] = {
        "date": now_iso(),
        "machine": machine_info(),
        "config": {
            "levels": levels,
            "conversations_per_level": args.conversations,
            "mix": conv.mix_counts(args.conversations),
            "databases": databases,
            "seed": args.seed,
            "bare": not args.no_bare,
            "think_time_s": 0,
        },
        "training": {},
        "stacks": {},
        "bare": None,
    }

    # 1. Models.
    if args.model is None:
        _log("training the full model (timed) ...")
        model, timed = train_full_model(work / "model", work / "train-full.log")
        result["training"]["full"] = {
            "wall_s": round(timed.wall_s, 1),
            "cpu_s": round(timed.cpu_s, 1),
        }
        _log(f"full training: {timed.wall_s:.1f} s wall, {timed.cpu_s:.1f} s CPU")
    else:
        model = args.model
        result["training"]["full"] = None
    bare: BareBot | None = None
    if not args.no_bare:
        if args.bare_project is not None:
            bare = BareBot(project_dir=args.bare_project)
            bare.model = sorted((args.bare_project / "models").glob("*.tar.gz"))[-1]
            result["training"]["bare"] = None
        else:
            _log("rasa init + training the bare bot (timed) ...")
            bare = BareBot(project_dir=work / "bare")
            timed = bare.init_and_train()
            result["training"]["bare"] = {
                "wall_s": round(timed.wall_s, 1),
                "cpu_s": round(timed.cpu_s, 1),
            }
            _log(f"bare training: {timed.wall_s:.1f} s wall, {timed.cpu_s:.1f} s CPU")
    full_t, bare_t = result["training"].get("full"), result["training"].get("bare")
    if full_t and bare_t:
        result["training"]["ratio_wall"] = round(full_t["wall_s"] / bare_t["wall_s"], 2)
        result["training"]["ratio_cpu"] = round(full_t["cpu_s"] / bare_t["cpu_s"], 2)

    senders = conv.SenderIds(run_id)
    level_scripts = {
        level: conv.build_level(args.conversations, args.seed + level) for level in levels
    }
    bare_sampler: ProcessSampler | None = None
    try:
        if bare is not None:
            _log("starting the bare bot ...")
            bare.start()
            bare_sampler = ProcessSampler(_pids(rasa=bare.rasa)).start()
            _warm_up(bare.url, args.rest_path, args.warmup, f"bench-{run_id}-warmup-bare")

        for db in databases:
            result["stacks"][db] = _run_stack(
                db,
                args,
                work,
                model,
                bare,
                bare_sampler,
                levels,
                level_scripts,
                senders,
            )
    finally:
        if bare is not None:
            bare.stop()
    if bare_sampler is not None:
        result["bare"] = {"rss_peak_mib": {k: mib(v) for k, v in bare_sampler.stop().items()}}
    result["targets"] = evaluate_targets(result)
    return result


def _run_stack(
    db: str,
    args: argparse.Namespace,
    work: Path,
    model: Path,
    bare: Any,
    bare_sampler: Any,
    levels: list[int],
    level_scripts: dict[int, list],
    senders: Any,
) -> dict[str, Any]:
    from bench import conversations as conv
    from bench.databases import check_records, stored_references
    from bench.load import drive_sync
    from bench.metrics import ProcessSampler, mib
    from bench.report import add_ratios, level_summary
    from bench.stack import FullStack
    from testkit.scratch import create_scratch_database, drop_scratch_database

    var_dir = work / f"var-{db}"
    admin_url = os.environ.get("CRM_DATABASE_URL", "")
    if db == "sqlite":
        database_url = f"sqlite:///{var_dir / 'crm.sqlite3'}"
    else:
        database_url = create_scratch_database(admin_url, "bench")
    stack = FullStack(model=model, database_url=database_url, var_dir=var_dir)
    summary: dict[str, Any] = {"levels": [], "records": [], "records_counted": False}
    sampler: ProcessSampler | None = None
    try:
        _log(f"[{db}] starting action server + Rasa server ...")
        started = time.monotonic()
        stack.start()
        sampler = ProcessSampler(_pids(rasa=stack.rasa, actions=stack.actions)).start()
        summary["startup_s"] = round(time.monotonic() - started, 1)
        _warm_up(stack.url, args.rest_path, args.warmup, f"bench-{senders.run_id}-warmup-{db}")

        # Records for the status checks, created through the bot itself (not measured).
        status_needed = sum(
            1 for scripts in level_scripts.values() for s in scripts if s.kind == "status"
        )
        setup_convs = [
            senders.conversation(f"{db}-setup", conv.STATUS_SETUP_SCRIPT)
            for _ in range(status_needed)
        ]
        setup = drive_sync(
            stack.url,
            args.rest_path,
            setup_convs,
            min(10, max(1, status_needed)),
            target=f"{db}-setup",
            check=True,
            timeout_s=args.timeout,
        )
        summary["setup"] = {
            "conversations": setup.conversations,
            "errors": setup.error_count,
            "error_samples": setup.error_samples,
        }
        _log(
            f"[{db}] setup: {setup.conversations} records for status checks, {setup.error_count} errors"
        )
        owners = iter(setup_convs)
        expected = dict(setup.expected_records)
        given = list(setup.given_references)

        for level in levels:
            full_convs = []
            for script in level_scripts[level]:
                context = None
                if script.kind == "status":
                    owner = next(owners)
                    context = {
                        "reference": owner.context.get("reference", "KAL-0000-000000"),
                        "phone": owner.context["phone"],
                    }
                conversation = senders.conversation(f"{db}-c{level}", script, context)
                if script.kind == "status":
                    # Only the request's owner sees its status: the conversation that filed it
                    # asks (anyone else is asked to verify by one-time code, which a scripted
                    # customer cannot receive).
                    conversation = dataclasses.replace(conversation, sender=owner.sender)
                full_convs.append(conversation)
            sampler.mark()
            full_run = drive_sync(
                stack.url, args.rest_path, full_convs, level, db, check=True, timeout_s=args.timeout
            )
            level_result = level_summary(full_run, sampler.mark(), sampler.window_cpu_s)
            for prefix, n in full_run.expected_records.items():
                expected[prefix] = expected.get(prefix, 0) + n
            given += full_run.given_references
            _log(
                f"[{db}] c={level}: {full_run.messages} msgs, p95 {level_result['p95_ms']} ms, "
                f"{level_result['messages_per_s']} msg/s, {full_run.error_count} errors"
            )

            # The floor: the bare bot gets exactly the messages these customers sent.
            bare_summary = None
            if bare is not None:
                bare_convs = [
                    senders.conversation(f"bare-{db}-c{level}", conv.replay_script(c))
                    for c in full_convs
                ]
                bare_sampler.mark()
                bare_run = drive_sync(
                    bare.url,
                    args.rest_path,
                    bare_convs,
                    level,
                    "bare",
                    check=False,
                    timeout_s=args.timeout,
                )
                bare_summary = level_summary(
                    bare_run, bare_sampler.mark(), bare_sampler.window_cpu_s
                )
                _log(
                    f"[bare] c={level}: {bare_run.messages} msgs, p95 {bare_summary['p95_ms']} ms, "
                    f"{bare_summary['messages_per_s']} msg/s, {bare_run.error_count} errors"
                )
            level_result["bare"] = bare_summary
            add_ratios(level_result, bare_summary)
            summary["levels"].append(level_result)
            ratios = level_result["ratio_to_bare"] or {}
            _log(
                f"[{db}] c={level}: p95 {ratios.get('p95_ms')} x bare, "
                f"throughput {ratios.get('messages_per_s')} x bare"
            )

        # Every confirmed form stored exactly once (after the servers have answered everything).
        stored = stored_references(database_url)
        checks = check_records(stored, expected, given)
        summary["records"] = [
            {**vars(c), "ok": c.ok, "table": stored.tables.get(c.prefix)} for c in checks
        ]
        summary["records_counted"] = True
        for c in checks:
            _log(
                f"[{db}] records {c.prefix}: expected {c.expected}, stored {c.actual}"
                f"{'' if c.ok else '  <-- MISMATCH'}"
            )
    finally:
        stack.stop()
        if sampler is not None:
            summary["rss_peak_mib"] = {k: mib(v) for k, v in sampler.stop().items()}
        else:
            summary["rss_peak_mib"] = {}
        summary.setdefault("setup", {"conversations": 0, "errors": 0, "error_samples": []})
        if db == "postgresql":
            try:
                drop_scratch_database(database_url, admin_url)
            except Exception as exc:
                _log(f"could not drop {database_url}: {exc}")
    return summary


def check_scripts(args: argparse.Namespace) -> int:
    """Every script once, one customer at a time, with its transcript printed."""
    from bench import conversations as conv
    from bench.load import drive_sync
    from bench.stack import FullStack, train_full_model

    args.work_dir.mkdir(parents=True, exist_ok=True)
    model = (
        args.model or train_full_model(args.work_dir / "model", args.work_dir / "train-full.log")[0]
    )
    stack = FullStack(
        model=model,
        database_url=f"sqlite:///{args.work_dir / 'crm.sqlite3'}",
        var_dir=args.work_dir / "var",
    )
    senders = conv.SenderIds(args.run_id)
    errors = 0
    try:
        stack.start()
        owner = senders.conversation("check-owner", conv.STATUS_SETUP_SCRIPT)
        convs = [owner]
        for kind, scripts in conv.SCRIPTS_BY_KIND.items():
            for script in scripts:
                context = None
                if kind == "status":
                    context = {"reference": "{reference}", "phone": owner.context["phone"]}
                convs.append(senders.conversation("check", script, context))
        for conversation in convs:
            if conversation.script.kind == "status":
                conversation.context["reference"] = owner.context.get(
                    "reference", "KAL-0000-000000"
                )
            run = drive_sync(
                stack.url,
                args.rest_path,
                [conversation],
                1,
                "check",
                check=True,
                timeout_s=args.timeout,
                trace=True,
            )
            errors += run.error_count
            print(f"\n=== {conversation.script.name} ({run.error_count} errors)")
            for sent, reply in (run.transcripts or {}).get(conversation.sender, []):
                print(f"  > {sent}\n    " + reply.replace("\n", "\n    "))
            for sample in run.error_samples:
                print(f"  !! turn {sample['turn']}: {sample['detail']}")
    finally:
        stack.stop()
    print(f"\n{errors} errors")
    return 1 if errors else 0


def update_readme(markdown_text: str) -> None:
    """Replace the results section of bench/README.md (between the markers), if present."""
    if not README.exists():
        return
    text = README.read_text()
    if README_START not in text or README_END not in text:
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    body = markdown_text.replace("# Benchmark results", "### Latest results", 1)
    README.write_text(
        f"{head}{README_START}\n{body}\n![latency vs concurrency](results/latency.png)\n"
        f"{README_END}{tail}"
    )


def _raise_keyboard_interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if threading.current_thread() is not threading.main_thread():
        return _main(args)
    # On SIGTERM unwind like Ctrl-C, so the servers this run started are stopped too.
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return _main(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(args: argparse.Namespace) -> int:
    from bench.report import markdown, write_results

    args.run_id = uuid.uuid4().hex[:6]
    own_work_dir = args.work_dir is None
    if own_work_dir:
        args.work_dir = PROJECT_ROOT / "bench" / "results" / "tmp" / f"run-{args.run_id}"
    if args.check_scripts:
        return check_scripts(args)
    try:
        result = run_benchmark(args)
    except Exception:
        _log(f"benchmark failed; logs kept in {args.work_dir}")
        raise
    paths = write_results(result, args.out)
    if args.out.resolve() == DEFAULT_OUT.resolve():
        update_readme(markdown(result))
    print()
    for target in result["targets"]:
        print(f"  {target['status']:>13}  {target['target']}: {target['value']}")
    print(f"\nResults: {paths['json']}, {paths['markdown']}, {paths['chart']}")
    if own_work_dir and not args.keep:
        shutil.rmtree(args.work_dir, ignore_errors=True)
    failed = any(
        t["status"] == "missed" and ("errors" in t["target"] or "records" in t["target"])
        for t in result["targets"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
