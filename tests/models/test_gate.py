"""The gate: session splits, IPW, ONNX fidelity, model directory checks, policy."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from tact.models.evaluation.synthetic import synthetic_cups_events
from tact.models.features import SCHEMA
from tact.models.gate import GateModel, GatePolicy, LearnedGate, ModelLoadError, TrainingError
from tact.models.gate.data import GateDataset, from_cups, from_decisions, ipw_weight
from tact.models.gate.estimators import CalibratedGate, fit_estimator, make_estimator
from tact.models.gate.modeldir import save_model
from tact.models.gate.train import GateTrainer, TrainedGate, group_folds
from tact.telemetry.records import Decision, Outcome, Stage


@pytest.fixture(scope="module")
def cups_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cups") / "sessions.jsonl"
    events = synthetic_cups_events(n_sessions=5, decisions_per_session=30, seed=1)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


@pytest.fixture(scope="module")
def data(cups_file: Path) -> GateDataset:
    return from_cups(cups_file)


@pytest.fixture(scope="module")
def trained(data: GateDataset) -> TrainedGate:
    return GateTrainer(n_splits=5, seed=0).fit(data)


@pytest.fixture(scope="module")
def model_dir(trained: TrainedGate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    save_model(trained, out)
    return out


def test_group_folds_never_split_a_session() -> None:
    rng = np.random.default_rng(0)
    groups = rng.choice([f"s{i}" for i in range(9)], size=500)
    folds = group_folds(groups, n_splits=4, seed=1)
    assert len(folds) == 4
    seen_val = np.zeros(len(groups), dtype=int)
    for tr, va in folds:
        assert not set(groups[tr]) & set(groups[va])
        seen_val[va] += 1
    assert (seen_val == 1).all()  # every decision validated exactly once
    with pytest.raises(TrainingError, match="at least 2 sessions"):
        group_folds(np.array(["only"] * 10))


def _decision(i: int, outcome: Outcome, shown: bool = True, propensity: float | None = None,
              features: dict | None = None) -> Decision:
    return Decision(
        id=f"d{i}", session=f"s{i % 3}", time=float(i), language="python",
        stage=Stage.SHOWN if shown else Stage.HIDDEN, shown=shown, propensity=propensity,
        explored=propensity is not None and propensity < 1, outcome=outcome,
        features=features if features is not None else {"ctx_language": "python",
                                                           "sug_chars": 10.0},
    )


def test_dataset_labels_weights_and_skips() -> None:
    ds = from_decisions([
        _decision(0, Outcome.ACCEPTED),
        _decision(1, Outcome.REJECTED, propensity=0.05),
        _decision(2, Outcome.PARTIAL),
        _decision(3, Outcome.UNKNOWN),
        _decision(4, Outcome.UNKNOWN, shown=False, propensity=0.05),
        _decision(5, Outcome.REJECTED, features={"cups_meanLogProb": -0.3}),
    ])
    assert ds.y.tolist() == [1, 0, 1]
    assert ds.weights.tolist() == [1.0, 20.0, 1.0]
    assert ds.skipped == {"outcome unknown": 1, "hidden or skipped": 1, "no gate features": 1}
    assert ipw_weight(_decision(9, Outcome.REJECTED, propensity=0.001)) == 50.0  # clipped


@pytest.mark.parametrize("name", ["logreg", "hgb"])
def test_inverse_propensity_weights_reach_the_estimator(name: str) -> None:
    """Up-weighting explored accepted rows must raise the predicted acceptance."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    w = np.where(y == 1, 10.0, 1.0)
    plain = fit_estimator(make_estimator(name), X, y, None).predict_proba(X)[:, 1]
    weighted = fit_estimator(make_estimator(name), X, y, w).predict_proba(X)[:, 1]
    assert weighted.mean() > plain.mean() + 0.1


def test_a_weight_of_k_is_k_copies_for_logistic_regression() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=120) > 0).astype(int)
    w = np.ones(120)
    w[:10] = 3.0
    weighted = fit_estimator(make_estimator("logreg"), X, y, w)
    repeated = fit_estimator(make_estimator("logreg"), np.vstack([X, X[:10], X[:10]]),
                             np.concatenate([y, y[:10], y[:10]]), None)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-3)


