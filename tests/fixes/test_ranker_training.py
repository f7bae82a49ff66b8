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


def test_fitting_only_new_features_records_them_as_adjustments(tmp_path: Path) -> None:
    """``--only`` weighs a feature added after the last full fit, every other weight held
    at the shipped value, and records it beside the fitted weights (which stay)."""
    import argparse
    import json

    from tact.server.fixes.syntax import ranker
    from train_syntax_ranker import write_adjustments

    feats = [{"lm": 1.0, "zz_new": 1.0}, {"lm": 2.0}]
    groups = [(feats, [True, False], BREAK)] * 3 + [(feats, [False, True], BREAK)]
    out = tmp_path / "ranker.json"
    args = argparse.Namespace(l2=0.01, natural_weight=1.0, named_weight=1.0, write=False,
                              out=out, why="zz_new fitted alone")
    write_adjustments(groups, ["zz_new"], args)
    shipped = json.loads(ranker.RANKER_FILE.read_text())
    written = json.loads(out.read_text())
    assert written["weights"] == shipped["weights"]
    # three of four groups pick the candidate with zz_new against a held lm weight
    lm = ranker.ranker_weights()["lm"]
    assert written["adjustments"]["add"]["zz_new"] > lm + 0.5
    assert written["adjustments"]["why"].endswith("zz_new fitted alone")
