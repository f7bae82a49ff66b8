"""Benchmark the acceptance gate: decision latency, feature cost, training time.

    .venv/bin/python benchmarks/bench_gate.py [--decisions 10000] [--train-rows 100000]

1. Gate decision latency, in-process: for each of N decisions, vectorize the feature
   dict and run the ONNX model (stage 1 and stage 2 separately), p50/p99.
   Target: p99 <= 0.2 ms per decision.
2. Feature cost on a 5,000-line Python document (context + state + suggestion
   features at random cursors), p50/p99.
3. Training time on synthetic-but-realistic decisions: rows resampled from the CUPS
   data's real feature vectors with jitter, spread over 200 sessions; both stages,
   both candidates, session folds, calibration and ONNX export. Target <= 30 s.

Features come from ../shared/data/cups when present, else from synthetic sessions.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CUPS = ROOT.parent / "shared" / "data" / "cups" / "sessions.jsonl"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1e3, q))


def base_dataset():
    from tact.models.gate.data import from_cups

    if CUPS.is_file():
        return from_cups(CUPS), "CUPS"
    from tact.models.evaluation.synthetic import synthetic_cups_events

    path = Path(tempfile.mkdtemp()) / "synthetic.jsonl"
    events = synthetic_cups_events(n_sessions=10, decisions_per_session=80)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return from_cups(path), "synthetic sessions"


def bench_latency(model, rows: list[dict], n: int) -> dict[str, float]:
    rng = random.Random(0)
    picks = [rows[rng.randrange(len(rows))] for _ in range(n)]
    for f in picks[:200]:  # warm up
        model.predict_stage2(f)
    out = {}
    for stage in (1, 2):
        times = []
        for f in picks:
            t0 = time.perf_counter()
            model.predict(f, stage)
            times.append(time.perf_counter() - t0)
        out[f"stage{stage}_p50_ms"] = pct(times, 50)
        out[f"stage{stage}_p99_ms"] = pct(times, 99)
    return out


def bench_features(n: int = 2000) -> dict[str, float]:
    from tact.models.features import ProgrammerState, stage1_features, stage2_features

    mods = ("argparse", "typing", "inspect", "dataclasses")
    src = "".join(Path(inspect.getsourcefile(__import__(m)) or "").read_text() for m in mods)
    doc = "".join(src.splitlines(keepends=True)[:5000])
    rng = random.Random(1)
    state = ProgrammerState()
    for i in range(100):
        state.observe_edit(i * 0.2, 1, 0)
    t1, t2 = [], []
    for _ in range(n):
        c = rng.randrange(len(doc))
        pre, suf = doc[:c], doc[c:]
        text = doc[c : c + rng.randrange(5, 80)]
        a = time.perf_counter()
        f1 = stage1_features(pre, suf, "python", state, 30.0)
        b = time.perf_counter()
        stage2_features(f1, pre, suf, "python", text, -0.5, 10)
        t1.append(b - a)
        t2.append(time.perf_counter() - b)
    return {
        "doc_lines": doc.count("\n"),
        "stage1_features_p50_ms": pct(t1, 50),
        "stage1_features_p99_ms": pct(t1, 99),
        "stage2_features_p50_ms": pct(t2, 50),
        "stage2_features_p99_ms": pct(t2, 99),
    }


def bench_training(base, n: int) -> dict[str, float]:
    from tact.models.evaluation.synthetic import bootstrap_dataset
    from tact.models.gate.modeldir import save_model
    from tact.models.gate.train import GateTrainer

    data = bootstrap_dataset(base, n, n_sessions=200, seed=0)
    t0 = time.perf_counter()
    trained = GateTrainer().fit(data)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        save_model(trained, tmp)
    t2 = time.perf_counter()
    return {
        "rows": n,
        "fit_seconds": t1 - t0,
        "export_seconds": t2 - t1,
        "total_seconds": t2 - t0,
        "stage2_model": trained.stages[2].model.name,
        "folds": trained.training["folds"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=10_000)
    ap.add_argument("--train-rows", type=int, default=100_000)
    ap.add_argument("--skip-training", action="store_true")
    args = ap.parse_args(argv)

    import os

    from tact.models.gate import GateModel

    base, what = base_dataset()
    model = GateModel.load()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"model {model.version}; features from {what} ({len(base)} decisions); "
          f"{os.cpu_count()} cores, load average {load:.1f} (timings scale with it)")
    lat = bench_latency(model, base.features, args.decisions)
    print(f"gate decision latency over {args.decisions} decisions (vectorize + onnxruntime):")
    for stage in (1, 2):
        p50, p99 = lat[f"stage{stage}_p50_ms"], lat[f"stage{stage}_p99_ms"]
        ok = "OK" if p99 <= 0.2 else "over target"
        print(f"  stage {stage}: p50 {p50:.3f} ms  p99 {p99:.3f} ms  (target p99 <= 0.2 ms: {ok})")
    feats = bench_features()
    print(f"feature computation on a {feats['doc_lines']}-line Python document:")
    print(f"  stage-1 features p50 {feats['stage1_features_p50_ms']:.3f} ms  "
          f"p99 {feats['stage1_features_p99_ms']:.3f} ms")
    print(f"  stage-2 features p50 {feats['stage2_features_p50_ms']:.3f} ms  "
          f"p99 {feats['stage2_features_p99_ms']:.3f} ms")
    if not args.skip_training:
        tr = bench_training(base, args.train_rows)
        ok = "OK" if tr["total_seconds"] <= 30 else "over target"
        print(f"training on {tr['rows']} decisions ({tr['folds']} session folds, 2 stages, "
              f"logreg+hgb): fit {tr['fit_seconds']:.1f} s + ONNX export "
              f"{tr['export_seconds']:.1f} s = {tr['total_seconds']:.1f} s "
              f"(target <= 30 s: {ok})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
