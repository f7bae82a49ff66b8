"""A first fix-gate model, before any user: fix telemetry from judged benchmark fixes.

No programmer has applied a tact fix yet, so the first labels come from benchmarks
where "would a programmer apply it" has a stand-in: *is the fix right*, judged exactly
as ``benchmarks/bench_fixes.py`` judges it (HumanEvalFix: passes every assert, hidden
ones included, and agrees with the canonical solution on generated inputs; single-token
syntax breaks: the fixed code has the original's AST). Every fix the fixer offers (up
to 3 per problem, as in the editor) becomes a ``Decision(kind="fix")`` built by the
server's own code (``tact.server.fixes.gating.fix_decision``, features from
``tact.models.features.fix``), outcome ``accepted`` if right, ``rejected`` if not. One
session per task (HumanEvalFix task id, or the broken document), so validation by
session is validation on unseen tasks.

Usage::

    python benchmarks/bench_fix_gate.py produce --telemetry sqlite:///fixgate.db
    python benchmarks/bench_fix_gate.py evaluate --telemetry sqlite:///fixgate.db
    tact model train --telemetry sqlite:///fixgate.db --fix-model only --out DIR
    python benchmarks/bench_fix_gate.py latency        # one decision, in-process

``evaluate`` is nested validation by task (each held-out task scored by a model and a
threshold trained without it) and prints, per threshold rule, the share of shown fixes
that are right before and after the gate and the share of right fixes it hides.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fixes import (  # the judging code is shared, not copied
    DATA,
    _judge,
    _same_ast,
    _test_file,
    check_helpers,
    make_breaks,
    split_check,
)


def _h(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _decisions(fixes: list, labels: list[bool], session: str, doc: str, precision: str,
               source: str) -> list:
    from tact.server.fixes.gating import FixGate, fix_decision
    from tact.telemetry.records import Outcome

    gate = FixGate()  # no model: features only, every fix shown
    out = []
    now = time.time()
    for rank, (fix, ok) in enumerate(zip(fixes, labels, strict=True)):
        verdict = gate.decide(fix, rank=rank, siblings=fixes, precision=precision,
                              gate_settings=None, rng=None)  # type: ignore[arg-type]
        fid = "fixgate-" + _h(f"{session}|{doc}|{precision}|{rank}|{fix.fixed_source}")
        out.append(fix_decision(fid, session, fix, verdict, document_hash=doc, when=now,
                                source=source,
                                outcome=Outcome.ACCEPTED if ok else Outcome.REJECTED))
    return out


def produce_humanevalfix(precisions: list[str], limit: int, timeout: float,
                         strides: list[int]) -> list:
    """Every ``stride``-th assert of ``check`` is visible to the fixer (2 = as in
    bench_fixes.py; 3 = fewer tests, weaker validation, more wrong fixes); the judge
    always uses all of them. One session per task, whatever the stride and precision."""
    from tact.server.fixes.repair import repair_file

    rows = [json.loads(x) for x in
            (DATA / "humanevalfix" / "tasks.jsonl").read_text().splitlines()][:limit]
    out = []
    for row in rows:
        entry = row["entry_point"]
        bodies, param = split_check(row["test"], entry)
        helpers = check_helpers(row["test"])
        buggy = row["declaration"] + row["buggy_solution"]
        for stride, precision in [(st, pr) for st in strides for pr in precisions]:
            visible = bodies[::stride] if len(bodies) > 1 else bodies
            with tempfile.TemporaryDirectory() as tmp:
                d = Path(tmp)
                (d / "buggy.py").write_text(buggy)
                (d / "test_buggy.py").write_text(_test_file(entry, param, visible, helpers))
                result = repair_file(d / "buggy.py", [d / "test_buggy.py"],
                                     precision=precision, timeout=timeout, max_fixes=3)
            labels = [_judge(f.fixed_source, row, bodies, param, helpers, timeout)
                      for f in result.fixes]
            out += _decisions(result.fixes, labels, f"hef:{row['task_id']}",
                              _h(f"{buggy}|{precision}|{stride}"), precision,
                              "fixbench-humanevalfix")
        print(f"  {row['task_id']}: {len(out)} fix decisions so far", file=sys.stderr,
              flush=True)
    return out


def produce_breaks(n: int, n_in_file: int, seeds: list[int]) -> list:
    from tact.server.fixes.syntax import syntax_fixes

    out = []
    for seed in seeds:
        for in_file in (False, True):
            count = n_in_file if in_file else n
            if count <= 0:
                continue
            for orig, broken, _kind in make_breaks(count, seed=seed, in_file=in_file):
                fixes = syntax_fixes(broken, precision="standard", max_fixes=3)
                labels = [_same_ast(f.fixed_source, orig) for f in fixes]
                out += _decisions(fixes, labels, f"syn:{_h(orig)}", _h(broken), "standard",
                                  "fixbench-syntax")
            print(f"  breaks seed {seed} in_file={in_file}: {len(out)} fix decisions",
                  file=sys.stderr, flush=True)
    return out


def cmd_produce(args: argparse.Namespace) -> None:
    from tact.telemetry.store import open_store

    t0 = time.perf_counter()
    decisions: list = []
    # Each part is written as soon as it is done: a long run keeps what it finished.
    if args.breaks:
        part = produce_breaks(args.breaks, args.in_file_breaks, args.seeds)
        with open_store(args.telemetry) as store:
            store.record_many(part)
        decisions += part
    if args.humanevalfix:
        part = produce_humanevalfix(args.precisions, args.limit, args.timeout, args.strides)
        with open_store(args.telemetry) as store:
            store.record_many(part)
        decisions += part
    right = sum(d.outcome.value == "accepted" for d in decisions)
    print(f"{len(decisions)} fix decisions ({right} right) from "
          f"{len({d.session for d in decisions})} tasks written to {args.telemetry} "
          f"in {time.perf_counter() - t0:.0f} s")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from tact.models.evaluation.metrics import utility_threshold
    from tact.models.gate.fixes import gate_effect, load_fix_data, nested_scores

    data = load_fix_data(args.telemetry)
    print(f"{len(data)} labelled fix decisions, {int(data.y.sum())} right, "
          f"{len(set(data.groups.tolist()))} tasks; nested {args.folds}-fold validation "
          "by task")
    kinds = sorted({str(f.get("fix_kind")) for f in data.features})
    scores = nested_scores(data, args.budgets, args.folds, args.seed)
    for kind in [None, *kinds]:
        idx = np.arange(len(data)) if kind is None else np.array(
            [i for i, f in enumerate(data.features) if f.get("fix_kind") == kind])
        sub = data.subset(idx)
        sub_scores = type(scores)(scores.p[idx], {b: t[idx] for b, t in
                                                  scores.budget_thresholds.items()},
                                  scores.folds, scores.folds_with_model)
        print(f"\n## {kind or 'all fixes'} ({len(sub)} fixes; one model for all kinds)")
        print("| rule | held-out AUC | shown | right among shown (before -> after) | right "
              "hidden | wrong hidden | first fix right (before -> after) | problems with "
              "a fix shown | problems with a right fix shown |")
        print("|---|---|---|---|---|---|---|---|---|")
        rows = [gate_effect(sub, sub_scores, utility_threshold(1.0, c),
                            f"utility, cost {c:g} (p < {utility_threshold(1.0, c):.3f})")
                for c in args.costs]
        rows += [gate_effect(sub, sub_scores, sub_scores.budget_thresholds[b],
                             f"max {b:g}% of right hidden (inner validation)")
                 for b in args.budgets]
        for r in rows:
            auc = "n/a" if r["held_out_auc"] is None else f"{r['held_out_auc']:.3f}"
            after = r["right_share_after"]
            print(f"| {r['rule']} | {auc} | {r['shown']}/{r['fixes']} | "
                  f"{r['right_share_before']:.1%} -> "
                  f"{'n/a' if after is None else f'{after:.1%}'} | "
                  f"{r['right_hidden_percent']:.1f}% | {r['wrong_hidden_percent']:.1f}% | "
                  f"{r['first_fix_precision_before']:.1%} -> "
                  f"{r['first_fix_precision_after']:.1%} | "
                  f"{r['problems_with_a_fix_shown_after']}/{r['problems']} | "
                  f"{r['problems_with_a_right_fix']} -> "
                  f"{r['problems_with_a_right_fix_shown_after']} |")


def cmd_latency(args: argparse.Namespace) -> None:
    """In-process cost of one fix decision (features + onnxruntime + policy)."""
    import random
    import statistics

    from tact.server.fixes.gating import FixGate
    from tact.server.fixes.syntax import syntax_fixes

    gate = FixGate()
    if not gate.refresh(args.model):
        raise SystemExit(f"no fix model in {args.model or 'the packaged default'}")
    fixes = syntax_fixes("x = [1, 2\nprint(x)\n", max_fixes=3)

    class Settings:
        enabled, mode, benefit, cost = True, "utility", 1.0, 0.2
        max_accepted_hidden_percent, exploration = 5.0, 0.05

    rng = random.Random(0)
    times = []
    for i in range(args.n):
        rank = i % len(fixes)
        t0 = time.perf_counter()
        gate.decide(fixes[rank], rank=rank, siblings=fixes, precision="standard",
                    gate_settings=Settings, rng=rng)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"fix gate decision ({gate.model.version}), {args.n} decisions: "
          f"p50 {statistics.median(times) * 1e6:.0f} us, "
          f"p99 {times[int(0.99 * len(times))] * 1e6:.0f} us")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("produce", help="run the fixer on benchmarks, judge, write telemetry")
    p.add_argument("--telemetry", required=True, metavar="URL")
    p.add_argument("--breaks", type=int, default=250,
                   help="single-token breaks of functions alone, per seed")
    p.add_argument("--in-file-breaks", type=int, default=50,
                   help="breaks of functions inside their whole file, per seed (slower)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    p.add_argument("--no-humanevalfix", dest="humanevalfix", action="store_false")
    p.add_argument("--precisions", nargs="+", default=["standard", "lenient"])
    p.add_argument("--limit", type=int, default=10**6, help="HumanEvalFix tasks")
    p.add_argument("--strides", type=int, nargs="+", default=[2],
                   help="HumanEvalFix: the fixer sees every N-th assert (2 as in bench_fixes)")
    p.add_argument("--timeout", type=float, default=2.0)
    p.set_defaults(func=cmd_produce)
    e = sub.add_parser("evaluate", help="nested validation by task of the fix gate")
    e.add_argument("--telemetry", required=True, action="append", metavar="URL",
                   help="telemetry store URL; repeatable")
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--costs", type=float, nargs="*", default=[0.2, 0.5, 1.0],
                   help="utility rule costs (benefit 1)")
    e.add_argument("--budgets", type=float, nargs="*", default=[5.0, 10.0],
                   help="max %% of right fixes hidden (inner validation)")
    e.set_defaults(func=cmd_evaluate)
    la = sub.add_parser("latency", help="time one fix gate decision (in-process)")
    la.add_argument("--model", default=None, metavar="DIR",
                    help="model directory with a fix model (default: the packaged one)")
    la.add_argument("-n", type=int, default=10_000)
    la.set_defaults(func=cmd_latency)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
