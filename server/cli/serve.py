"""`tact serve`: run the language server (stdio by default, TCP for debugging)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the language server",
        description="Run the tact language server. Editors start it over stdio; "
        "settings come from the client (initializationOptions, didChangeConfiguration).",
    )
    p.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    p.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead (debugging)")
    p.add_argument(
        "--telemetry",
        metavar="URL",
        help="telemetry store (e.g. sqlite:///path.db); default: the telemetry.url setting "
        "or ~/.local/share/tact/telemetry.db. A client's telemetry.url setting overrides it.",
    )
    p.add_argument(
        "--log-level",
        default=os.environ.get("TACT_LOG_LEVEL", "WARNING").upper(),
        type=str.upper,
        choices=LEVELS,
        help="log level (default: $TACT_LOG_LEVEL or WARNING)",
    )
    p.add_argument(
        "--log-file",
        default=os.environ.get("TACT_LOG_FILE"),
        metavar="PATH",
        help="log here instead of stderr (default: $TACT_LOG_FILE); handy when an editor "
        "hides the server's stderr",
    )
    p.set_defaults(func=run)


def parse_hostport(value: str) -> tuple[str, int]:
    from tact.server.cli.main import CliError

    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CliError(f"--tcp expects HOST:PORT (e.g. 127.0.0.1:2087), got {value!r}")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    from tact.server.cli.main import CliError

    address = parse_hostport(args.tcp) if args.tcp else None
    if args.telemetry:
        try:
            from tact.telemetry.url import parse_url

            parse_url(args.telemetry)
        except ImportError:
            pass
        except Exception as exc:
            raise CliError(f"--telemetry: {exc}") from None
    if args.log_level not in LEVELS:
        raise CliError(f"log level must be one of {', '.join(LEVELS)}, got {args.log_level!r}")
    handler: logging.Handler
    if args.log_file:
        try:
            handler = logging.FileHandler(args.log_file, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write the log file {args.log_file}: {exc.strerror}") from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    logging.basicConfig(
        handlers=[handler],
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.log_level != "DEBUG":
        # pygls logs every message body at INFO: far too chatty for a server log.
        logging.getLogger("pygls").setLevel(max(logging.WARNING, getattr(logging, args.log_level)))

    from tact.server.server import create_server

    server = create_server(args.telemetry)
    if address is not None:
        server.start_tcp(*address)
        return 0
    # stdout carries the protocol: anything else printed there would corrupt it.
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr
    server.start_io(sys.stdin.buffer, stdout)
    return 0
