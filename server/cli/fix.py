"""`tact fix FILE`: diagnose a Python file and print validated fixes, best first.

Running the command is an explicit request to execute the file's tests, so the
sandbox is used without the server's ``fixes.allowExecution`` opt-in (still with
its time and memory limits, in a temporary copy of the project).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fix",
        help="diagnose a Python file (syntax errors, failing tests) and print validated fixes",
        description="Diagnose FILE: syntax errors are repaired by a small token-edit search; "
        "failing tests (found by pytest conventions, or given with --test) are repaired by "
        "operators validated by running the tests in a sandbox. Prints the validated fixes, "
        "best first. Exits 0 whether or not a fix was found.",
    )
    p.add_argument("file", type=Path, help="the Python file to fix")
    p.add_argument("--test", dest="tests", type=Path, action="append", default=[],
                   metavar="TESTFILE", help="a test file to run (repeatable; default: discover)")
    p.add_argument("--json", action="store_true", help="print a JSON list of fixes")
    p.add_argument("--precision", choices=["lenient", "standard", "strict"], default="standard",
                   help="how strong validation must be before a fix is shown")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="wall-clock limit per test run, seconds (default 10)")
    p.add_argument("--memory", type=int, default=512, metavar="MB",
                   help="memory limit of the sandbox, MB (default 512)")
    p.add_argument("--max-fixes", type=int, default=3, metavar="N")
    p.add_argument("--model", metavar="DIR", default=None,
                   help="gate model directory whose fix model scores the fixes "
                   "(default: the packaged one); the scores are printed, no fix is hidden")
    p.set_defaults(func=run)


def _read(path: Path, what: str) -> str:
    from tact.server.cli.main import CliError

    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"cannot read {what} {path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"cannot read {what} {path}: it is a directory") from None
    except UnicodeDecodeError:
        raise CliError(f"cannot read {what} {path}: not UTF-8 text") from None
    except OSError as exc:
        raise CliError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    from tact.server.cli.main import CliError
    from tact.server.fixes.repair import repair_file

    source = _read(args.file, "file")
    for t in args.tests:
        _read(t, "test file")
    if args.timeout <= 0:
        raise CliError("--timeout must be positive")
    result = repair_file(args.file, args.tests or None, source=source,
                         precision=args.precision, timeout=args.timeout,
                         memory_mb=args.memory, max_fixes=max(1, args.max_fixes))
    scores = fix_scores(result.fixes, args.model, args.precision)
    if args.json:
        print(json.dumps([{**f.to_json(), "p_applied": p}
                          for f, p in zip(result.fixes, scores, strict=True)], indent=2))
        return 0
    out = sys.stdout
    for p in result.problems:
        out.write(f"{args.file}:{p.span.start_line + 1}:{p.span.start_char + 1}: {p.message}\n")
    if not result.fixes:
        out.write(f"no fix: {result.note}\n")
        return 0
    for i, (f, p) in enumerate(zip(result.fixes, scores, strict=True), 1):
        out.write(f"\nfix {i}: {f.title}\n")
        if p is not None:
            out.write(f"  P(applied) by the fix gate: {p:.2f}\n")
        out.write(f"  edit: lines {f.span.start_line + 1}-{f.span.end_line + 1}, "
                  f"replace {source_slice(source, f)!r} with {f.new_text!r} "
                  f"({f.edit_size} chars, {f.operator}, validated: {f.validation})\n")
        out.write(f"  {f.explanation}\n")
    out.write(f"\n({result.note}; {result.seconds:.2f}s)\n")
    return 0


def fix_scores(fixes: list, model_dir: str | None, precision: str) -> list[float | None]:
    """The fix gate's P(applied) for each fix (None without a usable fix model).

    The CLI is an explicit request, so it lists every validated fix; the score says
    how the server's gate would rank it. A model that cannot be loaded is reported
    on stderr and the fixes are still printed."""
    from tact.server.fixes.gating import FixGate

    if not fixes:
        return []
    gate = FixGate(notify=lambda message: print(message, file=sys.stderr))
    if not gate.refresh(model_dir):
        return [None] * len(fixes)
    from tact.models.features.fix import fix_features

    out: list[float | None] = []
    for rank, fix in enumerate(fixes):
        try:
            out.append(round(gate.model.predict(
                fix_features(fix, rank=rank, siblings=fixes, precision=precision)), 4))
        except Exception as exc:  # a model that loads but cannot score: say so once
            print(f"tact: the fix model could not score a fix: {exc}", file=sys.stderr)
            return [None] * len(fixes)
    return out


def source_slice(source: str, fix: object) -> str:
    """The original text the fix replaces."""
    source = source.removeprefix("\ufeff")  # positions count without a byte-order mark
    lines = source.split("\n")
    span = fix.span  # type: ignore[attr-defined]
    start = sum(len(x) + 1 for x in lines[: span.start_line]) + span.start_char
    end = sum(len(x) + 1 for x in lines[: span.end_line]) + span.end_char
    return source[start:end]
