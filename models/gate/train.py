"""Training the two-stage gate: group folds, model choice, calibration, thresholds.

Everything is validated *by session*: folds never put decisions of one session (one
programmer at one time) on both sides, because a model that has seen a programmer's
other decisions looks much better than it will on a new programmer. Per stage:

1. out-of-fold P(accept) for every candidate (logistic regression, gradient boosting),
   with inverse-propensity sample weights;
2. pick the candidate with the best weighted out-of-fold AUC;
3. Platt-calibrate its out-of-fold log-odds; refit it on all data;
4. thresholds (the utility rule, and "hide at most X% of accepted" operating points)
   computed on the calibrated out-of-fold predictions, i.e. on validation data.

:class:`GateTrainer` follows scikit-learn conventions (parameters in ``__init__``,
``fit`` returns the trained result, no global state).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold
from tact.models.evaluation import metrics
from tact.models.features import SCHEMA
from tact.models.gate.data import GateDataset
from tact.models.gate.errors import TrainingError
from tact.models.gate.estimators import (
    CANDIDATES,
    CalibratedGate,
    apply_platt,
    fit_estimator,
    fit_platt,
    make_estimator,
    raw_proba,
)
from threadpoolctl import threadpool_limits

# "Hide at most X% of accepted suggestions" budgets stored in the model card.
BUDGETS = (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0)
Progress = Callable[[str, float], None]  # (message, fraction done 0..1)


def group_folds(
    groups: np.ndarray, n_splits: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, validation) index pairs; each group (session) lies wholly on one side."""
    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise TrainingError(
            f"need decisions from at least 2 sessions to validate by session, got {n_groups}"
        )
    k = max(2, min(n_splits, n_groups))
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    dummy = np.zeros(len(groups))
    return [(tr, va) for tr, va in splitter.split(dummy, dummy, groups)]


def oof_predictions(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    seed: int = 0,
) -> np.ndarray:
    """Out-of-fold raw P(accept) of candidate ``name`` (every row predicted by a model
    that never saw its session). A fold whose training side has one class predicts
    that side's rate."""
    out = np.zeros(len(y), dtype=np.float64)
    for tr, va in folds:
        if len(np.unique(y[tr])) < 2:
            out[va] = float(y[tr].mean())
            continue
        wt = None if w is None else w[tr]
        model = fit_estimator(make_estimator(name, seed), X[tr], y[tr], wt)
        out[va] = raw_proba(model, X[va])
    return out


@dataclass
class StageResult:
    """One trained stage: the calibrated model and what validation said about it."""

    stage: int
    model: CalibratedGate
    columns: list[str]
    candidates: dict[str, dict[str, Any]]
    validation: dict[str, Any]
    operating_points: list[dict[str, float]]
    oof: np.ndarray  # calibrated out-of-fold P(accept), aligned with the dataset

    def threshold_for(self, max_accepted_hidden_percent: float) -> float:
        best = 0.0
        for op in self.operating_points:
            if op["max_accepted_hidden_percent"] <= max_accepted_hidden_percent + 1e-9:
                best = op["threshold"]
        return best


@dataclass
class TrainedGate:
    """Both stages plus what the model card needs."""

    stages: dict[int, StageResult]
    data_summary: dict[str, Any]
    training: dict[str, Any]
    y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    groups: np.ndarray = field(repr=False)


def _fit_stage(
    stage: int,
    data: GateDataset,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    candidates: Sequence[str],
    seed: int,
    progress: Progress | None,
    done: float,
    share: float,
) -> StageResult:
    X = data.matrix(stage)
    y, w = data.y, data.weights
    results: dict[str, dict[str, Any]] = {}
    oofs: dict[str, np.ndarray] = {}
    step = share / (len(candidates) + 1)
    for name in candidates:
        if progress:
            progress(f"stage {stage}: validating {name} on {len(folds)} session folds", done)
        t0 = time.perf_counter()
        oofs[name] = oof_predictions(name, X, y, w, folds, seed)
        results[name] = {
            "auc": metrics.auc(y, oofs[name], w),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        done += step
    best = max(candidates, key=lambda n: (results[n]["auc"] or 0.0, -candidates.index(n)))
    a, b = fit_platt(oofs[best], y, w)
    if progress:
        progress(f"stage {stage}: refitting {best} on all data", done)
    base = fit_estimator(make_estimator(best, seed), X, y, w)
    calibrated = CalibratedGate(base=base, a=a, b=b, name=best)
    p_val = apply_platt(oofs[best], a, b)
    ops = []
    for budget in BUDGETS:
        op = metrics.operating_point(y, p_val, budget, w)
        ops.append({"max_accepted_hidden_percent": budget, **op.to_dict()})
    return StageResult(
        stage=stage,
        model=calibrated,
        columns=SCHEMA.columns(stage),
        candidates=results,
        validation=metrics.summary(y, p_val, w),
        operating_points=ops,
        oof=p_val,
    )


class GateTrainer:
    """Trains both gate stages from a :class:`GateDataset` (see module doc).

    ``n_splits`` session folds validate every candidate; with fewer sessions, one fold
    per session (leave-one-session-out).
    """

    def __init__(
        self,
        candidates: Sequence[str] = CANDIDATES,
        n_splits: int = 5,
        seed: int = 0,
        min_decisions: int = 20,
        n_threads: int = 1,
    ) -> None:
        self.candidates = tuple(candidates)
        self.n_splits = n_splits
        self.seed = seed
        self.min_decisions = min_decisions
        self.n_threads = n_threads

    def fit(self, data: GateDataset, progress: Progress | None = None) -> TrainedGate:
        for name in self.candidates:
            if name not in CANDIDATES:
                raise TrainingError(f"unknown model {name!r} (choose from {', '.join(CANDIDATES)})")
        if len(data) < self.min_decisions:
            raise TrainingError(
                f"only {len(data)} labelled decisions; need at least {self.min_decisions}"
            )
        if len(np.unique(data.y)) < 2:
            raise TrainingError("all labelled decisions have the same outcome; need both")
        t0 = time.perf_counter()
        folds = group_folds(data.groups, self.n_splits, self.seed)
        # One OpenMP thread by default: on a shared 2-core machine, gradient boosting
        # with 2 threads was measured 10x slower than with 1 (oversubscription).
        with threadpool_limits(self.n_threads):
            stages = {
                1: _fit_stage(1, data, folds, self.candidates, self.seed, progress, 0.0, 0.45),
                2: _fit_stage(2, data, folds, self.candidates, self.seed, progress, 0.45, 0.5),
            }
        if progress:
            progress("done", 1.0)
        return TrainedGate(
            stages=stages,
            data_summary=data.summary(),
            training={
                "candidates": list(self.candidates),
                "folds": len(folds),
                "split": "GroupKFold by session (shuffled)",
                "seed": self.seed,
                "calibration": "platt on out-of-fold log-odds",
                "ipw": "sample weight 1/propensity for explored decisions",
                "seconds": round(time.perf_counter() - t0, 2),
            },
            y=data.y,
            weights=data.weights,
            groups=data.groups,
        )
