"""Replay with the learned gate on: the summary counts hidden and skipped decisions,
they agree with the store, and exploration draws are seeded (a replay repeats)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pygls
import pytest
from tact.models.evaluation.synthetic import synthetic_cups_events
from tact.models.gate.modeldir import train_model
from tact.telemetry.records import Stage
from tact.telemetry.store import open_store

SOURCE = Path(pygls.__file__).parent / "workspace"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model trained here, so it fits the feature schema of this checkout."""
    root = tmp_path_factory.mktemp("gate")
    cups = root / "cups.jsonl"
    events = synthetic_cups_events(n_sessions=6, decisions_per_session=40, seed=5)
    cups.write_text("".join(json.dumps(e) + "\n" for e in events))
    out = root / "model"
    train_model(out, cups=[str(cups)], candidates=("logreg",))
    return out


def replay(url: str, model: Path, gate: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tact", "replay", str(SOURCE), "--telemetry", url,
         "--seed", "4", "--max-decisions", "80", "--gate", gate, "--model", str(model),
         "--json"],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_gate_on_summary_counts_hidden_and_skipped(tmp_path: Path, model: Path) -> None:
    url = f"sqlite:///{tmp_path / 'on.db'}"
    first = replay(url, model, "on")
    again = replay(f"sqlite:///{tmp_path / 'again.db'}", model, "on")
    keys = [k for k in first if k not in ("latency_p50_ms", "latency_p95_ms", "wall_seconds")]
    assert {k: first[k] for k in keys} == {k: again[k] for k in keys}  # seeded draws

    with open_store(url) as store:
        decisions = list(store.iter_decisions())
    by_stage = {s: sum(d.stage is s for d in decisions) for s in Stage}
    assert first["decisions"] == len(decisions) >= 80
    assert first["shown"] == by_stage[Stage.SHOWN]
    assert first["hidden"] == by_stage[Stage.HIDDEN]
    assert first["skipped"] == by_stage[Stage.SKIPPED]
    assert first["hidden"] + first["skipped"] > 0  # this gate does gate
    assert all(d.p_accept_before is not None for d in decisions)
    assert all(d.p_accept is not None for d in decisions if d.stage is not Stage.SKIPPED)
    assert all(d.propensity is not None for d in decisions)


def test_replay_rejects_a_missing_model_dir(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tact", "replay", str(SOURCE), "--telemetry",
         f"sqlite:///{tmp_path / 'x.db'}", "--model", str(tmp_path / "nope")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "--model" in result.stderr
