"""v7 delivery features (latency, repeat of the previous Shown suggestion) on CUPS rows,
and the small-data (other engines') gradient boosting that serves them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from tact.models.evaluation.synthetic import synthetic_cups_events
from tact.models.features import SCHEMA
from tact.models.features.cups import CupsFeaturizer, featurize_cups, featurize_cups_session
from tact.models.features.delivery import MAX_LATENCY_SECONDS, delivery_features

V7 = ("sug_latency", "sug_has_latency", "sug_repeats_shown")
CUPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "cups" / "sessions.jsonl"


def _shown(t: str, suggestion: str, prompt: str, issued_ms: float | None) -> dict:
    m = {"meanLogProb": -0.4, "numTokens": 3.0}
    if issued_ms is not None:
        m["timeSinceIssuedMs"] = issued_ms
    return {"session": 7, "time": f"2022-08-08T16:05:{t}Z", "event": "Shown",
            "suggestion": suggestion, "prompt": prompt, "measurements": m}


def _outcome(t: str, kind: str, suggestion: str, prompt: str) -> dict:
    return {"session": 7, "time": f"2022-08-08T16:05:{t}Z", "event": kind,
            "suggestion": suggestion, "prompt": prompt, "measurements": {}}


def test_delivery_features_neutral_without_inputs() -> None:
    f = delivery_features("x = 1")
    assert f == {"sug_latency": 0.0, "sug_has_latency": 0.0, "sug_repeats_shown": 0.0}
    assert delivery_features("x", float("nan"))["sug_has_latency"] == 0.0
    assert delivery_features("x", -1.0)["sug_has_latency"] == 0.0
    late = delivery_features("x", 10 * MAX_LATENCY_SECONDS)
    assert late["sug_latency"] == MAX_LATENCY_SECONDS and late["sug_has_latency"] == 1.0


def test_repeat_means_contained_in_the_previous_shown_text() -> None:
    assert delivery_features("range(n)", last_shown="for i in range(n):")["sug_repeats_shown"] == 1
    assert delivery_features("  range(n)\n", last_shown="range(n)")["sug_repeats_shown"] == 1
    assert delivery_features("range(m)", last_shown="for i in range(n):")["sug_repeats_shown"] == 0
    # Whitespace-only text repeats nothing; the first suggestion has no predecessor.
    assert delivery_features("   ", last_shown="   ")["sug_repeats_shown"] == 0
    assert delivery_features("range(n)", last_shown=None)["sug_repeats_shown"] == 0


def test_cups_replay_fills_latency_and_repeat_from_the_past_only() -> None:
    p = "import numpy as np\nx = np."
    events = [
        _shown("10.000", "zeros(3)", p, 350.0),
        _outcome("11.000", "Rejected", "zeros(3)", p),
        _shown("11.010", "zeros(3)", p, 2500.0),  # the same text shown again
        _outcome("12.000", "Rejected", "zeros(3)", p),
        _shown("12.500", "ones(3)", p + "o", None),  # no latency recorded
    ]
    rows = [f for _, f in featurize_cups_session(events)]
    assert [r["sug_repeats_shown"] for r in rows] == [0.0, 1.0, 0.0]
    assert rows[0]["sug_latency"] == pytest.approx(0.35)
    assert rows[1]["sug_latency"] == pytest.approx(2.5)
    assert rows[2]["sug_has_latency"] == 0.0 and rows[2]["sug_latency"] == 0.0
    # A later Shown event with another text does not reach back into earlier rows.
    more = [*events, _outcome("13.000", "Accepted", "ones(3)", p + "o"),
            _shown("14.000", "ones(3)", p + "ones(3)", 300.0)]
    again = [f for _, f in featurize_cups_session(more)]
    assert again[:3] == rows and again[3]["sug_repeats_shown"] == 1.0


def test_every_cups_path_gives_the_same_v7_features(tmp_path) -> None:
    from tact.telemetry.cups import cups_decisions, read_cups_events

    events = synthetic_cups_events(n_sessions=2, decisions_per_session=15, seed=11)
    # Repeat some suggestions verbatim so the repeat feature is exercised.
    last: dict[object, str] = {}
    for i, e in enumerate(events):
        if e["event"] == "Shown":
            if i % 3 == 0 and e["session"] in last:
                e["suggestion"] = last[e["session"]]
            last[e["session"]] = e["suggestion"]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    decisions = list(cups_decisions(read_cups_events(path)))
    inc = CupsFeaturizer()
    fast = [inc(d) for d in decisions]
    slow = [featurize_cups(d) for d in decisions]
    assert [[f[k] for k in V7] for f in fast] == [[f[k] for k in V7] for f in slow]
    assert all(f["sug_has_latency"] == 1.0 for f in fast)
    assert any(f["sug_repeats_shown"] == 1.0 for f in fast)
    for session in (0, 1):
        replayed = [f for _, f in featurize_cups_session(e for e in events
                                                        if e["session"] == session)]
        ours = [f for d, f in zip(decisions, fast, strict=True) if d.session == session]
        assert replayed == ours


def test_schema_v7_columns_are_stage2_only_and_log_scaled() -> None:
    s1, s2 = SCHEMA.columns(1), SCHEMA.columns(2)
    for name in V7:
        assert name in s2 and name not in s1
    f = {**delivery_features("x", 3.0, "x"), "sug_engine": "copilot"}
    v = SCHEMA.vectorize(f, 2)
    assert v[s2.index("sug_latency")] == pytest.approx(math.log1p(3.0))
    assert v[s2.index("sug_has_latency")] == 1.0 and v[s2.index("sug_repeats_shown")] == 1.0
    # Rows without them (tact's own telemetry so far) get the neutral zeros.
    w = SCHEMA.vectorize({"sug_engine": "tact"}, 2)
    assert all(w[s2.index(n)] == 0.0 for n in V7)


def test_small_data_trees_export_to_onnx_exactly() -> None:
    """The other engines' (small-data) model, boosted trees with monotone constraints
    blended with a logistic regression, gives the same probabilities in onnxruntime as
    in scikit-learn."""
    import onnxruntime as ort
    from tact.models.gate.estimators import (
        CalibratedGate,
        LogitBlend,
        fit_estimator,
        make_estimator,
    )
    from tact.models.gate.estimators import logit as logit_of
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    cols = SCHEMA.columns(2)
    n = 400
    X = np.zeros((n, len(cols)), dtype=np.float32)
    j_score, j_lat = cols.index("sug_score"), cols.index("sug_latency")
    X[:, j_score] = rng.normal(-0.6, 0.3, n)
    X[:, j_lat] = np.log1p(rng.exponential(0.5, n))
    X[:, cols.index("sug_repeats_shown")] = rng.random(n) < 0.2
    logit = 3 * (X[:, j_score] + 0.6) - 0.8 * X[:, j_lat]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = make_estimator("hgb", 0, n, cols)
    with threadpool_limits(1):  # 2 shared cores: OpenMP threads only oversubscribe
        fit_estimator(model, X, y, None)
    # Small data: the trees' log-odds blended with the logistic regression's.
    assert isinstance(model, LogitBlend) and 0.0 < model.weight < 0.5
    z_trees = logit_of(model.trees.predict_proba(X)[:, 1])
    z_line = logit_of(model.linear.predict_proba(X)[:, 1])
    assert np.abs(z_trees - z_line).max() > 0.1  # two different models ...
    np.testing.assert_allclose(model.logit(X), (1 - model.weight) * z_trees
                               + model.weight * z_line)  # ... whose log-odds are mixed
    gate = CalibratedGate(base=model, a=1.1, b=-0.2, name="hgb")
    sess = ort.InferenceSession(gate.to_onnx(len(cols)).SerializeToString(),
                                providers=["CPUExecutionProvider"])
    got = sess.run(None, {"features": X})[0]
    np.testing.assert_allclose(got, gate.predict_proba(X), atol=1e-5)
    # It learned the planted signal: more probable suggestions score higher.
    assert np.corrcoef(gate.predict_proba(X), X[:, j_score])[0, 1] > 0.3


@pytest.mark.skipif(not CUPS.is_file(), reason="CUPS data not found at ../shared/data/cups")
def test_real_cups_rows_have_latency_and_some_repeats() -> None:
    from tact.models.gate.data import from_cups

    data = from_cups(CUPS)
    lat = np.array([f["sug_latency"] for f in data.features])
    rep = np.array([f["sug_repeats_shown"] for f in data.features])
    assert np.mean([f["sug_has_latency"] for f in data.features]) > 0.95
    assert 0.05 < np.median(lat) < 5.0  # Copilot answers in a fraction of a second
    assert 0.02 < rep.mean() < 0.5  # re-shown text happens, but is not the rule


def test_serving_path_takes_latency_and_last_shown() -> None:
    """The server's own entry point computes the same columns (one code path)."""
    from tact.models.features.api import request_features
    from tact.models.features.state import ProgrammerState

    prefix = "import os\npath = os."
    f = request_features(prefix, "", "python", ProgrammerState(), 5.0, "getcwd()", -0.2, 3,
                         latency=0.25, last_shown="path = os.getcwd()")
    assert f["sug_latency"] == 0.25 and f["sug_has_latency"] == 1.0
    assert f["sug_repeats_shown"] == 1.0
    g = request_features(prefix, "", "python", ProgrammerState(), 5.0, "getcwd()", -0.2, 3)
    assert all(g[k] == 0.0 for k in V7)
    assert {k: v for k, v in f.items() if k not in V7} == {
        k: v for k, v in g.items() if k not in V7}
