"""Stage 2 routed on the suggestion's engine: one sub-model per engine, one ONNX file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tact.models.evaluation.synthetic import synthetic_cups_events
from tact.models.gate import GateModel
from tact.models.gate.data import GateDataset, from_cups
from tact.models.gate.estimators import CalibratedGate, RoutedGate
from tact.models.gate.modeldir import save_model
from tact.models.gate.train import ROUTE_FEATURE, ROUTE_FEATURES, GateTrainer, TrainedGate


def _tact_twin(cups: GateDataset) -> GateDataset:
    """The same decisions as if tact's engine had made them, with the opposite
    outcomes: a relation no single shared model can fit for both engines."""
    # tact's engine fills the v8 engine-path columns (other engines never do)
    feats = [{**f, "sug_engine": "tact", "ctx_eng_has_stats": 1.0,
              "eng_path_min_depth": float(4 * (1 - y) + i % 3),
              "ctx_eng_roll_path_min_depth": float(4 * (1 - y) + i % 3)}
             for i, (f, y) in enumerate(zip(cups.features, cups.y, strict=True))]
    return GateDataset(
        features=feats,
        y=1 - cups.y,
        groups=np.asarray([f"tact-{g}" for g in cups.groups]),
        weights=cups.weights.copy(),
        ids=[f"tact-{i}" for i in cups.ids],
        times=cups.times.copy(),
        sources=["replay"] * len(cups),
    )


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> GateDataset:
    path = tmp_path_factory.mktemp("cups") / "sessions.jsonl"
    events = synthetic_cups_events(n_sessions=8, decisions_per_session=30, seed=3)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    cups = from_cups(path)
    return GateDataset.concat([cups, _tact_twin(cups)])


@pytest.fixture(scope="module")
def trained(mixed: GateDataset) -> TrainedGate:
    return GateTrainer(n_splits=4, seed=0).fit(mixed)


def test_stage2_is_routed_when_both_engines_have_data(trained: TrainedGate) -> None:
    model = trained.stages[2].model
    assert isinstance(model, RoutedGate)
    assert model.route_name == ROUTE_FEATURE
    # stage 1 is routed on whether the engine gave pre-generation statistics
    s1 = trained.stages[1].model
    assert isinstance(s1, RoutedGate) and s1.route_name == ROUTE_FEATURES[1]
    assert any(k.startswith("on:") for k in trained.stages[2].candidates)
    assert any(k.startswith("off:") for k in trained.stages[2].candidates)


def test_each_row_gets_its_engines_model(trained: TrainedGate, mixed: GateDataset) -> None:
    model = trained.stages[2].model
    assert isinstance(model, RoutedGate)
    X = mixed.matrix(2)
    on = np.array([f["sug_engine"] == "tact" for f in mixed.features])
    p = model.predict_proba(X)
    np.testing.assert_allclose(p[on], model.on.predict_proba(X[on]))
    np.testing.assert_allclose(p[~on], model.off.predict_proba(X[~on]))
    # The twins have opposite outcomes: each side ranks its own engine's rows well.
    auc_on = _auc(mixed.y[on], p[on])
    auc_off = _auc(mixed.y[~on], p[~on])
    assert auc_on > 0.6 and auc_off > 0.6


def test_routed_onnx_equals_sklearn(
    trained: TrainedGate, mixed: GateDataset, tmp_path: Path
) -> None:
    save_model(trained, tmp_path)
    card = json.loads((tmp_path / "card.json").read_text())
    assert card["stages"]["2"]["model"].startswith("routed(")
    loaded = GateModel.load(tmp_path)
    for stage in (1, 2):
        X = mixed.matrix(stage)
        np.testing.assert_allclose(
            loaded.predict_vector(X, stage), trained.stages[stage].model.predict_proba(X),
            atol=1e-5,
        )


def test_one_engine_only_is_not_routed(mixed: GateDataset) -> None:
    cups_only = mixed.subset(np.flatnonzero([f["sug_engine"] != "tact" for f in mixed.features]))
    result = GateTrainer(n_splits=4, seed=0).fit(cups_only)
    assert isinstance(result.stages[2].model, CalibratedGate)
    assert isinstance(result.stages[1].model, CalibratedGate)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def test_engine_side_keeps_the_acceptance_rate_features(trained: TrainedGate,
                                                         mixed: GateDataset) -> None:
    """By default the acceptance-rate features are blanked for the other engines'
    model (they did not carry over between CUPS programmers) but kept for tact's own
    engine (ENGINE_DEFAULT_EXCLUDED): moving them moves only tact rows' P(accept)."""
    from tact.models.gate.train import DEFAULT_EXCLUDED, ENGINE_DEFAULT_EXCLUDED

    assert trained.training["excluded_features"] == list(DEFAULT_EXCLUDED)
    assert trained.training["engine_excluded_features"] == list(ENGINE_DEFAULT_EXCLUDED)
    on = np.array([f["sug_engine"] == "tact" for f in mixed.features])
    rates = [{**f, "st_accept_rate_k": 0.95, "st_accept_rate_session": 0.95,
              "st_outcomes_k": 10.0} for f in mixed.features]
    model = trained.stages[1].model  # stage 1: state features matter most before generating
    assert isinstance(model, RoutedGate)
    before = model.predict_proba(mixed.matrix(1))
    moved = GateDataset(
        features=rates, y=mixed.y, groups=mixed.groups, weights=mixed.weights, ids=mixed.ids,
        times=mixed.times, sources=mixed.sources,
    )
    after = model.predict_proba(moved.matrix(1))
    np.testing.assert_array_equal(before[~on], after[~on])
    assert np.abs(before[on] - after[on]).max() > 0


