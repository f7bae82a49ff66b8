"""Fit the syntax-repair ranker's weights (``server/fixes/data/syntax_ranker.json``).

Training data are single-token breaks (as in ``bench_fixes.py breaks``) of code that
is neither in the n-gram prior's training files nor in the benchmark: the packages
installed next to tact (site-packages, one half by a stable hash of the file name).
``--natural N`` adds N of the slips programmers make most (as in ``bench_fixes.py
natural``: a closer, ``:`` or ``,`` left out, an operator typed twice) of the same
code: uniform breaks alone teach the ranker that a stray word is the likeliest error
(a third of them insert a token of the function), and it then deletes ``name`` in
``def f(self name):`` rather than restore the comma a programmer actually left out.
For each break every compiling candidate's features are collected and labelled right
when the fixed code has the original's AST; a conditional logit (softmax over the
candidates of one break, L2-regularised) gives the weights of the linear score.

``--named N`` adds N breaks of the kinds issue 4 names (as in ``bench_fixes.py named``:
a ``:``, ``)``, ``]``, quote or comma left out, indentation, a stray token, ``=`` for
``==``), the same code again.

``--only`` fits a few weights (features added since the last full fit) with every other
weight held at the shipped value, and ``--write`` records them as the weights file's
``adjustments``: a full refit moves every weight and must be checked on every dev set;
this one changes only what the new evidence says.

Each cached group is ``[features, labels, "break" | "natural" | "named"]``;
``--natural-weight`` and ``--named-weight`` make such a group count more than a uniform
break's (groups without the third field count as breaks).

Usage: ``python benchmarks/train_syntax_ranker.py [--breaks N] [--in-file-share F]
[--natural N] [--named N] [--cache FILE.jsonl]... [--natural-weight W]
[--named-weight W] [--hint 1]
[--only FEATURE,... [--why TEXT]]
[--drop PREFIX,...] [--trained-on TEXT] [--write]``
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fixes import _same_ast, make_breaks, make_named_breaks, make_natural_breaks
from tact.server.fixes.lexer import site_files
from tact.server.fixes.syntax import ranker, syntax_fixes


def training_files(limit: int = 600) -> list[Path]:
    """Third-party modules of the half the prior does not train on."""
    return site_files(1, limit)


BREAK, NATURAL, NAMED = "break", "natural", "named"  # where a group came from (third field)
Group = tuple[list[dict[str, float]], list[bool], str]


def collect(n: int, seed: int, in_file_share: float = 0.5,
            sink: Path | None = None, natural: int = 0, named: int = 0) -> list[Group]:
    """Candidate features and labels of ``n`` breaks (``in_file_share`` of them inside
    their whole files, which are slower to repair), ``natural`` slips and ``named`` breaks
    of issue 4's kinds. With ``sink``, each group is also appended to that JSON-lines
    file as it comes (a long run can be stopped and the groups so far still fitted)."""
    files = training_files()
    n_in = round(n * in_file_share)
    cases = make_breaks(n - n_in, seed=seed, in_file=False, files=files, humanevalfix=False)
    cases += make_breaks(n_in, seed=seed, in_file=True, files=files, humanevalfix=False)
    n_breaks = len(cases)
    cases += make_natural_breaks(natural, seed=seed, files=files)
    n_natural = len(cases)
    cases += make_named_breaks(named, seed=seed, files=files)
    groups = []
    t0 = time.perf_counter()
    out = sink.open("a", encoding="utf-8") if sink else None
    for k, (orig, broken, _kind) in enumerate(cases):
        got: list[tuple[dict[str, float], str]] = []
        syntax_fixes(broken, max_fixes=1, collect=got)
        labels = [_same_ast(new, orig) for _, new in got]
        if any(labels) and len(got) > 1:
            groups.append(([f for f, _ in got], labels, BREAK if k < n_breaks
                           else NATURAL if k < n_natural else NAMED))
            if out:
                out.write(json.dumps(groups[-1]) + "\n")
                out.flush()
        if k % 100 == 0:
            print(f"{k}/{len(cases)} {time.perf_counter() - t0:.0f}s", flush=True)
    if out:
        out.close()
    return groups


def fit(groups: list[Group], l2: float, fixed: dict[str, float] | None = None,
        natural_weight: float = 1.0, named_weight: float = 1.0) -> dict[str, float]:
    """Conditional-logit weights; ``fixed`` features keep the given weight (the
    compiler's explicit hints are trusted more than a few hundred random breaks show).
    A natural slip's group counts ``natural_weight`` times a uniform break's, a named
    break's ``named_weight`` times."""
    fixed = fixed or {}
    names = sorted({k for fs, *_ in groups for f in fs for k in f} - set(fixed))
    idx = {k: i for i, k in enumerate(names)}
    source_weight = {NATURAL: natural_weight, NAMED: named_weight}
    gw = np.array([source_weight.get(g[2], 1.0) if len(g) > 2 else 1.0 for g in groups])
    gw = gw / gw.sum()
    mats = []
    for fs, labels, *_ in groups:
        x = np.zeros((len(fs), len(names)))
        off = np.zeros(len(fs))
        for r, f in enumerate(fs):
            for k, v in f.items():
                if k in fixed:
                    off[r] += fixed[k] * v
                else:
                    x[r, idx[k]] = v
        mats.append((x, np.array(labels, dtype=bool), off))
    shipped = ranker.ranker_weights()  # the start, and the number to beat
    w0 = np.array([shipped.get(k, 0.0) for k in names])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total = l2 * float(w @ w) / len(mats)
        grad = 2 * l2 * w / len(mats)
        for (x, pos, off), g in zip(mats, gw, strict=True):
            s = x @ w + off
            m = s.max()
            p = np.exp(s - m)
            z = p.sum()
            zp = p[pos].sum()
            total -= g * (math.log(zp) - math.log(z))
            grad -= g * ((p[pos] @ x[pos]) / zp - (p @ x) / z)
        return total, grad

    res = minimize(loss, w0, jac=True, method="L-BFGS-B")
    w = res.x
    top1 = sum(bool(pos[int(np.argmax(x @ w + off))]) for x, pos, off in mats)
    top0 = sum(bool(pos[int(np.argmax(x @ w0 + off))]) for x, pos, off in mats)
    print(f"groups={len(mats)} top-1 with the shipped weights {top0 / len(mats):.1%}, "
          f"fitted {top1 / len(mats):.1%} (loss {res.fun:.3f})")
    return {**fixed, **{k: round(float(v), 4) for k, v in zip(names, w, strict=True)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--breaks", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--in-file-share", type=float, default=0.5,
                    help="share of the breaks made inside their whole files")
    ap.add_argument("--natural", type=int, default=0,
                    help="also this many natural slips (left-out closer, colon or comma; "
                    "doubled operator) of the same code")
    ap.add_argument("--named", type=int, default=0,
                    help="also this many breaks of the kinds issue 4 names (bench_fixes.py "
                    "named) of the same code")
    ap.add_argument("--l2", type=float, default=0.01)
    ap.add_argument("--hint", type=float, default=None,
                    help="fix the weight of the compiler-hint feature instead of fitting it")
    ap.add_argument("--cache", type=Path, action="append",
                    help="reuse collected features (several files: all of them), or save "
                    "them as they come to the one file given (JSON lines)")
    ap.add_argument("--natural-weight", type=float, default=1.0,
                    help="weight of a natural slip's group against a uniform break's")
    ap.add_argument("--named-weight", type=float, default=1.0,
                    help="weight of a named break's group against a uniform break's")
    ap.add_argument("--trained-on", default=None,
                    help="the recipe, written into the weights file")
    ap.add_argument("--drop", default="",
                    help="comma-separated feature-name prefixes left out (ablation)")
    ap.add_argument("--only", default="",
                    help="comma-separated feature names: fit these alone, every other weight "
                    "held at the shipped (adjusted) value; --write then records them as "
                    "the weights file's adjustments")
    ap.add_argument("--why", default="",
                    help="with --only --write: the reason, appended to the adjustments' why")
    ap.add_argument("--write", action="store_true", help="write the shipped weights file")
    ap.add_argument("--out", type=Path, help="write the weights to this file instead")
    args = ap.parse_args()
    caches = args.cache or []
    if caches and all(c.exists() for c in caches):
        groups = [json.loads(x) for c in caches for x in c.read_text().splitlines()
                  if x.strip()]
    elif len(caches) > 1:
        ap.error("several --cache files are read, never written: "
                 + ", ".join(str(c) for c in caches if not c.exists()) + " missing")
    else:
        groups = collect(args.breaks, args.seed, args.in_file_share,
                         caches[0] if caches else None, args.natural, args.named)
    drop = tuple(x for x in args.drop.split(",") if x)
    if drop:
        groups = [([{k: v for k, v in f.items() if not k.startswith(drop)} for f in fs],
                   labels, *rest) for fs, labels, *rest in groups]
    only = [x for x in args.only.split(",") if x]
    if only:
        write_adjustments(groups, only, args)
        return
    weights = fit(groups, args.l2, None if args.hint is None else {"hint": args.hint},
                  natural_weight=args.natural_weight, named_weight=args.named_weight)
    for k, v in sorted(weights.items(), key=lambda kv: -abs(kv[1])):
        print(f"  {k:>14} {v:+.3f}")
    if args.write or args.out:
        target = args.out or ranker.RANKER_FILE
        old = json.loads(target.read_text()) if target.exists() else {}
        if old.get("adjustments"):
            print(f"note: the adjustments in {target} ({old['adjustments'].get('why', '')}) "
                  "are not carried over: measure the new fit on the dev seeds and add "
                  "them again if they still help")
        target.write_text(json.dumps(
            {"trained_on": args.trained_on or f"{len(groups)} breaks of site-packages "
             f"code with the original among several candidates (seed {args.seed})",
             "weights": weights}, indent=1, sort_keys=True) + "\n")
        print(f"wrote {target}")


def write_adjustments(groups: list[Group], only: list[str], args: argparse.Namespace) -> None:
    """Fit the weights of ``only`` with every other weight held at the shipped value
    (features added after the last full fit, weighed by the same kind of data rather
    than by hand) and, with ``--write``/``--out``, record each as an adjustment."""
    shipped = ranker.ranker_weights()
    held = {k: v for k, v in shipped.items() if k not in only}
    names = {k for fs, *_ in groups for f in fs for k in f}
    held.update({k: 0.0 for k in names - set(only) - set(held)})
    weights = fit(groups, args.l2, held, natural_weight=args.natural_weight,
                  named_weight=args.named_weight)
    for k in only:
        print(f"  {k:>14} {shipped.get(k, 0.0):+.3f} -> {weights.get(k, 0.0):+.3f}")
    if not (args.write or args.out):
        return
    target = args.out or ranker.RANKER_FILE
    data = json.loads(ranker.RANKER_FILE.read_text())
    base = data["weights"]
    adjustments = data.setdefault("adjustments", {})
    add = adjustments.setdefault("add", {})
    for k in only:
        adjustments.get("scale", {}).pop(k, None)
        add[k] = round(weights.get(k, 0.0) - base.get(k, 0.0), 4)
    if args.why:
        adjustments["why"] = (adjustments.get("why", "") + "; " + args.why).lstrip("; ")
    target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
