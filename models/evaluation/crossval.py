"""Honest estimates for unseen programmers: session-fold cross-validation of the gate.

Every prediction here comes from a model that never saw the decision's session, so
the numbers say what a *new* programmer would get. Used by ``tact model eval`` (the
report) and by the measurement in the README. Also: permutation importance (by input
feature, one-hot columns permuted together) and the ablation without the
programmer-state features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tact.models.evaluation import metrics
from tact.models.features import SCHEMA
from tact.models.gate.data import GateDataset
from tact.models.gate.estimators import (
    CANDIDATES,
    apply_platt,
    fit_estimator,
    fit_platt,
    make_estimator,
    raw_proba,
)
from tact.models.gate.train import (
    DEFAULT_EXCLUDED,
    blank,
    excluded_columns,
    group_folds,
    unfilled_mask,
)
from threadpoolctl import threadpool_limits

Progress = Callable[[str, float], None]


@dataclass
class StageCV:
    """Pooled out-of-fold predictions of one stage, with the fold models kept."""

    stage: int
    model: str
    p: np.ndarray  # calibrated (Platt fitted on the training folds' own OOF would be
    # nested; here a pooled Platt on OOF, which does not change AUC or the curves)
    raw: np.ndarray
    candidates: dict[str, float | None]
    fold_models: list[tuple[np.ndarray, Any]] = field(default_factory=list, repr=False)
    columns: np.ndarray | None = None  # column mask used (None: all)


@dataclass
class CVResult:
    y: np.ndarray
    w: np.ndarray
    groups: np.ndarray
    stages: dict[int, StageCV]
    ablation_no_state: StageCV | None
    folds: int


def _oof_with_models(
    name: str, X: np.ndarray, y: np.ndarray, w: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]], seed: int,
    columns: Sequence[str] | None = None,
) -> tuple[np.ndarray, list[tuple[np.ndarray, Any]]]:
    out = np.zeros(len(y))
    models = []
    for tr, va in folds:
        if len(np.unique(y[tr])) < 2:
            out[va] = float(y[tr].mean())
            continue
        m = fit_estimator(make_estimator(name, seed, len(tr), columns), X[tr], y[tr], w[tr])
        out[va] = raw_proba(m, X[va])
        models.append((va, m))
    return out, models


def _stage_cv(
    stage: int, X: np.ndarray, data: GateDataset, folds: Sequence[tuple[np.ndarray, np.ndarray]],
    candidates: Sequence[str], seed: int, mask: np.ndarray | None = None,
    exclude: Sequence[str] = (),
) -> StageCV:
    X = blank(X, excluded_columns(stage, exclude))
    if mask is None:
        mask = unfilled_mask(stage, X)  # v8 engine-path columns no row fills: left out
    elif (unfilled := unfilled_mask(stage, X)) is not None:
        mask = mask & unfilled
    Xm = X if mask is None else X[:, mask]
    names = SCHEMA.columns(stage)
    if mask is not None:
        names = [c for c, keep in zip(names, mask, strict=True) if keep]
    results: dict[str, float | None] = {}
    best_name, best_auc, best = None, -1.0, None
    for name in candidates:
        raw, models = _oof_with_models(name, Xm, data.y, data.weights, folds, seed, names)
        a = metrics.auc(data.y, raw, data.weights)
        results[name] = a
        if (a or 0.0) > best_auc:
            best_name, best_auc, best = name, a or 0.0, (raw, models)
    assert best is not None and best_name is not None
    raw, models = best
    a, b = fit_platt(raw, data.y, data.weights)
    return StageCV(stage, best_name, apply_platt(raw, a, b), raw, results, models, mask)


def cross_validate(
    data: GateDataset,
    candidates: Sequence[str] = CANDIDATES,
    n_splits: int | None = None,
    seed: int = 0,
    ablation: bool = True,
    progress: Progress | None = None,
    exclude_features: Sequence[str] = DEFAULT_EXCLUDED,
) -> CVResult:
    """Session-fold CV of both stages (leave-one-session-out when ``n_splits`` is None
    and there are at most 30 sessions; 5 folds otherwise)."""
    n_groups = len(np.unique(data.groups))
    k = n_splits or (n_groups if n_groups <= 30 else 5)
    folds = group_folds(data.groups, k, seed)
    stages = {}
    with threadpool_limits(1):
        for i, stage in enumerate((1, 2)):
            if progress:
                progress(f"cross-validating stage {stage} ({len(folds)} session folds)", i / 3)
            stages[stage] = _stage_cv(stage, data.matrix(stage), data, folds, candidates, seed,
                                      exclude=exclude_features)
        abl = None
        if ablation:
            if progress:
                progress("ablation: stage 2 without programmer-state features", 2 / 3)
            mask = np.array([g != "state" for g in SCHEMA.groups(2)])
            abl = _stage_cv(2, data.matrix(2), data, folds, candidates, seed, mask,
                            exclude=exclude_features)
    if progress:
        progress("cross-validation done", 1.0)
    return CVResult(data.y, data.weights, data.groups, stages, abl, len(folds))


def permutation_importance(
    cv: StageCV, data: GateDataset, repeats: int = 2, seed: int = 0, top: int | None = None,
    exclude: Sequence[str] = DEFAULT_EXCLUDED,
) -> list[tuple[str, float]]:
    """AUC drop when one input feature (all its columns) is shuffled within each
    validation fold, pooled over folds; largest first."""
    X = blank(data.matrix(cv.stage), excluded_columns(cv.stage, exclude))
    if cv.columns is not None:
        X = X[:, cv.columns]
    names = [s.name for s in SCHEMA.specs_for(cv.stage) for _ in s.columns]
    if cv.columns is not None:
        names = [n for n, keep in zip(names, cv.columns, strict=True) if keep]
    by_feature: dict[str, list[int]] = {}
    for j, n in enumerate(names):
        by_feature.setdefault(n, []).append(j)
    base = metrics.auc(data.y, cv.raw, data.weights) or 0.5
    rng = np.random.default_rng(seed)
    out = []
    with threadpool_limits(1):
        for name, cols in by_feature.items():
            if name in exclude or not X[:, cols].any():
                continue
            drops = []
            for _ in range(repeats):
                p = cv.raw.copy()
                for va, model in cv.fold_models:
                    Xv = X[va].copy()
                    perm = rng.permutation(len(va))
                    Xv[:, cols] = Xv[perm][:, cols]
                    p[va] = raw_proba(model, Xv)
                drops.append(base - (metrics.auc(data.y, p, data.weights) or 0.5))
            out.append((name, float(np.mean(drops))))
    out.sort(key=lambda t: -t[1])
    return out[:top] if top else out


def per_session_auc(cv: StageCV, data: GateDataset) -> dict[str, float | None]:
    res = {}
    for g in sorted(set(data.groups.tolist())):
        m = data.groups == g
        res[g] = metrics.auc(data.y[m], cv.p[m], data.weights[m])
    return res


def headline(cv: CVResult) -> dict[str, Any]:
    """The numbers the issue asks for: pooled AUC and % rejected hidden at 5% accepted."""
    s2 = cv.stages[2]
    op5 = metrics.operating_point(cv.y, s2.p, 5.0, cv.w)
    s1 = cv.stages[1]
    op1 = metrics.operating_point(cv.y, s1.p, 5.0, cv.w)
    out = {
        "folds": cv.folds,
        "stage2_model": s2.model,
        "stage2_auc": metrics.auc(cv.y, s2.p, cv.w),
        "stage2_candidates": s2.candidates,
        "rejected_hidden_at_5pct_accepted": op5.rejected_hidden_percent,
        "stage1_auc": metrics.auc(cv.y, s1.p, cv.w),
        "stage1_skipped_at_5pct_accepted": op1.hidden_percent,
    }
    if cv.ablation_no_state is not None:
        out["stage2_auc_without_state"] = metrics.auc(cv.y, cv.ablation_no_state.p, cv.w)
    return out
