"""`tact telemetry`: export, import and summarise the decision store.

The store URL defaults to the one the server writes (``default_url()``), so
``tact telemetry stats`` right after an editing session needs no flags. Reading
commands (export, stats) refuse to create a missing database: a typo in a path must be
an error, not a new empty store.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from tact.telemetry.errors import TelemetryError
from tact.telemetry.url import default_url

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "telemetry",
        help="export, import and summarise suggestion telemetry",
        description="Export, import and summarise the telemetry store of suggestion "
        "decisions (one row per decision: features, gate probability, outcome, latency).",
    )
    p.set_defaults(func=lambda args: p.error("choose a subcommand: export, import or stats"))
    tsub = p.add_subparsers(dest="telemetry_command", metavar="SUBCOMMAND")
    url_help = f"store URL, sqlite:///path.db or postgresql://... (default: {default_url()})"

    ex = tsub.add_parser(
        "export",
        help="write every decision as JSON Lines or CSV",
        description="Write one row per decision (time order): JSON Lines with a nested "
        "`features` object, or CSV with one f_<name> column per feature.",
    )
    ex.add_argument("--telemetry", metavar="URL", default=None, help=url_help)
    ex.add_argument("--format", choices=("jsonl", "csv"), required=True, help="output format")
    ex.add_argument("--out", metavar="FILE", help="output file (default: standard output)")
    ex.add_argument("--source", help="only decisions from this source (tact, replay, cups...)")
    ex.add_argument("--since", help="only decisions since an ISO time or a duration (7d, 12h)")
    ex.set_defaults(func=run_export)

    im = tsub.add_parser(
        "import",
        help="import decisions from a CUPS file or a tact JSONL export",
        description="Import decisions into the store. `cups`: the CUPS event format of "
        "../shared/data/cups (one decision per Shown event). `jsonl`: a `tact telemetry "
        "export --format jsonl` file. Re-importing the same file replaces, never duplicates.",
    )
    im.add_argument("file", metavar="FILE", help="file to import")
    im.add_argument("--format", choices=("cups", "jsonl"), required=True, help="input format")
    im.add_argument("--telemetry", metavar="URL", default=None, help=url_help)
    im.add_argument(
        "--store-text",
        action="store_true",
        help="also store suggestion and prompt text (default: hashes only)",
    )
    im.set_defaults(func=run_import)

    st = tsub.add_parser(
        "stats",
        help="counts, acceptance rate and latency percentiles",
        description="Summarise the store: decisions by stage, outcome and source, the "
        "acceptance rate over shown decisions with a known outcome, latency p50/p95/p99.",
    )
    st.add_argument("--telemetry", metavar="URL", default=None, help=url_help)
    st.add_argument("--json", action="store_true", help="print JSON instead of a table")
    st.add_argument("--source", help="only decisions from this source")
    st.add_argument("--since", help="only decisions since an ISO time or a duration (7d, 12h)")
    st.set_defaults(func=run_stats)


def _cli_error(message: str) -> Exception:
    from tact.server.cli.main import CliError

    return CliError(message)


def parse_since(value: str | None, now: float | None = None) -> float | None:
    """``7d``/``12h``/``30m`` (ago) or an ISO-8601 time -> Unix seconds."""
    if value is None:
        return None
    match = _DURATION.match(value.strip().lower())
    if match:
        now = time.time() if now is None else now
        return now - float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    from tact.telemetry.export import parse_time

    try:
        return parse_time(value)
    except ValueError:
        raise _cli_error(
            f"--since {value!r}: expected an ISO-8601 time or a duration like 7d, 12h, 30m"
        ) from None


def _open(url: str | None, *, create: bool, keep_text: bool = True) -> Any:
    from tact.telemetry.store import open_store

    try:
        return open_store(url or default_url(), create=create, keep_text=keep_text)
    except TelemetryError as exc:
        raise _cli_error(str(exc)) from None


def run_export(args: argparse.Namespace) -> int:
    from tact.telemetry.export import export_decisions

    since = parse_since(args.since)
    with _open(args.telemetry, create=False) as store:
        try:
            if args.out is None:
                n = export_decisions(
                    store, args.format, sys.stdout, source=args.source, since=since
                )
            else:
                n = _export_to_file(store, args, since)
        except TelemetryError as exc:
            raise _cli_error(str(exc)) from None
        except BrokenPipeError:  # `... | head`: the reader left; not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
    print(f"exported {n} decisions", file=sys.stderr)
    return 0


def _export_to_file(store: Any, args: argparse.Namespace, since: float | None) -> int:
    """Write to a temporary file and rename it: an old export survives a failed one."""
    from tact.telemetry.export import export_decisions

    out = Path(args.out)
    if out.is_dir():
        raise _cli_error(f"--out {out} is a directory")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            n = export_decisions(store, args.format, fh, source=args.source, since=since)
        os.replace(tmp, out)
    except OSError as exc:
        raise _cli_error(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()
    return n


def _find_featurizer() -> Callable[[Any], dict[str, Any]] | None:
    """The gate's CUPS featurizer when the models layer provides one."""
    try:
        from tact.models.features.cups import featurize_cups
    except ImportError:
        return None
    return featurize_cups


