"""`tact replay`: a simulated programmer types real code through the language server."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="replay source files through the server as a simulated programmer",
        description="Type the source files under PATH through a real `tact serve` over "
        "stdio, as a simulated programmer who asks for inline completions at natural "
        "pauses and accepts the ones that match what comes next. Every decision is "
        "recorded in the telemetry store; a summary is printed at the end.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="source files or folders")
    p.add_argument(
        "--telemetry", required=True, metavar="URL", help="store URL, e.g. sqlite:///out/replay.db"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="fixes the programmer and every draw (default 0)"
    )
    p.add_argument("--limit-files", type=int, metavar="N", help="replay at most N files")
    p.add_argument("--max-decisions", type=int, metavar="N", help="stop after N decisions")
    p.add_argument(
        "--gate", choices=("on", "off"), default="on", help="off: every suggestion is shown"
    )
    p.add_argument(
        "--model",
        type=Path,
        metavar="DIR",
        help="gate model directory (default: the newest trained model, else the shipped one)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the summary as JSON instead of a table"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from tact.server.cli.main import CliError
    from tact.server.replay.run import ReplayError, ReplayOptions, run_replay
    from tact.server.replay.sources import collect

    for path in args.paths:
        if not path.exists():
            raise CliError(f"no such file or folder: {path}")
    for name in ("limit_files", "max_decisions"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CliError(f"--{name.replace('_', '-')} must be at least 1")
    try:
        from tact.telemetry.url import parse_url

        parse_url(args.telemetry)
    except ImportError:
        pass
    except Exception as exc:
        raise CliError(f"--telemetry: {exc}") from None
    if args.model is not None and not (args.model / "card.json").is_file():
        raise CliError(f"--model: no tact model directory at {args.model} (no card.json)")
    files = collect(list(args.paths), args.limit_files)
    if not files:
        raise CliError(
            "no source files (.py, .js, .ts, .go, .rs) under " + ", ".join(map(str, args.paths))
        )
    options = ReplayOptions(
        telemetry_url=args.telemetry,
        seed=args.seed,
        max_decisions=args.max_decisions,
        gate=args.gate == "on",
        model_path=str(args.model.resolve()) if args.model is not None else None,
    )
    total_chars = sum(len(f.text) for f in files)
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "files {task.fields[files]}  decisions {task.fields[decisions]}  "
            "shown {task.fields[shown]}  accepted {task.fields[accepted]} ({task.fields[rate]})"
        ),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(
            "replay", total=total_chars, files=0, decisions=0, shown=0, accepted=0, rate="-"
        )
        done_chars = 0
        current: dict[str, int] = {}

        def hook(source, offset, summary) -> None:  # type: ignore[no-untyped-def]
            nonlocal done_chars
            if source is not None:
                current[str(source.relative)] = offset
            completed = sum(current.values())
            shown = summary.shown
            rate = f"{100.0 * summary.accepted / shown:.0f}%" if shown else "-"
            progress.update(
                task,
                completed=completed,
                description=f"replay {source.relative.name}" if source is not None else "replay",
                files=summary.files,
                decisions=summary.decisions,
                shown=shown,
                accepted=summary.accepted,
                rate=rate,
            )

        try:
            summary = run_replay(files, options, hook)
        except ReplayError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        summary.render(Console(file=sys.stdout))
    return 0