def test_subsampling_keeps_a_small_side_routed(mixed: GateDataset) -> None:
    """Much more replay than CUPS data: the validation subsample keeps every row of
    the small side (a uniform one would keep about 70 of 240, too few to route)."""
    from tact.models.gate.train import MIN_ROUTE_ROWS, balanced_sample, route_strata

    on = np.flatnonzero([f["sug_engine"] == "tact" for f in mixed.features])
    cups = mixed.subset(np.flatnonzero([f["sug_engine"] != "tact" for f in mixed.features]))
    copies = []
    for k in range(10):
        twin = mixed.subset(on)
        twin.groups = np.asarray([f"{g}-{k}" for g in twin.groups])
        copies.append(twin)
    big = GateDataset.concat([*copies, cups])
    strata = route_strata(big.matrix(2))
    picked = balanced_sample(strata, 800, np.random.default_rng(0))
    assert len(picked) == len(set(picked.tolist())) == 800
    assert (strata[picked] == strata[-1]).sum() == len(cups) >= MIN_ROUTE_ROWS
    result = GateTrainer(n_splits=4, seed=0, max_validation_rows=800).fit(big)
    assert result.training["validation_rows"] == 800
    assert isinstance(result.stages[1].model, RoutedGate)
    assert isinstance(result.stages[2].model, RoutedGate)


def test_engine_side_ignores_the_repeat_of_the_last_shown(trained: TrainedGate,
                                                          mixed: GateDataset) -> None:
    """``sug_repeats_shown`` is recorded for every decision but blanked for tact's own
    engine (ENGINE_DEFAULT_EXCLUDED): flipping it leaves tact rows' P(accept) as is."""
    on = np.array([f["sug_engine"] == "tact" for f in mixed.features])
    flipped = [{**f, "sug_repeats_shown": 1.0 - float(f.get("sug_repeats_shown", 0.0))}
               for f in mixed.features]
    model = trained.stages[2].model
    assert isinstance(model, RoutedGate)
    moved = GateDataset(
        features=flipped, y=mixed.y, groups=mixed.groups, weights=mixed.weights, ids=mixed.ids,
        times=mixed.times, sources=mixed.sources,
    )
    np.testing.assert_array_equal(model.predict_proba(mixed.matrix(2))[on],
                                  model.predict_proba(moved.matrix(2))[on])


def test_cups_model_is_trained_without_the_engine_path_columns(mixed: GateDataset) -> None:
    """v8's engine-path columns are zero for other engines' rows: a model of such rows
    does not get them at all, so it is exactly the model of the v7 columns (the small
    trees' per-split feature sampling depends on the column count)."""
    from tact.models.features import SCHEMA
    from tact.models.features.schema import ENGINE_PATH_FEATURES
    from tact.models.gate.estimators import fit_estimator, make_estimator
    from tact.models.gate.train import DEFAULT_EXCLUDED, blank, excluded_columns, unfilled_mask

    cups = mixed.subset(np.flatnonzero([f["sug_engine"] != "tact" for f in mixed.features]))
    result = GateTrainer(n_splits=4, seed=0, candidates=("hgb",)).fit(cups)
    X = blank(cups.matrix(2), excluded_columns(2, DEFAULT_EXCLUDED))
    keep = unfilled_mask(2, X)
    assert keep is not None
    names = SCHEMA.columns(2)
    assert sorted(n for n, k in zip(names, keep, strict=True) if not k) == sorted(
        n for n in names if n in ENGINE_PATH_FEATURES)
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    direct = fit_estimator(make_estimator("hgb", 0, len(X), kept), X[:, keep], cups.y,
                           cups.weights)
    model = result.stages[2].model
    assert isinstance(model, CalibratedGate)
    np.testing.assert_allclose(model.base.predict_proba(X)[:, 1],
                               direct.predict_proba(X[:, keep])[:, 1])
    # rows that fill them keep them
    filled = X.copy()
    filled[:, names.index("eng_path_min_depth")] = np.arange(len(X)) % 5
    assert unfilled_mask(2, filled) is not None
    assert unfilled_mask(2, filled)[names.index("eng_path_min_depth")]


def test_engine_path_columns_reach_the_engine_side_only(trained: TrainedGate,
                                                         mixed: GateDataset) -> None:
    """Tact rows fill the v8 columns: the engine side uses them, the CUPS side has no
    such column (its ONNX equality with scikit-learn: test_routed_onnx_equals_sklearn)."""
    from tact.models.features import SCHEMA

    model = trained.stages[2].model
    assert isinstance(model, RoutedGate)
    on = np.array([f["sug_engine"] == "tact" for f in mixed.features])
    X = mixed.matrix(2)
    moved = X.copy()
    moved[:, SCHEMA.columns(2).index("eng_path_min_depth")] = 9.0
    p, q = model.predict_proba(X), model.predict_proba(moved)
    np.testing.assert_array_equal(p[~on], q[~on])
    assert np.abs(p[on] - q[on]).max() > 0