def test_trainer_uses_propensity_weights(data: GateDataset) -> None:
    heavy = data.subset(np.arange(len(data)))
    heavy.weights = np.where(heavy.y == 1, 20.0, 1.0)
    base = GateTrainer(candidates=("logreg",), n_splits=3).fit(data)
    weighted = GateTrainer(candidates=("logreg",), n_splits=3).fit(heavy)
    X = data.matrix(2)
    raw = [t.stages[2].model.base.predict_proba(X)[:, 1].mean() for t in (base, weighted)]
    assert raw[1] > raw[0] + 0.1
    assert weighted.data_summary["explored"] == int((heavy.y == 1).sum())


def test_onnx_equals_sklearn(model_dir: Path, data: GateDataset, trained: TrainedGate) -> None:
    model = GateModel.load(model_dir)
    for stage in (1, 2):
        X = data.matrix(stage)
        onnx_p = model.predict_vector(X, stage)
        sk_p = trained.stages[stage].model.predict_proba(X)
        np.testing.assert_allclose(onnx_p, sk_p, atol=1e-5)
        assert model.predict(data.features[0], stage) == pytest.approx(float(sk_p[0]), abs=1e-5)


@pytest.mark.parametrize("name,n_rows", [("logreg", None), ("hgb", None), ("hgb", 5000)])
def test_onnx_equals_sklearn_for_each_candidate(
    name: str, n_rows: int | None, data: GateDataset
) -> None:
    """``n_rows`` >= LARGE_DATA_ROWS: the large-data trees, which drop the columns
    that are constant in training (many are: one-hot vocabularies, other engines'
    signals); the exported graph must drop the same ones."""
    import onnxruntime as ort

    X = data.matrix(2)
    model = make_estimator(name, 0, n_rows)
    base = fit_estimator(model, X, data.y, data.weights)
    if n_rows is not None:
        kept = base.named_steps["keep"].get_support()
        assert 0 < kept.sum() < (X.std(axis=0) >= 0).sum()  # some columns were constant
        assert np.array_equal(kept, X.std(axis=0) > 0)
    gate = CalibratedGate(base=base, a=0.8, b=-0.1, name=name)
    sess = ort.InferenceSession(gate.to_onnx(X.shape[1]).SerializeToString(),
                                providers=["CPUExecutionProvider"])
    got = sess.run(None, {"features": X})[0]
    np.testing.assert_allclose(got, gate.predict_proba(X), atol=1e-5)


def test_excluded_features_do_not_move_predictions(model_dir: Path, data: GateDataset) -> None:
    from tact.models.gate.train import DEFAULT_EXCLUDED

    model = GateModel.load(model_dir)
    assert model.card["training"]["excluded_features"] == list(DEFAULT_EXCLUDED)
    row = dict(data.features[3])
    before = model.predict_stage2(row)
    row.update({name: 0.99 for name in DEFAULT_EXCLUDED})
    assert model.predict_stage2(row) == before
    # A used feature does move it (on some row: a tree may leave one row in its leaf).
    moved = [
        model.predict_stage2({**f, "sug_score": -5.0}) != model.predict_stage2(f)
        for f in data.features[:20]
    ]
    assert any(moved)


def test_model_card_contents(model_dir: Path) -> None:
    card = json.loads((model_dir / "card.json").read_text())
    assert card["schema"]["name"] == SCHEMA.name
    assert card["schema"]["version"] == SCHEMA.version
    assert card["schema"]["stage2_columns"] == SCHEMA.columns(2)
    assert card["libraries"]["scikit-learn"] and card["libraries"]["onnxruntime"]
    assert card["data"]["sessions"] == 5
    for stage in ("1", "2"):
        st = card["stages"][stage]
        assert st["model"] in ("logreg", "hgb", "hgb+logreg")
        assert set(st["candidates"]) == {"logreg", "hgb"}
        assert 0.0 <= st["validation"]["auc"] <= 1.0
    thr = card["thresholds"]
    assert thr["utility"]["threshold"] == pytest.approx(0.2 / 1.2)
    five = thr["max_accepted_hidden"]["5"]
    assert 0.0 <= five["stage1"] <= 1.0 and 0.0 <= five["stage2"] <= 1.0


