"""Metrics of an acceptance model: how well P(accept) separates and what hiding costs.

The gate's question is not only "is the AUC high" but "if we hide everything below a
threshold, what share of the suggestions people *would have accepted* do we lose, and
what share of the rejected ones do we spare them". The hiding curve answers that for
every threshold; operating points read it at a budget of accepted suggestions hidden.
All functions take optional sample weights (inverse-propensity weights of explored
decisions) so that metrics on gated telemetry are not biased by the gate itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve
from tact.models.gate.thresholds import utility_threshold as utility_threshold


def _w(y: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return np.ones(len(y), dtype=np.float64) if w is None else np.asarray(w, dtype=np.float64)


def auc(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float | None:
    """ROC AUC, or None when only one class is present."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, p, sample_weight=w))


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """Hide iff p < threshold: the share (%) of accepted and of rejected hidden."""

    threshold: float
    accepted_hidden_percent: float
    rejected_hidden_percent: float
    hidden_percent: float

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 6) for k, v in asdict(self).items()}


def hiding_curve(
    y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None
) -> list[OperatingPoint]:
    """Every distinct threshold (hide iff p < t) with its hidden shares, ascending t."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    w = _w(y, w)
    order = np.argsort(p, kind="mergesort")
    ps, ys, ws = p[order], y[order], w[order]
    acc_total = ws[ys].sum() or 1.0
    rej_total = ws[~ys].sum() or 1.0
    all_total = ws.sum() or 1.0
    cum_acc = np.concatenate([[0.0], np.cumsum(np.where(ys, ws, 0.0))])
    cum_rej = np.concatenate([[0.0], np.cumsum(np.where(~ys, ws, 0.0))])
    cum_all = np.concatenate([[0.0], np.cumsum(ws)])
    # Thresholds: each distinct p (hiding everything strictly below it) and one above all.
    uniq = np.unique(ps)
    thresholds = np.concatenate([uniq, [np.nextafter(uniq[-1], np.inf)]]) if len(uniq) else []
    points = []
    for t in thresholds:
        k = int(np.searchsorted(ps, t, side="left"))  # number of p < t
        points.append(
            OperatingPoint(
                threshold=float(t),
                accepted_hidden_percent=100.0 * cum_acc[k] / acc_total,
                rejected_hidden_percent=100.0 * cum_rej[k] / rej_total,
                hidden_percent=100.0 * cum_all[k] / all_total,
            )
        )
    return points


def operating_point(
    y: np.ndarray, p: np.ndarray, max_accepted_hidden_percent: float, w: np.ndarray | None = None
) -> OperatingPoint:
    """The highest threshold that hides at most the given % of accepted suggestions."""
    best = None
    for point in hiding_curve(y, p, w):
        if point.accepted_hidden_percent <= max_accepted_hidden_percent + 1e-9:
            best = point
        else:
            break
    if best is None:  # pragma: no cover - threshold 0 hides nothing
        return OperatingPoint(0.0, 0.0, 0.0, 0.0)
    return best


def at_threshold(
    y: np.ndarray, p: np.ndarray, threshold: float, w: np.ndarray | None = None
) -> OperatingPoint:
    """The hidden shares when hiding iff p < ``threshold``."""
    y = np.asarray(y).astype(bool)
    w = _w(y, w)
    hide = np.asarray(p) < threshold
    acc = w[y].sum() or 1.0
    rej = w[~y].sum() or 1.0
    return OperatingPoint(
        threshold=float(threshold),
        accepted_hidden_percent=100.0 * w[hide & y].sum() / acc,
        rejected_hidden_percent=100.0 * w[hide & ~y].sum() / rej,
        hidden_percent=100.0 * w[hide].sum() / (w.sum() or 1.0),
    )


def calibration_bins(
    y: np.ndarray, p: np.ndarray, bins: int = 10, w: np.ndarray | None = None
) -> list[dict[str, float]]:
    """Reliability table: per bin of predicted p, mean prediction vs observed rate."""
    y = np.asarray(y).astype(float)
    p = np.asarray(p, dtype=np.float64)
    w = _w(y, w)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        wb = w[m]
        table.append(
            {
                "lo": float(edges[b]),
                "hi": float(edges[b + 1]),
                "mean_p": float(np.average(p[m], weights=wb)),
                "rate": float(np.average(y[m], weights=wb)),
                "n": int(m.sum()),
            }
        )
    return table


def summary(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> dict[str, object]:
    """AUC, Brier score, log loss and the 1/5/10% operating points, for a model card."""
    y = np.asarray(y).astype(int)
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    out: dict[str, object] = {
        "n": len(y),
        "accept_rate": float(np.average(y, weights=w)) if len(y) else None,
        "auc": auc(y, p, w),
        "brier": float(brier_score_loss(y, p, sample_weight=w)) if len(y) else None,
        "log_loss": float(log_loss(y, p, sample_weight=w, labels=[0, 1])) if len(y) else None,
    }
    if len(np.unique(y)) == 2:
        out["operating_points"] = {
            f"{x:g}": operating_point(y, p, x, w).to_dict() for x in (1.0, 5.0, 10.0)
        }
    return out


def roc_points(
    y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates) for a ROC plot."""
    fpr, tpr, _ = roc_curve(y, p, sample_weight=w)
    return fpr, tpr
