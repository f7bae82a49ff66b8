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
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from tact.models.evaluation import metrics
from tact.models.features import SCHEMA
from tact.models.features.schema import ENGINE_PATH_FEATURES
from tact.models.gate.data import GateDataset
from tact.models.gate.errors import TrainingError
from tact.models.gate.estimators import (
    CANDIDATES,
    CalibratedGate,
    LogitBlend,
    RoutedGate,
    apply_platt,
    fit_estimator,
    fit_platt,
    make_estimator,
    raw_proba,
)
from tact.models.gate.thresholds import threshold_within
from threadpoolctl import threadpool_limits

# Features computed and logged but not fed to the model by default: on CUPS, leaving
# the acceptance-rate features out raised leave-one-session-out AUC from 0.757 to
# 0.770 (and % rejected hidden at 5% accepted from 24 to 30): per-session rates over a
# few dozen decisions are noise that does not carry over to a new programmer.
DEFAULT_EXCLUDED = ("st_accept_rate_k", "st_accept_rate_session", "st_outcomes_k")
# ... but the engine-side model of a routed stage (tact's own engine, trained on
# replays) keeps them: there the recent acceptance rate says how well the engine knows
# the code at hand, and it carried over to unseen sessions. On the stdlib training
# replays (47 sessions, session folds) keeping them raised stage-1 AUC 0.847 -> 0.851
# and generations skipped at 5% of accepted lost 33.3% -> 34.5% (stage 2: AUC 0.887 ->
# 0.889, rejected hidden 54.6% -> 55.2%); on six third-party packages never trained
# on, stage 1 skipped 28.0% -> 29.9%.
# It blanks ``sug_repeats_shown`` (the suggestion repeats the previous shown one): the
# server records it for every decision, but for the embedded engine it did not help:
# trained with it, the default recipe's out-of-fold engine-side AUC went 0.872 -> 0.871
# (rejected hidden at 5% 50.3% -> 48.7%) and on six unseen third-party packages 56.8%
# -> 55.6%. It stays in the CUPS-side model, where it came from.
ENGINE_DEFAULT_EXCLUDED: tuple[str, ...] = ("sug_repeats_shown",)


def excluded_columns(stage: int, exclude: Sequence[str]) -> np.ndarray:
    """Indices of the vector columns of the excluded input features."""
    names = [s.name for s in SCHEMA.specs_for(stage) for _ in s.columns]
    return np.array([j for j, n in enumerate(names) if n in set(exclude)], dtype=np.int64)


def unfilled_mask(stage: int, X: np.ndarray) -> np.ndarray | None:
    """Columns a model of these rows gets: all but the engine-path columns
    (``ENGINE_PATH_FEATURES``, schema v8) that no row fills (None: all columns).
    Rows of other engines (CUPS) never fill them; leaving them out, rather than as
    all-zero columns, keeps such a model exactly what it was before v8 (its trees'
    per-split feature sampling depends on the column count)."""
    cols = excluded_columns(stage, ENGINE_PATH_FEATURES)
    empty = [j for j in cols if not X[:, j].any()]
    if not empty:
        return None
    keep = np.ones(X.shape[1], dtype=bool)
    keep[empty] = False
    return keep


def masked_estimator(name: str, seed: int, n_rows: int, columns: Sequence[str],
                     keep: np.ndarray | None) -> Any:
    """``make_estimator``, behind a column selection when ``keep`` drops columns (one
    Pipeline, so the exported ONNX graph selects them too)."""
    if keep is None:
        return make_estimator(name, seed, n_rows, columns)
    idx = np.flatnonzero(keep)
    inner = make_estimator(name, seed, n_rows, [columns[j] for j in idx])
    if isinstance(inner, LogitBlend):  # each part selects its columns, so each exports
        inner.trees = _behind_selection(inner.trees, idx)
        inner.linear = _behind_selection(inner.linear, idx)
        return inner
    return _behind_selection(inner, idx)


def _behind_selection(est: Any, idx: np.ndarray) -> Pipeline:
    steps = est.steps if isinstance(est, Pipeline) else [("model", est)]
    select = ColumnTransformer([("keep", "passthrough", idx.tolist())], remainder="drop")
    return Pipeline([("columns", select), *steps])


