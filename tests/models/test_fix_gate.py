"""The fix gate: features of real fixes, training from a real store, ONNX fidelity,
refusing bad model files, nested evaluation."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from tact.models.features.fix import FIX_SCHEMA, fix_features, operator_family, token_class
from tact.models.gate.errors import ModelLoadError, TrainingError
from tact.models.gate.fixes import (
    FIX_CARD_FILE,
    FIX_MODEL_FILE,
    MIN_FIX_DECISIONS,
    FixModel,
    FixTrainer,
    TrainedFixModel,
    evaluate_fix_gate,
    fix_dataset,
    load_fix_data,
    save_fix_model,
)
from tact.server.fixes.gating import FixGate, FixVerdict, fix_decision
from tact.server.fixes.syntax import syntax_fixes
from tact.server.fixes.types import Fix, Problem, Span
from tact.telemetry.records import Outcome
from tact.telemetry.store import open_store

BROKEN = "def area(w, h)\n    return w * h\n"


def _fix(rng: random.Random, kind: str, score: float) -> Fix:
    op = rng.choice(["insert ':'", "delete ')'", "replace '=' with '=='", "indent to 4"])
    if kind == "test":
        op = rng.choice(["comparison", "off-by-one", "name", "return"])
    new = rng.choice([":", "", "==", "    ", "x + 1"])
    problem = Problem(Span(0, 0, 0, 5), "broken", kind)
    return Fix(span=Span(0, 3, 0, 3 + rng.randint(0, 3)), new_text=new,
               fixed_source="x = 1\n" * rng.randint(2, 40), operator=op,
               edit_size=len(new) + rng.randint(0, 3), title="Fix: " + op,
               explanation="Runtime values at line 2" * rng.randint(0, 1), validated=True,
               validation="compiles" if kind == "syntax" else "tests+probes", score=score,
               problem=problem, tests_fixed=["t1"] if kind == "test" else [],
               tests_kept=["t2"] * rng.randint(0, 5) if kind == "test" else [])


def synthetic_fix_decisions(n_problems: int, seed: int = 0) -> list:
    """Problems with up to 3 ranked fixes; the first is applied more often, and more
    often when it is the only candidate or an insertion / comparison repair."""
    rng = random.Random(seed)
    gate = FixGate()
    out = []
    for i in range(n_problems):
        kind = rng.choice(["syntax", "test"])
        scores = sorted((rng.gauss(0, 2) for _ in range(rng.randint(1, 3))), reverse=True)
        fixes = [_fix(rng, kind, s) for s in scores]
        for rank, f in enumerate(fixes):
            v = gate.decide(f, rank=rank, siblings=fixes, precision="standard",
                            gate_settings=None, rng=rng)  # type: ignore[arg-type]
            clear = len(fixes) == 1 or v.features["fix_family"] in ("insert", "comparison")
            p = 0.15 + 0.7 * (rank == 0) * clear
            ok = rng.random() < p
            out.append(fix_decision(f"d{i}-{rank}", f"s{i % 40}", f, v, document_hash=f"doc{i}",
                                    when=1000.0 + i,
                                    outcome=Outcome.ACCEPTED if ok else Outcome.REJECTED))
    return out


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fixdb') / 'telemetry.db'}"
    with open_store(url) as store:
        store.record_many(synthetic_fix_decisions(300, seed=1))
    return url


@pytest.fixture(scope="module")
def trained(store_url: str) -> TrainedFixModel:
    return FixTrainer(n_splits=4, seed=0).fit(load_fix_data([store_url]))


@pytest.fixture(scope="module")
def model_dir(trained: TrainedFixModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixmodel")
    save_fix_model(trained, out)
    return out


def test_features_of_real_syntax_fixes_fill_the_schema() -> None:
    fixes = syntax_fixes(BROKEN, max_fixes=3)
    assert fixes and fixes[0].fixed_source.startswith("def area(w, h):")
    feats = fix_features(fixes[0], rank=0, siblings=fixes, precision="standard")
    assert feats["fix_kind"] == "syntax" and feats["fix_family"] == "insert"
    assert feats["fix_token_class"] == "colon" and feats["fix_edit_size"] == 1
    assert feats["fix_candidates"] == len(fixes)
    if len(fixes) > 1:  # the best fix leads the runner-up
        assert feats["fix_score_margin"] == pytest.approx(fixes[0].score - fixes[1].score,
                                                          abs=1e-3)
    # every schema feature is computed (none left to its default by a typo)
    assert set(FIX_SCHEMA.names) <= set(feats)
    x = FIX_SCHEMA.vectorize(feats)
    assert x.shape == (FIX_SCHEMA.width,)
    assert x[FIX_SCHEMA.columns.index("fix_family=insert")] == 1.0
    assert x[FIX_SCHEMA.columns.index("fix_token_class=colon")] == 1.0
    # training (many rows) and serving (one row) vectorize identically
    np.testing.assert_array_equal(FIX_SCHEMA.vectorize_many([feats, feats])[1], x)


def test_operator_families_and_token_classes() -> None:
    assert operator_family("insert ')'", "syntax") == "insert"
    assert operator_family("insert name", "syntax") == "insert-name"
    assert operator_family("indent to 4", "syntax") == "indent"
    assert operator_family("off-by-one", "test") == "off-by-one"
    assert [token_class(t) for t in (":", ")", "'", "return", "x1", "42", "a b", "")] == [
        "colon", "paren", "quote", "keyword", "name", "number", "mixed", "none"]
    # an unknown category lands in the "other" column, never widens the vector
    x = FIX_SCHEMA.vectorize({"fix_family": "brand-new-operator"})
    assert x[FIX_SCHEMA.columns.index("fix_family=other")] == 1.0


def test_dataset_labels_hidden_rows_and_ipw(store_url: str) -> None:
    rng = random.Random(0)
    f = _fix(rng, "syntax", 1.0)
    feats = fix_features(f)
    hidden = fix_decision("h", "s", f, FixVerdict(False, feats, 0.05, 0.05), document_hash="d",
                          when=1.0)
    explored = fix_decision("e", "s", f, FixVerdict(True, feats, 0.05, 0.1, True),
                            document_hash="d", when=2.0, outcome=Outcome.ACCEPTED)
    pending = fix_decision("p", "s", f, FixVerdict(True, feats), document_hash="d", when=3.0)
    data = fix_dataset([hidden, explored, pending])
    assert data.ids == ["e"] and data.y.tolist() == [1]
    assert data.weights.tolist() == [pytest.approx(10.0)]  # 1 / propensity
    assert data.skipped == {"hidden": 1, "outcome unknown": 1}
    # every labelled fix of the store comes back, with the features it was recorded with
    stored = load_fix_data([store_url])
    assert len(stored) == len(synthetic_fix_decisions(300, seed=1))
    assert all("fix_family" in f for f in stored.features)


def test_too_little_fix_data_is_refused_with_the_minimum() -> None:
    data = fix_dataset(synthetic_fix_decisions(8, seed=3))
    with pytest.raises(TrainingError, match=f"at least {MIN_FIX_DECISIONS}"):
        FixTrainer().fit(data)


def test_training_validates_by_session_and_learns_the_signal(trained: TrainedFixModel) -> None:
    assert trained.validation["auc"] > 0.7  # out-of-fold, sessions held out
    assert trained.training["folds"] == 4
    # thresholds hide more as the budget of applied fixes hidden grows
    assert trained.threshold_for(1.0) <= trained.threshold_for(10.0)


def test_onnx_matches_sklearn(trained: TrainedFixModel, model_dir: Path,
                              store_url: str) -> None:
    model = FixModel.load(model_dir)
    data = load_fix_data([store_url])
    onnx_p = model.predict_many(data.features)
    sk_p = trained.model.predict_proba(data.matrix())
    assert np.abs(onnx_p - sk_p).max() < 1e-5
    assert model.predict(data.features[0]) == pytest.approx(float(sk_p[0]), abs=1e-5)
    card = json.loads((model_dir / FIX_CARD_FILE).read_text())
    assert card["schema"]["columns"] == FIX_SCHEMA.columns
    assert model.threshold_for(2, 5.0) == pytest.approx(
        card["thresholds"]["max_accepted_hidden"]["5"]["threshold"])
    assert not (model_dir / "card.json").exists()  # the completion gate's files untouched


def test_corrupt_or_foreign_fix_model_is_refused(model_dir: Path, tmp_path: Path) -> None:
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(model_dir, bad)
    blob = bytearray((bad / FIX_MODEL_FILE).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (bad / FIX_MODEL_FILE).write_bytes(bytes(blob))
    with pytest.raises(ModelLoadError, match="checksum differs"):
        FixModel.load(bad)
    (bad / FIX_CARD_FILE).write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable fix model card"):
        FixModel.load(bad)
    card = json.loads((model_dir / FIX_CARD_FILE).read_text())
    card["schema"]["version"] = "999"
    (bad / FIX_CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="retrain the fix model"):
        FixModel.load(bad)
    with pytest.raises(ModelLoadError, match="missing"):
        FixModel.load(tmp_path / "nothing-here")


def test_gate_hides_low_and_explores_with_propensity(model_dir: Path) -> None:
    gate = FixGate()
    assert gate.refresh(str(model_dir))
    fixes = syntax_fixes(BROKEN, max_fixes=3)

    class Settings:
        enabled, mode, benefit, cost = True, "utility", 1.0, 0.2
        max_accepted_hidden_percent, exploration = 5.0, 0.0

    v = gate.decide(fixes[0], rank=0, siblings=fixes, precision="standard",
                    gate_settings=Settings, rng=random.Random(0))
    assert v.p_accept is not None and v.model_version == gate.model.version
    assert v.show == (v.p_accept >= 1.0 / 6.0)
    Settings.cost = 1e6  # nothing is worth showing: hidden unless explored
    Settings.exploration = 0.5
    verdicts = [gate.decide(fixes[0], rank=0, siblings=fixes, precision="standard",
                            gate_settings=Settings, rng=random.Random(i)) for i in range(40)]
    explored = [x for x in verdicts if x.show]
    assert explored and all(x.explored and x.propensity == 0.5 for x in explored)
    assert all(x.propensity == 0.5 and not x.explored for x in verdicts if not x.show)
    Settings.enabled = False  # the gate switched off: every fix shown, P still logged
    off = gate.decide(fixes[0], rank=0, siblings=fixes, precision="standard",
                      gate_settings=Settings, rng=random.Random(0))
    assert off.show and off.p_accept == v.p_accept and off.propensity == 1.0


def test_nested_evaluation_scores_held_out_sessions(store_url: str) -> None:
    data = load_fix_data([store_url])
    r = evaluate_fix_gate(data, cost=1.0, n_splits=3)
    assert r["folds"] == 3 and r["folds_with_model"] == 3
    assert r["held_out_auc"] > 0.7
    assert r["shown"] < r["fixes"]  # it hides some at cost = benefit
    assert r["right_share_after"] > r["right_share_before"]
    assert r["problems"] == 300


def test_cli_trains_the_fix_model_or_says_why_not(store_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "model"
    r = subprocess.run([sys.executable, "-m", "tact", "model", "train", "--telemetry",
                        store_url, "--fix-model", "only", "--out", str(out), "--folds", "3"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "fix model:" in r.stdout and "validation AUC" in r.stdout
    assert FixModel.load(out).card["data"]["decisions"] == len(load_fix_data([store_url]))
    few = f"sqlite:///{tmp_path / 'few.db'}"
    with open_store(few) as store:
        store.record_many(synthetic_fix_decisions(5, seed=2))
    r = subprocess.run([sys.executable, "-m", "tact", "model", "train", "--telemetry", few,
                        "--fix-model", "only", "--out", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert f"need at least {MIN_FIX_DECISIONS}" in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "none" / FIX_MODEL_FILE).exists()


def test_excluded_score_features_do_not_move_predictions(model_dir: Path,
                                                         trained: TrainedFixModel) -> None:
    assert "fix_score" in trained.training["excluded_features"]
    model = FixModel.load(model_dir)
    feats = fix_features(syntax_fixes(BROKEN, max_fixes=3)[0])
    p = model.predict(feats)
    assert model.predict({**feats, "fix_score": 50.0, "fix_score_margin": -9.0}) == p
    assert model.predict({**feats, "fix_rank": 2}) != p  # a used feature does move it


def test_train_fix_if_enough_writes_only_with_enough_labels(store_url: str,
                                                           tmp_path: Path) -> None:
    from tact.models.gate.fixes import train_fix_if_enough

    few = f"sqlite:///{tmp_path / 'few.db'}"
    with open_store(few) as store:
        store.record_many(synthetic_fix_decisions(5, seed=4))
    assert train_fix_if_enough(tmp_path / "a", telemetry=[few]) is None
    assert not (tmp_path / "a" / FIX_CARD_FILE).exists()
    card = train_fix_if_enough(tmp_path / "b", telemetry=[store_url])
    assert card is not None and FixModel.load(tmp_path / "b").version == card["version"]
