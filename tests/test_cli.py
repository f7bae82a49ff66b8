"""The `tact` command: help, version and one-line errors."""

import subprocess
import sys


def run_tact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tact", *args], capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    result = run_tact("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("tact ")


def test_help_on_every_subcommand() -> None:
    from tact.server.cli.main import SUBCOMMANDS

    for name in SUBCOMMANDS:
        result = run_tact(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "usage: tact" in result.stdout


def test_bad_argument_is_one_line_error() -> None:
    result = run_tact("no-such-command")
    assert result.returncode == 2
    assert result.stderr.startswith("tact: error:")
    assert "Traceback" not in result.stderr
