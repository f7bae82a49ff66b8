"""The ranking score: a linear model over candidate features (:func:`score`), its
fitted weights (``data/syntax_ranker.json``, from ``benchmarks/train_syntax_ranker.py``)
and the features that compare a candidate with the others of the same error.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

DIST_PENALTY = 0.15  # per token between the edit and the reported error
NAME_WEIGHT = 0.5  # weight of the file's own evidence for an inserted name (per nat-like unit)
LOCAL_ONLY_PENALTY = 2.0  # a fix that leaves a later error is less likely the intended one
# Noisy-channel costs (nats) of the edit kinds beyond log(vocabulary): tuned on
# synthetic breaks of standard-library code the n-gram prior was not trained on.
CHANNEL = {"delete": 1.5, "replace": 2.0, "indent": 1.0, "name": 1.0}
GROUP_KEYS = ("lm",)  # scores compared across the candidates
GAP_CLIP = 8.0  # nats: beyond this a margin says nothing more
# Default weights of the ranking features (a linear score, natural-log units). The
# shipped data/syntax_ranker.json, fitted on breaks of code outside both the prior's
# training files and the benchmark, overrides them.
DEFAULT_WEIGHTS: dict[str, float] = {
    "lm": 1.0, "channel": 1.0, "bonus": 1.0, "hint": 1.0, "dist": -DIST_PENALTY,
    "local_only": -LOCAL_ONLY_PENALTY, "global_name": -CHANNEL["name"] - 0.5,
    "file_name": -CHANNEL["name"], "name_ns": NAME_WEIGHT, "k_replace": -0.3,
    "confusion": 0.8,
}
RANKER_FILE = Path(__file__).parent.parent / "data" / "syntax_ranker.json"


@functools.cache
def ranker_weights() -> dict[str, float]:
    """The fitted ranking weights with the data file's ``adjustments`` applied (the
    defaults if the data file is missing or unreadable)."""
    try:
        data = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        return adjusted(weights, data.get("adjustments", {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return dict(DEFAULT_WEIGHTS)


def adjusted(weights: Mapping[str, float], adjustments: Mapping[str, Mapping[str, float]]
             ) -> dict[str, float]:
    """``weights`` with some weights scaled (``adjustments["scale"]``) or shifted
    (``adjustments["add"]``): changes chosen on development breaks after a fit, for
    evidence the fit's data under-weighs (kept apart from the fitted numbers so a refit
    shows them and must choose them again)."""
    out = dict(weights)
    for k, factor in adjustments.get("scale", {}).items():
        out[k] = out.get(k, 0.0) * float(factor)
    for k, delta in adjustments.get("add", {}).items():
        out[k] = out.get(k, 0.0) + float(delta)
    return out


def score(feats: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """A candidate's score: the weighted sum of its features (a feature without a
    weight counts for nothing, so new features can be logged before they are fitted)."""
    return sum(weights.get(k, 0.0) * v for k, v in feats.items())


def group_features(feats: list[dict[str, float]]) -> None:
    """Features relative to the other candidates of the same error (in place).

    A linear score sees each candidate alone; whether it is the best of its group under
    the language model, and by how much, is evidence the score alone misses (the same
    log-prob is a clear winner in one group and a near-miss in another).
    """
    if len(feats) < 2:
        return
    for key in GROUP_KEYS:
        vals = [f.get(key, 0.0) for f in feats]
        order = sorted(range(len(vals)), key=lambda k: -vals[k])
        best, second = vals[order[0]], vals[order[1]]
        for rank, k in enumerate(order):
            other = second if k == order[0] else best
            gap = max(-GAP_CLIP, min(GAP_CLIP, vals[k] - other))
            f = feats[k]
            f[f"gap_{key}"] = gap
            if rank == 0:
                f[f"top_{key}"] = 1.0
            elif rank < 3:
                f[f"top3_{key}"] = 1.0
