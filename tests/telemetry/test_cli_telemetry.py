"""`tact telemetry import -> stats -> export` as real subprocesses."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tact.telemetry.url import sqlite_url
from telemetry_helpers import CUPS_FILE, event, write_events


def tact(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tact", "telemetry", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # message (+ usage hint)


@pytest.fixture
def cups_file(tmp_path: Path) -> Path:
    rows = [
        event(1, 1, "Shown"),
        event(1, 2, "Replay"),
        event(1, 3, "Accepted"),
        event(1, 9, "Shown"),
        event(1, 10, "Rejected"),
        event(2, 20, "Shown"),
        event(2, 21, "Rejected"),
        event(2, 30, "Shown"),
    ]
    return write_events(tmp_path / "cups.jsonl", rows)


def test_import_stats_export(tmp_path: Path, cups_file: Path) -> None:
    url = sqlite_url(tmp_path / "t.db")
    result = tact("import", "--format", "cups", str(cups_file), "--telemetry", url)
    assert result.returncode == 0, result.stderr
    assert "imported 4 decisions" in result.stderr

    stats = tact("stats", "--telemetry", url, "--json")
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["total"] == 4 and data["sessions"] == 2
    assert data["by_outcome"] == {"accepted": 1, "rejected": 2, "unknown": 1}
    assert data["acceptance_rate"] == pytest.approx(1 / 3)

    table = tact("stats", "--telemetry", url)
    assert table.returncode == 0 and "acceptance rate" in table.stdout and "33.3 %" in table.stdout

    jsonl = tact("export", "--telemetry", url, "--format", "jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(rows) == 4
    assert {r["session"] for r in rows} == {"cups-1", "cups-2"}
    assert all(r["features"] for r in rows)

    out = tmp_path / "out.csv"
    exported = tact("export", "--telemetry", url, "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == "" and "exported 4 decisions" in exported.stderr
    table_rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(table_rows) == 4
    assert any(name.startswith("f_") for name in table_rows[0])
    assert sorted(r["outcome"] for r in table_rows) == [
        "accepted",
        "rejected",
        "rejected",
        "unknown",
    ]

    # An export imports back into another store with the same rows.
    back = tmp_path / "back.jsonl"
    tact("export", "--telemetry", url, "--format", "jsonl", "--out", str(back))
    url2 = sqlite_url(tmp_path / "t2.db")
    again = tact("import", "--format", "jsonl", str(back), "--telemetry", url2)
    assert again.returncode == 0, again.stderr
    assert json.loads(tact("stats", "--telemetry", url2, "--json").stdout)["total"] == 4


def test_default_url_from_xdg(tmp_path: Path, cups_file: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    missing = tact("stats", env=env)
    assert_one_line_error(missing, "no telemetry store at")
    assert str(tmp_path / "xdg" / "tact" / "telemetry.db") in missing.stderr
    assert tact("import", "--format", "cups", str(cups_file), env=env).returncode == 0
    assert (tmp_path / "xdg" / "tact" / "telemetry.db").is_file()
    assert json.loads(tact("stats", "--json", env=env).stdout)["total"] == 4


def test_user_errors_are_one_line(tmp_path: Path, cups_file: Path) -> None:
    url = sqlite_url(tmp_path / "t.db")
    assert_one_line_error(
        tact("import", "--format", "cups", str(tmp_path / "nope.jsonl"), "--telemetry", url),
        "no such file",
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text(cups_file.read_text() + "{oops\n")
    assert_one_line_error(
        tact("import", "--format", "cups", str(bad), "--telemetry", url), "bad.jsonl:9:"
    )
    assert_one_line_error(
        tact("export", "--format", "csv", "--telemetry", "mysql://h/db"),
        "unknown telemetry backend",
    )
    assert_one_line_error(tact("export", "--telemetry", url), "--format")
    assert_one_line_error(tact("export", "--format", "xml", "--telemetry", url), "invalid choice")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert_one_line_error(tact("stats", "--telemetry", sqlite_url(notes)), "not a SQLite database")
    assert notes.read_text() == "hello"
    assert_one_line_error(tact("stats", "--telemetry", url, "--since", "someday"), "--since")
    assert_one_line_error(tact(), "choose a subcommand")


def test_help_on_every_subcommand() -> None:
    for sub in ("export", "import", "stats"):
        result = tact(sub, "--help")
        assert result.returncode == 0 and "usage: tact telemetry " + sub in result.stdout


@pytest.mark.skipif(not CUPS_FILE.is_file(), reason=f"CUPS data not present at {CUPS_FILE}")
@pytest.mark.slow
def test_real_cups_file_import_and_export(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "t.db")
    result = tact("import", "--format", "cups", str(CUPS_FILE), "--telemetry", url)
    assert result.returncode == 0, result.stderr
    shown = sum('"event": "Shown"' in line for line in CUPS_FILE.read_text().splitlines())
    out = tmp_path / "e.jsonl"
    assert (
        tact("export", "--telemetry", url, "--format", "jsonl", "--out", str(out)).returncode == 0
    )
    assert len(out.read_text().splitlines()) == shown
