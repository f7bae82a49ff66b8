"""Replay over real code nobody here wrote (the installed pygls package's sources),
through a real `tact serve`: deterministic for a seed, one exported row per decision."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pygls
import pytest

SOURCE = Path(pygls.__file__).parent / "workspace"  # a few real, unfamiliar files


def replay(url: str, seed: int) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tact",
            "replay",
            str(SOURCE),
            "--telemetry",
            url,
            "--seed",
            str(seed),
            "--max-decisions",
            "120",
            "--gate",
            "off",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_replay_is_deterministic_and_exports_one_row_per_decision(tmp_path: Path) -> None:
    first = replay(f"sqlite:///{tmp_path / 'a.db'}", seed=3)
    second = replay(f"sqlite:///{tmp_path / 'b.db'}", seed=3)
    keys = [k for k in first if k not in ("latency_p50_ms", "latency_p95_ms", "wall_seconds")]
    assert {k: first[k] for k in keys} == {k: second[k] for k in keys}
    assert first["decisions"] >= 100 and first["shown"] == first["decisions"]  # gate off
    assert 0 < first["accepted"] < first["shown"]
    assert first["latency_p50_ms"] is not None

    out = tmp_path / "export.jsonl"
    export = subprocess.run(
        [
            sys.executable,
            "-m",
            "tact",
            "telemetry",
            "export",
            "--telemetry",
            f"sqlite:///{tmp_path / 'a.db'}",
            "--format",
            "jsonl",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert export.returncode == 0, export.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == first["decisions"] == len({r["id"] for r in rows})
    outcomes = [r["outcome"] for r in rows]
    assert outcomes.count("accepted") == first["accepted_full"]
    assert outcomes.count("partial") == first["accepted_partial"]
    assert all(r["source"] == "replay" for r in rows)


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    for args in (
        ["/no/such/dir", "--telemetry", "sqlite:///x.db"],
        [str(tmp_path), "--telemetry", "sqlite:///x.db"],
        [str(SOURCE), "--telemetry", "sqlite:///x.db", "--max-decisions", "0"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "tact", "replay", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, args
        assert result.stderr.startswith("tact replay: error:") and "Traceback" not in result.stderr
