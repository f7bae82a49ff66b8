"""The syntax ranker's training script: group weights for natural slips."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from train_syntax_ranker import BREAK, NATURAL, fit


def test_natural_weight_shifts_the_fit_towards_natural_slips() -> None:
    # the same two candidates; a uniform break says "delete the word" (feature ``a``),
    # a natural slip says "restore the comma" (feature ``b``)
    feats = [{"a": 1.0}, {"b": 1.0}]
    groups = [(feats, [True, False], BREAK), (feats, [False, True], NATURAL)]
    even = fit(groups, l2=0.01)
    assert abs(even["a"] - even["b"]) < 1e-3
    leaning = fit(groups, l2=0.01, natural_weight=3.0)
    assert leaning["b"] - leaning["a"] > 0.5
    # groups read from an old cache have no third field: they count as breaks
    old = fit([(feats, [True, False]), (feats, [False, True], NATURAL)], l2=0.01,
              natural_weight=3.0)
    assert old["b"] - old["a"] > 0.5
