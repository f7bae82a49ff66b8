"""Evaluation metrics: the hiding curve, operating points, calibration table."""

from __future__ import annotations

import numpy as np
import pytest
from tact.models.evaluation import metrics


def test_hiding_curve_counts_what_a_threshold_hides() -> None:
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9])
    curve = metrics.hiding_curve(y, p)
    assert curve[0].threshold == pytest.approx(0.1) and curve[0].hidden_percent == 0.0
    at_035 = next(c for c in curve if c.threshold == pytest.approx(0.35))
    assert at_035.rejected_hidden_percent == pytest.approx(75.0)  # 3 of 4 rejected
    assert at_035.accepted_hidden_percent == 0.0
    assert curve[-1].hidden_percent == pytest.approx(100.0)
    op = metrics.operating_point(y, p, 25.0)  # may hide one of four accepted
    assert op.accepted_hidden_percent == pytest.approx(25.0)
    assert op.rejected_hidden_percent == pytest.approx(100.0)
    assert op.threshold == pytest.approx(0.6)
    same = metrics.at_threshold(y, p, op.threshold)
    assert same == op


def test_weights_count_like_repeated_rows() -> None:
    y = np.array([0, 1, 0, 1])
    p = np.array([0.1, 0.2, 0.3, 0.8])
    w = np.array([1.0, 1.0, 3.0, 1.0])
    y_rep = np.array([0, 1, 0, 0, 0, 1])
    p_rep = np.array([0.1, 0.2, 0.3, 0.3, 0.3, 0.8])
    assert metrics.auc(y, p, w) == pytest.approx(metrics.auc(y_rep, p_rep))
    a = metrics.operating_point(y, p, 50.0, w)
    b = metrics.operating_point(y_rep, p_rep, 50.0)
    assert a.rejected_hidden_percent == pytest.approx(b.rejected_hidden_percent)


def test_utility_threshold_and_summary() -> None:
    assert metrics.utility_threshold(1.0, 0.2) == pytest.approx(1 / 6)
    with pytest.raises(ValueError):
        metrics.utility_threshold(0.0, 0.0)
    rng = np.random.default_rng(0)
    p = rng.uniform(size=2000)
    y = (rng.uniform(size=2000) < p).astype(int)  # perfectly calibrated by construction
    s = metrics.summary(y, p)
    assert 0.7 < s["auc"] < 0.9
    assert set(s["operating_points"]) == {"1", "5", "10"}
    for row in metrics.calibration_bins(y, p, 10):
        assert abs(row["mean_p"] - row["rate"]) < 0.1
    assert metrics.auc(np.ones(5), np.linspace(0, 1, 5)) is None