def test_synthetic_signal_is_learned(model_dir: Path) -> None:
    card = json.loads((model_dir / "card.json").read_text())
    assert card["stages"]["2"]["validation"]["auc"] > 0.7  # true continuations win


def _copy(model_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "m"
    shutil.copytree(model_dir, dst)
    return dst


def test_corrupt_onnx_is_refused(model_dir: Path, tmp_path: Path) -> None:
    bad = _copy(model_dir, tmp_path)
    blob = bytearray((bad / "stage2.onnx").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (bad / "stage2.onnx").write_bytes(bytes(blob))
    with pytest.raises(ModelLoadError, match=r"stage2\.onnx: checksum") as err:
        GateModel.load(bad)
    assert "\n" not in str(err.value)


def test_garbage_onnx_with_matching_checksum_is_refused(model_dir: Path, tmp_path: Path) -> None:
    import hashlib

    bad = _copy(model_dir, tmp_path)
    (bad / "stage1.onnx").write_bytes(b"not an onnx model at all")
    card = json.loads((bad / "card.json").read_text())
    card["stages"]["1"]["sha256"] = hashlib.sha256(b"not an onnx model at all").hexdigest()
    (bad / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="onnxruntime cannot load it") as err:
        GateModel.load(bad)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["schema"].update(version="999"), "feature schema"),
        (lambda c: c["schema"].update(name="someone-elses-features"), "feature schema"),
        (lambda c: c["schema"]["stage2_columns"].append("sug_mystery"), "unknown columns"),
        (lambda c: c.update(format_version=99), "card format"),
        (lambda c: c.pop("stages"), "no entry for stage"),
    ],
)
def test_schema_mismatch_is_refused(model_dir: Path, tmp_path: Path, edit, message: str) -> None:
    bad = _copy(model_dir, tmp_path)
    card = json.loads((bad / "card.json").read_text())
    edit(card)
    (bad / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match=message) as err:
        GateModel.load(bad)
    assert "\n" not in str(err.value) and "card.json" in str(err.value)


def test_missing_or_unreadable_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no model directory"):
        GateModel.load(tmp_path / "nowhere")
    (tmp_path / "card.json").write_text("{ not json")
    with pytest.raises(ModelLoadError, match="unreadable model card"):
        GateModel.load(tmp_path)


def test_shipped_default_model_loads() -> None:
    model = GateModel.load()  # the package's default directory
    assert model.card["data"]["sources"].get("cups", 0) > 0
    features = {"ctx_language": "python", "sug_chars": 10.0, "sug_score": -0.1}
    assert 0.0 <= model.predict_stage1(features) <= 1.0
    assert 0.0 <= model.predict_stage2(features) <= 1.0


def test_policy_utility_rule_and_budget(model_dir: Path) -> None:
    model = GateModel.load(model_dir)
    utility = GatePolicy(benefit=1.0, cost=0.25, exploration=0.0)
    assert utility.threshold(2, model) == pytest.approx(0.2)
    assert utility.decide(2, 0.21, model).action == "show"
    hidden = utility.decide(2, 0.19, model)
    assert hidden.action == "hide" and not hidden.show and hidden.propensity == 0.0
    assert utility.threshold(1, model) <= utility.threshold(2, model)
    budget = GatePolicy(mode="maxAcceptedHidden", max_accepted_hidden_percent=5.0, exploration=0)
    assert budget.threshold(2, model) == model.threshold_for(2, 5.0)
    assert budget.threshold(2, model) <= GatePolicy(
        mode="maxAcceptedHidden", max_accepted_hidden_percent=20.0).threshold(2, model)
    assert utility.decide(2, None, model).show  # no probability: let it through
    with pytest.raises(ValueError, match="gate mode"):
        GatePolicy(mode="sometimes")


