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


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # ``tact fix x.py --json | head``: the pipe closes before tact writes its answer.
    (tmp_path / "x.py").write_text("def f(x)\n    return x\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tact", "fix", str(tmp_path / "x.py"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the fixer has an answer to write
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
