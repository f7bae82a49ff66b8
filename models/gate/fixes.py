"""The fix gate: P(applied) of a validated quick fix, trained on fix telemetry.

Validation makes a fix *possible* (it compiles, the failing tests pass), not *right*:
a syntax error often has several one-token repairs that compile, and a failing test
several edits that flip it. The programmer's own choices say which kinds of fix are
worth showing. Every fix the server offers is a ``Decision(kind="fix")`` whose
features come from :mod:`tact.models.features.fix` and whose outcome is ``accepted``
(applied) or ``rejected`` (replaced by a newer diagnosis without being applied). This
module learns P(applied) from those, the same way as the completion gate:

- split by session (never one session on both sides), logistic regression and
  gradient boosting compared by out-of-fold AUC, Platt calibration on out-of-fold
  log-odds, inverse-propensity weights for decisions shown only by exploration;
- exported to ONNX (``fix.onnx``) with its own card (``fix_card.json``) in the same
  model directory as the completion gate's files, which it leaves alone;
- :class:`FixModel` loads them with onnxruntime, refusing a bad directory with a
  one-line :class:`ModelLoadError` (the server then shows every validated fix).

:func:`evaluate_fix_gate` answers "does the gate help" honestly: nested, by session,
each held-out session scored by a model (and threshold) trained without it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tact.models.evaluation import metrics
from tact.models.features.fix import FIX_SCHEMA, FixFeatureSchema
from tact.models.gate.data import decision_label, ipw_weight
from tact.models.gate.errors import TrainingError
from tact.models.gate.estimators import (
    INPUT_NAME,
    OUTPUT_NAME,
    CalibratedGate,
    apply_platt,
    fit_estimator,
    fit_platt,
    make_estimator,
)
from tact.models.gate.fix_runtime import (
    FIX_CARD_FILE,
    FIX_CARD_FORMAT,
    FIX_CARD_FORMAT_VERSION,
    FIX_MODEL_FILE,
    FixModel,
    has_fix_model,
)
from tact.models.gate.modeldir import _atomic_write, library_versions
from tact.models.gate.thresholds import threshold_within
from tact.models.gate.train import BUDGETS, group_folds, oof_predictions
from tact.telemetry.records import Decision
from threadpoolctl import threadpool_limits

# Below this, a fix model is not trained: too few labels to validate by session.
MIN_FIX_DECISIONS = 30
MIN_PER_CLASS = 5
DEFAULT_BENEFIT = 1.0
DEFAULT_COST = 0.2
# A fix record is featurized by the fix schema if it has these.
_MARKERS = ("fix_kind", "fix_family")
# Computed and logged, but blanked for the model by default: the syntax ranker's score
# is on whatever scale the fixer's current version uses (it changes when the ranking
# changes), so a model trained on one version's scores would misread another's, and
# telemetry spans versions. Measured on the benchmark fix telemetry (nested, by task):
# held-out AUC 0.889 with them, 0.861 without, the same share of right fixes hidden.
DEFAULT_FIX_EXCLUDED = ("fix_score", "fix_score_margin", "fix_has_score")


@dataclass
class FixDataset:
    """Labelled fix decisions: features, label (1 = applied), session group, IPW weight,
    and a problem key (session, document, fix kind) for per-problem metrics."""

    features: list[dict[str, Any]]
    y: np.ndarray
    groups: np.ndarray
    weights: np.ndarray
    ids: list[str]
    problems: list[str]
    skipped: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index: np.ndarray) -> FixDataset:
        idx = np.asarray(index)
        return FixDataset([self.features[i] for i in idx], self.y[idx], self.groups[idx],
                          self.weights[idx], [self.ids[i] for i in idx],
                          [self.problems[i] for i in idx])

    def matrix(self, schema: FixFeatureSchema = FIX_SCHEMA) -> np.ndarray:
        cache = self.__dict__.setdefault("_matrix", {})
        if schema.version not in cache:
            cache[schema.version] = schema.vectorize_many(self.features)
        return cache[schema.version]

    def summary(self) -> dict[str, Any]:
        n = len(self)
        kinds = Counter(str(f.get("fix_kind")) for f in self.features)
        return {"decisions": n, "applied": int(self.y.sum()),
                "applied_rate": round(float(self.y.mean()), 4) if n else None,
                "sessions": len(set(self.groups.tolist())), "kinds": dict(kinds),
                "explored": int((self.weights != 1.0).sum()), "skipped": dict(self.skipped)}


def blank_features(X: np.ndarray, names: Sequence[str],
                   schema: FixFeatureSchema = FIX_SCHEMA) -> np.ndarray:
    """``X`` with the columns of the named features zeroed (a copy): a column constant
    in training gets no split and no weight, so the exported model ignores it."""
    names = set(names)
    per_column = [spec.name for spec in schema.specs for _ in spec.columns]
    cols = [j for j, name in enumerate(per_column) if name in names]
    if not cols:
        return X
    X = X.copy()
    X[:, cols] = 0.0
    return X


def fix_label(d: Decision) -> int | None:
    """1 applied, 0 shown and not applied, None when it says nothing (hidden, pending)."""
    return decision_label(d)


def fix_dataset(decisions: Iterable[Decision]) -> FixDataset:
    """The labelled, featurized ``kind="fix"`` decisions among ``decisions``."""
    feats, ys, groups, weights, ids, problems = [], [], [], [], [], []
    skipped: Counter[str] = Counter()
    for d in decisions:
        if d.kind != "fix":
            continue
        y = fix_label(d)
        if y is None:
            skipped["hidden" if not d.shown else f"outcome {d.outcome.value}"] += 1
            continue
        if not all(m in d.features for m in _MARKERS):
            skipped["no fix features"] += 1
            continue
        feats.append(dict(d.features))
        ys.append(y)
        groups.append(d.session)
        weights.append(ipw_weight(d))
        ids.append(d.id)
        problems.append(f"{d.session}|{d.document_hash}|{d.features.get('fix_kind')}")
    return FixDataset(feats, np.asarray(ys, dtype=np.int64),
                      np.asarray(groups, dtype=object).astype(str),
                      np.asarray(weights, dtype=np.float64), ids, problems, skipped)


def load_fix_data(telemetry: Sequence[str] = (), exports: Sequence[str] = ()) -> FixDataset:
    """Labelled fix decisions of telemetry stores (URLs) and JSONL exports."""
    from tact.telemetry.export import read_export
    from tact.telemetry.store import open_store

    parts: list[Decision] = []
    for url in telemetry:
        with open_store(url, create=False) as store:
            parts.extend(d for d in store.iter_decisions() if d.kind == "fix")
    for path in exports:
        parts.extend(d for d in read_export(path) if d.kind == "fix")
    return fix_dataset(parts)


def not_enough(data: FixDataset, min_decisions: int = MIN_FIX_DECISIONS,
               min_per_class: int = MIN_PER_CLASS) -> str | None:
    """Why ``data`` cannot train a fix model (None if it can)."""
    n, pos = len(data), int(data.y.sum()) if len(data) else 0
    if n < min_decisions or min(pos, n - pos) < min_per_class:
        return (f"{n} labelled fix decisions ({pos} applied, {n - pos} not); need at least "
                f"{min_decisions} with {min_per_class} of each")
    if len(set(data.groups.tolist())) < 2:
        return "fix decisions come from one session; need at least 2 to validate by session"
    return None


# ------------------------------------------------------------------------------ training


@dataclass
class TrainedFixModel:
    """The calibrated model and what validation said about it (for the card)."""

    model: CalibratedGate
    candidates: dict[str, dict[str, Any]]
    validation: dict[str, Any]
    operating_points: list[dict[str, float]]
    oof: np.ndarray  # calibrated out-of-fold P(applied), aligned with the data
    data_summary: dict[str, Any]
    training: dict[str, Any]
    y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)

    def threshold_for(self, max_accepted_hidden_percent: float) -> float:
        return threshold_within(self.operating_points, max_accepted_hidden_percent)


class FixTrainer:
    """Trains the fix gate (see module doc). Parameters follow scikit-learn style;
    ``fit`` returns a :class:`TrainedFixModel` and keeps no state."""

    def __init__(self, candidates: Sequence[str] = ("logreg", "hgb"), n_splits: int = 5,
                 seed: int = 0, min_decisions: int = MIN_FIX_DECISIONS,
                 min_per_class: int = MIN_PER_CLASS, n_threads: int = 1,
                 exclude_features: Sequence[str] = DEFAULT_FIX_EXCLUDED) -> None:
        self.exclude_features = tuple(exclude_features)
        self.candidates = tuple(candidates)
        self.n_splits = n_splits
        self.seed = seed
        self.min_decisions = min_decisions
        self.min_per_class = min_per_class
        self.n_threads = n_threads

    def fit(self, data: FixDataset) -> TrainedFixModel:
        why = not_enough(data, self.min_decisions, self.min_per_class)
        if why:
            raise TrainingError(f"cannot train the fix model: {why}")
        unknown = set(self.exclude_features) - set(FIX_SCHEMA.names)
        if unknown:
            raise TrainingError(f"unknown fix feature(s) to exclude: {', '.join(sorted(unknown))}")
        t0 = time.perf_counter()
        X, y, w = blank_features(data.matrix(), self.exclude_features), data.y, data.weights
        folds = group_folds(data.groups, self.n_splits, self.seed)
        results: dict[str, dict[str, Any]] = {}
        oofs: dict[str, np.ndarray] = {}
        with threadpool_limits(self.n_threads):
            for name in self.candidates:
                oofs[name] = oof_predictions(name, X, y, w, folds, self.seed)
                results[name] = {"auc": metrics.auc(y, oofs[name], w)}
            best = max(self.candidates,
                       key=lambda n: (results[n]["auc"] or 0.0, -self.candidates.index(n)))
            a, b = fit_platt(oofs[best], y, w)
            base = fit_estimator(make_estimator(best, self.seed), X, y, w)
        p_val = apply_platt(oofs[best], a, b)
        ops = [{"max_accepted_hidden_percent": budget,
                **metrics.operating_point(y, p_val, budget, w).to_dict()} for budget in BUDGETS]
        return TrainedFixModel(
            model=CalibratedGate(base=base, a=a, b=b, name=best), candidates=results,
            validation=metrics.summary(y, p_val, w), operating_points=ops, oof=p_val,
            data_summary=data.summary(),
            training={"candidates": list(self.candidates), "folds": len(folds),
                      "split": "GroupKFold by session (shuffled)", "seed": self.seed,
                      "calibration": "platt on out-of-fold log-odds",
                      "ipw": "sample weight 1/propensity for explored decisions",
                      "excluded_features": list(self.exclude_features),
                      "seconds": round(time.perf_counter() - t0, 2)},
            y=y, weights=w)


def save_fix_model(trained: TrainedFixModel, out_dir: str | Path, *,
                   benefit: float = DEFAULT_BENEFIT, cost: float = DEFAULT_COST,
                   notes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write ``fix.onnx`` and ``fix_card.json`` (card last, both atomically) into
    ``out_dir``; the completion gate's files there are not touched. Returns the card."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    blob = trained.model.to_onnx(FIX_SCHEMA.width).SerializeToString()
    sha = hashlib.sha256(blob).hexdigest()
    now = datetime.now(UTC)
    u = metrics.utility_threshold(benefit, cost)
    card: dict[str, Any] = {
        "format": FIX_CARD_FORMAT,
        "format_version": FIX_CARD_FORMAT_VERSION,
        "version": f"fix-{now:%Y%m%dT%H%M%S}-{sha[:10]}",
        "created": now.isoformat(timespec="seconds"),
        "schema": FIX_SCHEMA.describe(),
        "libraries": library_versions(),
        "data": trained.data_summary,
        "training": trained.training,
        "model": {"file": FIX_MODEL_FILE, "sha256": sha, "input": INPUT_NAME,
                  "output": OUTPUT_NAME, "n_columns": FIX_SCHEMA.width,
                  "estimator": trained.model.name,
                  "calibration": {"method": "platt", "a": trained.model.a,
                                  "b": trained.model.b},
                  "candidates": trained.candidates, "validation": trained.validation},
        "thresholds": {
            "utility": {"rule": "show iff p * benefit > (1 - p) * cost", "benefit": benefit,
                        "cost": cost, "threshold": u,
                        "validation": metrics.at_threshold(trained.y, trained.oof, u,
                                                           trained.weights).to_dict()},
            "max_accepted_hidden": {f"{op['max_accepted_hidden_percent']:g}": op
                                    for op in trained.operating_points},
        },
        "notes": dict(notes or {}),
    }
    _atomic_write(out / FIX_MODEL_FILE, blob)
    _atomic_write(out / FIX_CARD_FILE, (json.dumps(card, indent=2) + "\n").encode())
    return card


def train_fix_model(out_dir: str | Path, *, telemetry: Sequence[str] = (),
                    exports: Sequence[str] = (), benefit: float = DEFAULT_BENEFIT,
                    cost: float = DEFAULT_COST, notes: Mapping[str, Any] | None = None,
                    **trainer_options: Any) -> dict[str, Any]:
    """Load fix decisions, train, write the files; returns the card. TrainingError
    (nothing written) when there are too few labelled fix decisions."""
    data = load_fix_data(telemetry, exports)
    trained = FixTrainer(**trainer_options).fit(data)
    return save_fix_model(trained, out_dir, benefit=benefit, cost=cost, notes=notes)


def train_fix_if_enough(out_dir: str | Path, *, telemetry: Sequence[str] = (),
                        exports: Sequence[str] = (), benefit: float = DEFAULT_BENEFIT,
                        cost: float = DEFAULT_COST) -> dict[str, Any] | None:
    """:func:`train_fix_model` when the sources hold enough labelled fix decisions,
    else None (nothing written): the hook for commands that train the completion gate
    and should train the fix gate along with it when they can."""
    data = load_fix_data(telemetry, exports)
    if not_enough(data):
        return None
    return save_fix_model(FixTrainer().fit(data), out_dir, benefit=benefit, cost=cost,
                          notes={"sources": [f"telemetry {u}" for u in telemetry]
                                 + [f"export {p}" for p in exports]})


# ---------------------------------------------------------------------------- evaluation


@dataclass
class NestedScores:
    """Held-out P(applied) per row (nan where a fold had too little data to train) and,
    per budget, the threshold each row's fold model picked on its inner validation."""

    p: np.ndarray
    budget_thresholds: dict[float, np.ndarray]
    folds: int
    folds_with_model: int