def test_exploration_shows_a_share_with_propensity(model_dir: Path) -> None:
    model = GateModel.load(model_dir)
    policy = GatePolicy(exploration=0.1, seed=7)
    rng = random.Random(3)
    decisions = [policy.decide(2, 0.01, model, rng) for _ in range(2000)]
    explored = [d for d in decisions if d.explored]
    assert all(d.show and d.propensity == pytest.approx(0.1) for d in explored)
    assert all(not d.show and d.propensity == pytest.approx(0.1)
               for d in decisions if not d.explored)
    assert 150 < len(explored) < 250
    confident = policy.decide(2, 0.99, model, rng)
    assert confident.show and not confident.explored and confident.propensity == 1.0
    again = [GatePolicy(exploration=0.1, seed=7).decide(2, 0.01, model).explored
             for _ in range(3)]
    assert again == [GatePolicy(exploration=0.1, seed=7).decide(2, 0.01, model).explored] * 3


def test_learned_gate_chains_propensity(model_dir: Path, data: GateDataset) -> None:
    gate = LearnedGate(GateModel.load(model_dir), GatePolicy(exploration=0.5, seed=1))
    first = gate.stage1(data.features[0])
    second = gate.stage2(data.features[0], first=first)
    assert first.stage == 1 and second.stage == 2
    assert first.action in ("generate", "skip") and second.action in ("show", "hide")
    assert second.propensity <= first.propensity
    assert gate.model_version == GateModel.load(model_dir).version


def test_training_refuses_unusable_data(data: GateDataset) -> None:
    one_class = data.subset(np.flatnonzero(data.y == 0))
    with pytest.raises(TrainingError, match="same outcome"):
        GateTrainer().fit(one_class)
    with pytest.raises(TrainingError, match="at least"):
        GateTrainer().fit(data.subset(np.arange(5)))
    with pytest.raises(TrainingError, match="unknown model"):
        GateTrainer(candidates=("forest",)).fit(data)


def test_hot_reload_keeps_the_old_model_on_a_bad_one(model_dir: Path, tmp_path: Path,
                                                     trained: TrainedGate) -> None:
    live = _copy(model_dir, tmp_path)
    gate = LearnedGate.load(str(live), GatePolicy(exploration=0.0))
    old = gate.model_version
    assert not gate.maybe_reload()  # nothing changed
    card = json.loads((live / "card.json").read_text())
    card["schema"]["version"] = "999"
    (live / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError):
        gate.maybe_reload()
    assert gate.model_version == old  # still serving the previous model
    assert 0.0 <= gate.stage2({"sug_chars": 3.0}).p_accept <= 1.0
    save_model(trained, live, cost=0.5)  # a good model lands
    assert gate.maybe_reload()
    assert gate.model.card["thresholds"]["utility"]["cost"] == 0.5
    assert gate.reload() == gate.model_version


def test_train_model_one_call(cups_file: Path, tmp_path: Path) -> None:
    from tact.models.gate.modeldir import train_model

    seen: list[float] = []
    card = train_model(tmp_path / "m", cups=[str(cups_file)], candidates=("logreg",),
                       progress=lambda _msg, frac: seen.append(frac))
    assert card["notes"]["sources"] == [f"cups {cups_file}"]
    assert seen and seen[-1] == 1.0
    assert GateModel.load(tmp_path / "m").version == card["version"]
    with pytest.raises(TrainingError):
        train_model(tmp_path / "n", exports=[])
    assert not (tmp_path / "n").exists()


def test_folds_do_not_depend_on_session_labels() -> None:
    """Relabelling sessions (random UUIDs in real telemetry) must not change the folds."""
    rng = np.random.default_rng(1)
    groups = rng.choice([f"s{i}" for i in range(8)], size=300)
    relabel = {f"s{i}": f"{z}" for i, z in enumerate(["zz", "aa", "mm", "bb", "yy", "cc", "xx",
                                                      "dd"])}
    other = np.array([relabel[g] for g in groups])
    a = group_folds(groups, 4, seed=3)
    b = group_folds(other, 4, seed=3)
    assert all((va1 == va2).all() for (_, va1), (_, va2) in zip(a, b, strict=True))
