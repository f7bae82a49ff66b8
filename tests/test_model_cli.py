"""`tact model train / eval / score` as a user runs them (real subprocesses)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tact.models.evaluation.synthetic import synthetic_cups_events


def tact(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tact", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def cups_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cups") / "sessions.jsonl"
    events = synthetic_cups_events(n_sessions=4, decisions_per_session=25, seed=2)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


@pytest.fixture(scope="module")
def model_dir(cups_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("m") / "model"
    r = tact("model", "train", "--cups", str(cups_file), "--out", str(out), "--folds", "4")
    assert r.returncode == 0, r.stderr
    assert "validation AUC" in r.stdout
    return out


def test_train_writes_a_model_directory(model_dir: Path) -> None:
    assert {p.name for p in model_dir.iterdir()} >= {"stage1.onnx", "stage2.onnx", "card.json"}
    card = json.loads((model_dir / "card.json").read_text())
    assert card["data"]["sessions"] == 4
    assert "--cups" in (card["notes"]["command"] or "")


def test_score_cups_one_row_per_shown_event(cups_file: Path, model_dir: Path,
                                            tmp_path: Path) -> None:
    out = tmp_path / "preds.csv"
    r = tact("model", "score", "--format", "cups", str(cups_file), "--out", str(out),
             "--model", str(model_dir))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    shown = [json.loads(line) for line in cups_file.open()]
    shown = [e for e in shown if e["event"] == "Shown"]
    assert len(rows) == len(shown)
    assert [(r["session"], r["time"]) for r in rows] == [(str(e["session"]), e["time"])
                                                         for e in shown]
    assert all(0.0 <= float(r["p_accept"]) <= 1.0 for r in rows)
    assert len({r["p_accept"] for r in rows}) > 5


def test_score_uses_only_the_past(cups_file: Path, model_dir: Path, tmp_path: Path) -> None:
    """Cutting the file after the 10th Shown event leaves the first 10 scores unchanged."""
    lines = cups_file.read_text().splitlines(keepends=True)
    shown_at = [i for i, line in enumerate(lines) if json.loads(line)["event"] == "Shown"]
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[: shown_at[10] + 1]))
    full_out, cut_out = tmp_path / "full.csv", tmp_path / "cut.csv"
    for src, dst in ((cups_file, full_out), (cut, cut_out)):
        r = tact("model", "score", "--format", "cups", str(src), "--out", str(dst),
                 "--model", str(model_dir))
        assert r.returncode == 0, r.stderr
    full = list(csv.DictReader(full_out.open()))
    part = list(csv.DictReader(cut_out.open()))
    assert len(part) == 11
    assert part == full[:11]


def _stage_features() -> tuple[dict[str, Any], dict[str, Any]]:
    """Stage-1 and stage-2 features of one decision, from the serving code path."""
    from tact.models.features import ProgrammerState, stage1_features, stage2_features

    f1 = stage1_features("def f(x):\n    return ", "\n", "python", ProgrammerState(), 5.0)
    f2 = stage2_features(f1, "def f(x):\n    return ", "\n", "python", "x + 1", -0.2, 3)
    return f1, f2


def _score_export(records: list[dict[str, Any]], model_dir: Path, tmp_path: Path
                  ) -> tuple[subprocess.CompletedProcess[str], list[dict[str, str]]]:
    """``tact model score --format tact`` on ``records`` written as an export file."""
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "preds.csv"
    r = tact("model", "score", "--format", "tact", str(export), "--out", str(out),
             "--model", str(model_dir))
    assert r.returncode == 0, r.stderr
    return r, list(csv.DictReader(out.open()))


def test_score_tact_export(model_dir: Path, tmp_path: Path) -> None:
    f1, f2 = _stage_features()
    records = [
        {"id": "a", "session": "s", "time": "2026-01-01T00:00:00Z", "stage": "shown",
         "outcome": "accepted", "features": f2},
        {"id": "b", "session": "s", "time": "2026-01-01T00:00:01Z", "stage": "skipped",
         "shown": False, "outcome": "unknown", "features": f1},
    ]
    r, rows = _score_export(records, model_dir, tmp_path)
    assert [row["id"] for row in rows] == ["a", "b"]
    assert 0 <= float(rows[0]["p_accept_before"]) <= 1 and 0 <= float(rows[0]["p_accept"]) <= 1
    assert rows[1]["p_accept"] == "" and rows[1]["p_accept_before"] != ""
    assert "warning" not in r.stderr  # features of the current schema: nothing to say


def test_score_tact_export_warns_on_old_features_and_leaves_fixes_to_the_fix_gate(
        model_dir: Path, tmp_path: Path) -> None:
    _, f2 = _stage_features()
    old = {k: v for k, v in f2.items() if k != sorted(f2)[0]}  # one feature short
    records = [
        {"id": "old", "session": "s", "time": "2026-01-01T00:00:00Z", "stage": "shown",
         "outcome": "accepted", "features": old},
        {"id": "fix", "session": "s", "time": "2026-01-01T00:00:01Z", "stage": "shown",
         "kind": "fix", "outcome": "accepted",
         "features": {"fix_edit_size": 1, "fix_operator": "insert ':'"}},
    ]
    r, scored = _score_export(records, model_dir, tmp_path)
    assert "1 of 2 decisions lack features" in r.stderr and sorted(f2)[0] in r.stderr
    rows = {row["id"]: row for row in scored}
    assert rows["old"]["p_accept"] != ""
    # the fix row is not scored by the completion gate; the packaged fix model scores it
    assert rows["fix"]["p_accept_before"] == ""
    assert 0 <= float(rows["fix"]["p_accept"]) <= 1


@pytest.mark.slow
def test_eval_writes_report_with_plots(cups_file: Path, model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    r = tact("model", "eval", "--cups", str(cups_file), "--model", str(model_dir),
             "--out", str(out))
    assert r.returncode == 0, r.stderr
    text = (out / "report.md").read_text()
    for heading in ("Operating points", "Stage 1", "Calibration", "Feature importance",
                    "without programmer-state"):
        assert heading in text
    for png in ("roc.png", "calibration.png", "hiding.png", "importance.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["folds"] == 4 and 0 <= summary["stage2_auc"] <= 1


def test_user_errors_are_one_line(tmp_path: Path, cups_file: Path) -> None:
    cases = [
        ("model", "train", "--out", str(tmp_path / "x")),
        ("model", "train", "--cups", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)),
        ("model", "score", "--format", "cups", str(cups_file), "--out", str(tmp_path / "p.csv"),
         "--model", str(tmp_path / "no-model")),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"session": 0, "event": "Shown"}\n')
    cases.append(("model", "train", "--cups", str(bad), "--out", str(tmp_path / "y")))
    for args in cases:
        r = tact(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("tact model: error:"), r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.slow
def test_train_with_replays_does_not_depend_on_replay_jobs(cups_file: Path, tmp_path: Path) -> None:
    """Replays run in parallel write one store each, read back in session order: the
    model is the same byte for byte with one replay at a time or several."""
    from tact import server as tact_server

    src = Path(tact_server.__file__).parent
    specs = [str(src / "replay"), str(src / "cli" / "model.py"), str(src / "cli" / "main.py")]
    outs = []
    for jobs in ("1", "3"):
        out = tmp_path / f"model-{jobs}"
        args = ["model", "train", "--cups", str(cups_file), "--out", str(out), "--folds", "3",
                "--models", "logreg", "--replay-decisions", "40", "--replay-files", "3",
                "--replay-jobs", jobs, "--fix-model", "off"]
        for spec in specs:
            args += ["--replay", spec]
        r = tact(*args)
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stderr.count("replaying ") == len(specs)
        outs.append(out)
    card = json.loads((outs[0] / "card.json").read_text())
    assert card["data"]["sessions"] == 4 + len(specs)
    for name in ("stage1.onnx", "stage2.onnx"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    bad = tact("model", "train", "--replay", "stdlib:no_such_package_here", "--out",
               str(tmp_path / "bad"))
    assert bad.returncode == 2 and "no such file or folder to replay" in bad.stderr