def nested_scores(data: FixDataset, budgets: Sequence[float] = (), n_splits: int = 5,
                  seed: int = 0) -> NestedScores:
    """Each outer fold's sessions scored by a fix model trained (inner folds,
    calibration, thresholds) on the other sessions only."""
    outer = group_folds(data.groups, n_splits, seed)
    X = data.matrix()
    p = np.full(len(data), np.nan)
    thr = {b: np.zeros(len(data)) for b in budgets}
    trained_folds = 0
    for tr, te in outer:
        sub = data.subset(tr)
        if not_enough(sub):
            continue  # no model for this fold: every fix shown (as in the server)
        trained = FixTrainer(seed=seed).fit(sub)
        p[te] = trained.model.predict_proba(X[te])
        for b in budgets:
            thr[b][te] = trained.threshold_for(b)
        trained_folds += 1
    return NestedScores(p, thr, len(outer), trained_folds)


def gate_effect(data: FixDataset, scores: NestedScores, threshold: np.ndarray | float,
                rule: str) -> dict[str, Any]:
    """What hiding iff p < threshold does to the held-out rows: row-level shares (right =
    applied label) before and after, and per problem: is the first fix the editor would
    offer right, before and after."""
    p = scores.p
    show = ~(p < threshold)  # nan (no model) shows
    y = data.y.astype(bool)
    n, right = len(y), int(y.sum())
    scored = ~np.isnan(p)
    out: dict[str, Any] = {
        "rule": rule, "folds": scores.folds, "folds_with_model": scores.folds_with_model,
        "held_out_auc": metrics.auc(data.y[scored], p[scored]) if scored.any() else None,
        "fixes": n, "right": right,
        "right_share_before": right / max(1, n),
        "shown": int(show.sum()),
        "right_share_after": float(y[show].mean()) if show.any() else None,
        "right_hidden_percent": 100.0 * float((~show & y).sum()) / max(1, right),
        "wrong_hidden_percent": 100.0 * float((~show & ~y).sum()) / max(1, n - right),
    }
    out.update(_per_problem(data, show))
    return out