def blank(X: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``X`` with the given columns zeroed (a copy). A column that is constant during
    training gets no split (trees) and a zero weight (L2 logistic regression), so the
    exported model ignores whatever value it later receives there."""
    if len(cols) == 0:
        return X
    X = X.copy()
    X[:, cols] = 0.0
    return X


# Each stage is routed on what the engine is (see RoutedGate) when both sides have at
# least MIN_ROUTE_ROWS labelled decisions from at least 2 sessions, with both outcomes:
# stage 2 on the suggestion's engine, stage 1 on whether the engine gave pre-generation
# statistics (tact's embedded engine does; CUPS rows and LLM providers do not).
ROUTE_FEATURES = {1: "ctx_eng_has_stats", 2: "sug_engine=tact"}
ROUTE_FEATURE = ROUTE_FEATURES[2]
MIN_ROUTE_ROWS = 200


def route_mask(stage: int, X: np.ndarray, groups: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Rows served by the engine-side model of a routed stage (None: no routing)."""
    col = SCHEMA.columns(stage).index(ROUTE_FEATURES[stage])
    on = X[:, col] > 0.5
    for side in (on, ~on):
        if (
            side.sum() < MIN_ROUTE_ROWS
            or len(np.unique(groups[side])) < 2
            or len(np.unique(y[side])) < 2
        ):
            return None
    return on


def route_strata(X2: np.ndarray) -> np.ndarray:
    """Each row's combination of the stages' route columns (0..3), from stage-2 vectors."""
    cols = SCHEMA.columns(2)
    bits = [X2[:, cols.index(ROUTE_FEATURES[s])] > 0.5 for s in (1, 2)]
    return bits[0].astype(np.int64) + 2 * bits[1].astype(np.int64)


def balanced_sample(strata: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` row indices (sorted), drawn at random within each stratum, the smallest
    strata first and each at most an equal share of what is left: a subsample keeps
    every row of a small route side. Why: with 50,000 replay decisions and 757 CUPS
    ones, a uniform 10,000-row validation sample held about 150 CUPS rows, fewer than
    MIN_ROUTE_ROWS, and the stages silently stopped being routed."""
    labels, counts = np.unique(strata, return_counts=True)
    order = np.argsort(counts, kind="stable")
    left, picked = n, []
    for k, i in enumerate(order):
        take = min(int(counts[i]), left // (len(order) - k))
        rows = np.flatnonzero(strata == labels[i])
        picked.append(rows if take == len(rows) else rng.choice(rows, take, replace=False))
        left -= take
    return np.sort(np.concatenate(picked))


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
    # Number the groups by first appearance, not by label: session ids are random
    # UUIDs, and folds must not change from one run to the next with the same data.
    labels, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(labels))
    codes = rank[inverse]
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    dummy = np.zeros(len(groups))
    return [(tr, va) for tr, va in splitter.split(dummy, dummy, codes)]


def oof_predictions(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    seed: int = 0,
    columns: Sequence[str] | None = None,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """Out-of-fold raw P(accept) of candidate ``name`` (every row predicted by a model
    that never saw its session). A fold whose training side has one class predicts
    that side's rate. ``keep``: the columns the models get (see ``unfilled_mask``)."""
    out = np.zeros(len(y), dtype=np.float64)
    for tr, va in folds:
        if len(np.unique(y[tr])) < 2:
            out[va] = float(y[tr].mean())
            continue
        wt = None if w is None else w[tr]
        if columns is not None:
            est = masked_estimator(name, seed, len(tr), columns, keep)
        else:
            est = make_estimator(name, seed, len(tr))
        model = fit_estimator(est, X[tr], y[tr], wt)
        out[va] = raw_proba(model, X[va])
    return out


@dataclass
class StageResult:
    """One trained stage: the calibrated model and what validation said about it."""

    stage: int
    model: CalibratedGate | RoutedGate
    columns: list[str]
    candidates: dict[str, dict[str, Any]]
    validation: dict[str, Any]
    operating_points: list[dict[str, float]]
    oof: np.ndarray  # calibrated out-of-fold P(accept), aligned with the dataset

    def threshold_for(self, max_accepted_hidden_percent: float) -> float:
        return threshold_within(self.operating_points, max_accepted_hidden_percent)


@dataclass
class TrainedGate:
    """Both stages plus what the model card needs."""

    stages: dict[int, StageResult]
    data_summary: dict[str, Any]
    training: dict[str, Any]
    # Labels, weights and sessions of the validation rows (aligned with each stage's oof).
    y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    groups: np.ndarray = field(repr=False)


def _fit_stage(
    stage: int,
    data: GateDataset,
    full: GateDataset,
    fit_idx: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    candidates: Sequence[str],
    seed: int,
    progress: Progress | None,
    done: float,
    share: float,
    exclude: Sequence[str] = (),
    engine_exclude: Sequence[str] | None = None,
) -> StageResult:
    X = data.matrix(stage)
    y, w = data.y, data.weights
    X_full = full.matrix(stage)[fit_idx]
    y_full, w_full = full.y[fit_idx], full.weights[fit_idx]
    on_val = route_mask(stage, X, data.groups, y)
    on_fit = route_mask(stage, X_full, full.groups[fit_idx], y_full) if on_val is not None else None
    # Blanked columns per side: the engine side of a routed stage has its own list.
    cols = excluded_columns(stage, exclude)
    engine_cols = cols if engine_exclude is None else excluded_columns(stage, engine_exclude)
    if on_val is None or on_fit is None:
        sides = [(np.ones(len(y), bool), np.ones(len(y_full), bool), "", cols)]
    else:
        sides = [(on_val, on_fit, "on:", engine_cols), (~on_val, ~on_fit, "off:", cols)]
    results: dict[str, dict[str, Any]] = {}
    gates: list[CalibratedGate] = []
    p_val = np.zeros(len(y))
    step = share / (len(candidates) * len(sides) + 1)
    for rows, fit_rows, tag, blanked in sides:
        idx = np.flatnonzero(rows)
        pos = np.full(len(y), -1)
        pos[idx] = np.arange(len(idx))
        sub_folds = [(pos[tr][pos[tr] >= 0], pos[va][pos[va] >= 0]) for tr, va in folds]
        sub_folds = [(tr, va) for tr, va in sub_folds if len(tr) and len(va)]
        Xs, ys, ws = blank(X[idx], blanked), y[idx], w[idx]
        keep = unfilled_mask(stage, Xs)
        oofs: dict[str, np.ndarray] = {}
        for name in candidates:
            if progress:
                progress(f"stage {stage}: validating {tag}{name} on {len(sub_folds)} "
                         "session folds", done)
            t0 = time.perf_counter()
            oofs[name] = oof_predictions(name, Xs, ys, ws, sub_folds, seed, SCHEMA.columns(stage),
                                         keep)
            results[f"{tag}{name}"] = {
                "auc": metrics.auc(ys, oofs[name], ws),
                "seconds": round(time.perf_counter() - t0, 3),
            }
            done += step
        best = max(candidates,
                   key=lambda n: (results[f"{tag}{n}"]["auc"] or 0.0, -candidates.index(n)))
        a, b = fit_platt(oofs[best], ys, ws)
        if progress:
            progress(f"stage {stage}: refitting {tag}{best} on all data", done)
        fx = np.flatnonzero(fit_rows)
        X_fit = blank(X_full[fx], blanked)
        base = fit_estimator(
            masked_estimator(best, seed, len(fx), SCHEMA.columns(stage),
                             unfilled_mask(stage, X_fit)),
            X_fit, y_full[fx], w_full[fx])
        label = f"{best}+logreg" if isinstance(base, LogitBlend) else best
        gates.append(CalibratedGate(base=base, a=a, b=b, name=label))
        p_val[idx] = apply_platt(oofs[best], a, b)
    model: CalibratedGate | RoutedGate = gates[0]
    if len(gates) == 2:
        model = RoutedGate(on=gates[0], off=gates[1],
                           route_column=SCHEMA.columns(stage).index(ROUTE_FEATURES[stage]),
                           route_name=ROUTE_FEATURES[stage])
    ops = []
    for budget in BUDGETS:
        op = metrics.operating_point(y, p_val, budget, w)
        ops.append({"max_accepted_hidden_percent": budget, **op.to_dict()})
    return StageResult(
        stage=stage,
        model=model,
        columns=SCHEMA.columns(stage),
        candidates=results,
        validation=metrics.summary(y, p_val, w),
        operating_points=ops,
        oof=p_val,
    )


class GateTrainer:
    """Trains both gate stages from a :class:`GateDataset` (see module doc).

    ``n_splits`` session folds validate every candidate; with fewer sessions, one fold
    per session (leave-one-session-out). Large data is subsampled (rows drawn at
    random, seeded): validation uses at most ``max_validation_rows`` decisions (in at
    most 3 folds) and the final fit at most ``max_fit_rows``, which keeps training on
    100,000 decisions under half a minute on two shared cores. The final fit's cap is
    the larger one because the boosted trees kept learning from replay telemetry up to
    50,000 decisions (the default model: fitting 20,000 of its 50,000 stdlib decisions
    instead of all of them hid 52.3% instead of 56.5% of the rejected suggestions at 5%
    of the accepted on six third-party packages it never saw).
    ``exclude_features`` are computed and logged but blanked for the model (see
    DEFAULT_EXCLUDED); the engine-side model of a routed stage blanks
    ``engine_exclude_features`` instead (None: the same list).
    """

    def __init__(
        self,
        candidates: Sequence[str] = CANDIDATES,
        n_splits: int = 5,
        seed: int = 0,
        min_decisions: int = 20,
        n_threads: int = 1,
        max_validation_rows: int = 10_000,
        max_fit_rows: int = 50_000,
        exclude_features: Sequence[str] = DEFAULT_EXCLUDED,
        engine_exclude_features: Sequence[str] | None = ENGINE_DEFAULT_EXCLUDED,
    ) -> None:
        self.candidates = tuple(candidates)
        self.n_splits = n_splits
        self.seed = seed
        self.min_decisions = min_decisions
        self.n_threads = n_threads
        self.max_validation_rows = max_validation_rows
        self.max_fit_rows = max_fit_rows
        self.exclude_features = tuple(exclude_features)
        self.engine_exclude_features = (
            None if engine_exclude_features is None else tuple(engine_exclude_features)
        )

    def fit(self, data: GateDataset, progress: Progress | None = None) -> TrainedGate:
        unknown = (set(self.exclude_features) | set(self.engine_exclude_features or ())) - set(
            SCHEMA.stage2_names
        )
        if unknown:
            raise TrainingError(f"unknown feature(s) to exclude: {', '.join(sorted(unknown))}")
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
        rng = np.random.default_rng(self.seed)
        n = len(data)
        strata = route_strata(data.matrix(2))
        val = data
        if n > self.max_validation_rows:
            val = data.subset(balanced_sample(strata, self.max_validation_rows, rng))
        fit_idx = np.arange(n)
        if n > self.max_fit_rows:
            fit_idx = balanced_sample(strata, self.max_fit_rows, rng)
        # Plenty of rows per fold when subsampled: 3 folds suffice and cost 40% less.
        k = min(self.n_splits, 3) if len(val) < n else self.n_splits
        folds = group_folds(val.groups, k, self.seed)
        # One OpenMP thread by default: on a shared 2-core machine, gradient boosting
        # with 2 threads was measured 10x slower than with 1 (oversubscription).
        with threadpool_limits(self.n_threads):
            stages = {
                1: _fit_stage(1, val, data, fit_idx, folds, self.candidates, self.seed,
                              progress, 0.0, 0.45, self.exclude_features,
                              self.engine_exclude_features),
                2: _fit_stage(2, val, data, fit_idx, folds, self.candidates, self.seed,
                              progress, 0.45, 0.5, self.exclude_features,
                              self.engine_exclude_features),
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
                "excluded_features": list(self.exclude_features),
                "engine_excluded_features": list(
                    self.exclude_features if self.engine_exclude_features is None
                    else self.engine_exclude_features
                ),
                "validation_rows": len(val),
                "fit_rows": len(fit_idx),
                "seconds": round(time.perf_counter() - t0, 2),
            },
            y=val.y,
            weights=val.weights,
            groups=val.groups,
        )
