"""Entry point of the ``tact`` command.

Each subcommand lives in its own module under ``tact.server.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with the
parsed namespace; returns the exit code). Errors the user can fix are raised as
:class:`CliError` and printed as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

# Subcommand modules, in the order `tact --help` lists them.
SUBCOMMANDS = ("serve", "replay", "telemetry", "model", "fix")


class CliError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


def package_version() -> str:
    try:
        return version("tact")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (usage hint on a second line)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"tact: error: {message}\n(see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tact",
        description="tact: AI code completions and self-debug fixes, shown only "
        "when the programmer is likely to take them.",
    )
    parser.add_argument("--version", action="version", version=f"tact {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"tact.server.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"tact {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tact: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``tact fix x.py --json | head``): not our error, and no
        # traceback. Point stdout at /dev/null so the exit-time flush stays quiet too
        # (the recipe of Python's signal module documentation).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