def evaluate_fix_gate(data: FixDataset, *, benefit: float = DEFAULT_BENEFIT,
                      cost: float = DEFAULT_COST, budget: float | None = None,
                      n_splits: int = 5, seed: int = 0) -> dict[str, Any]:
    """Nested validation by session of one threshold rule: the utility rule
    (``benefit``, ``cost``) or, with ``budget``, the inner-validation "hide at most
    budget % of applied" point. See :func:`gate_effect` for what is returned."""
    scores = nested_scores(data, [budget] if budget is not None else [], n_splits, seed)
    if budget is None:
        return gate_effect(data, scores, metrics.utility_threshold(benefit, cost),
                           f"utility benefit={benefit:g} cost={cost:g}")
    return gate_effect(data, scores, scores.budget_thresholds[budget],
                       f"max {budget:g}% of applied hidden (inner validation)")


def _per_problem(data: FixDataset, show: np.ndarray) -> dict[str, Any]:
    """The editor's preferred (first) fix per problem, before and after the gate."""
    by_problem: dict[str, list[int]] = {}
    for i, key in enumerate(data.problems):
        by_problem.setdefault(key, []).append(i)
    first_right = first_shown = first_shown_right = any_right = any_right_shown = 0
    for rows in by_problem.values():
        rows.sort(key=lambda i: float(data.features[i].get("fix_rank") or 0))
        first_right += int(data.y[rows[0]])
        any_right += int(data.y[rows].max())
        shown = [i for i in rows if show[i]]
        if shown:
            first_shown += 1
            first_shown_right += int(data.y[shown[0]])
            any_right_shown += int(data.y[shown].max())
    k = len(by_problem)
    return {"problems": k, "problems_with_a_right_fix": any_right,
            "problems_with_a_right_fix_shown_after": any_right_shown,
            "first_fix_right_before": first_right,
            "problems_with_a_fix_shown_after": first_shown,
            "first_fix_right_after": first_shown_right,
            "first_fix_precision_before": first_right / max(1, k),
            "first_fix_precision_after": first_shown_right / max(1, first_shown)}


__all__ = ["FIX_CARD_FILE", "FIX_MODEL_FILE", "MIN_FIX_DECISIONS", "MIN_PER_CLASS",
           "FixDataset", "FixModel", "FixTrainer", "NestedScores", "TrainedFixModel",
           "evaluate_fix_gate", "fix_dataset", "gate_effect", "has_fix_model", "load_fix_data",
           "nested_scores", "not_enough", "save_fix_model", "train_fix_if_enough",
           "train_fix_model"]