def run_import(args: argparse.Namespace) -> int:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    path = Path(args.file)
    if not path.is_file():
        raise _cli_error(f"no such file: {path}")
    with (
        _open(args.telemetry, create=True, keep_text=args.store_text) as store,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed} decisions"),
            TimeElapsedColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as progress,
    ):
        task = progress.add_task(f"importing {path.name}", total=None)
        try:
            if args.format == "cups":
                from tact.telemetry.cups import import_cups

                n = import_cups(
                    path,
                    store,
                    _find_featurizer(),
                    store_text=args.store_text,
                    progress=lambda k: progress.update(task, completed=k),
                )
            else:
                from tact.telemetry.export import read_export

                n = store.record_many(list(read_export(path)))
        except TelemetryError as exc:
            raise _cli_error(str(exc)) from None
        stats = store.stats()
    print(
        f"imported {n} decisions from {path} into {store.url} (store now holds {stats.total})",
        file=sys.stderr,
    )
    return 0


def _fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def run_stats(args: argparse.Namespace) -> int:
    from tact.telemetry.export import iso_time

    since = parse_since(args.since)
    with _open(args.telemetry, create=False) as store:
        try:
            stats = store.stats(since, source=args.source)
        except TelemetryError as exc:
            raise _cli_error(str(exc)) from None
        url = store.url
    if args.json:
        print(json.dumps({"url": url, **stats.to_dict()}, indent=2))
        return 0

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"tact telemetry: {url}", show_header=True)
    table.add_column("")
    table.add_column("value", justify="right")
    table.add_row("decisions", str(stats.total))
    table.add_row("sessions", str(stats.sessions))
    table.add_row("first", iso_time(stats.first_time) or "-")
    table.add_row("last", iso_time(stats.last_time) or "-")
    for group, counts in (
        ("stage", stats.by_stage),
        ("outcome", stats.by_outcome),
        ("source", stats.by_source),
    ):
        for key, n in sorted(counts.items()):
            table.add_row(f"{group}: {key}", str(n))
    table.add_row(
        "shown: accepted / partial / rejected / unknown",
        f"{stats.shown_accepted} / {stats.shown_partial} / {stats.shown_rejected} / "
        f"{stats.shown_unknown}",
    )
    rate = None if stats.acceptance_rate is None else 100 * stats.acceptance_rate
    table.add_row("acceptance rate (shown, known outcome)", _fmt(rate, ".1f", " %"))
    table.add_row("characters accepted", str(stats.accepted_chars))
    table.add_row(
        f"latency p50 / p95 / p99 (n={stats.latency_count})",
        f"{_fmt(stats.latency_p50_ms)} / {_fmt(stats.latency_p95_ms)} / "
        f"{_fmt(stats.latency_p99_ms)} ms",
    )
    Console().print(table)
    return 0
