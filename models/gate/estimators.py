"""Candidate classifiers, Platt calibration, and their ONNX export.

Calibration is done here rather than with ``CalibratedClassifierCV`` because skl2onnx
exports that wrapper wrongly for a Pipeline (and for isotonic calibration): measured
differences up to 0.5 in probability. Instead the calibrator is Platt scaling of the
base model's log-odds, fitted on *out-of-fold* predictions (group folds), and appended
to the exported graph as five plain ONNX operators. :class:`CalibratedGate` computes
the same formula in numpy, so the ONNX output can be checked against it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import has_fit_parameter

CANDIDATES = ("logreg", "hgb")
EPS = 1e-6
INPUT_NAME = "features"
OUTPUT_NAME = "p_accept"
TARGET_OPSET = 17


# From this many training rows on, the boosted trees get more capacity: on replay
# telemetry (thousands of decisions) 16-leaf trees ranked unseen packages better than
# 8-leaf ones (six third-party packages, session folds: stage-2 AUC 0.862 -> 0.866,
# rejected hidden at 5% of accepted hidden 48.6% -> 51.2%); on CUPS (hundreds of
# decisions) bigger trees overfit.
LARGE_DATA_ROWS = 3000


# Prior knowledge for small data: a suggestion its provider finds more probable is
# not less likely to be accepted (and a likelier runner-up makes it less sure). On
# CUPS (session folds) the constrained trees ranked at least as well (AUC 0.772 ->
# 0.781) and cannot learn a reversed score from a few hundred rows.
MONOTONE = {"sug_score": 1, "sug_logprob": 1, "sug_confidence": 1, "sug_alt_logprob": -1}


def make_estimator(
    name: str, seed: int = 0, n_rows: int | None = None, columns: Sequence[str] | None = None
) -> Any:
    """A fresh, unfitted candidate. Regularised for small data (hundreds of rows);
    ``n_rows`` (the training rows, when known) >= LARGE_DATA_ROWS buys bigger trees.
    ``columns`` (the names of X's columns, when known) lets small-data trees take the
    MONOTONE constraints."""
    if name == "logreg":
        return Pipeline(
            [
                ("scale", StandardScaler()),
                ("logreg", LogisticRegression(C=0.02, max_iter=3000)),
            ]
        )
    if name == "hgb" and n_rows is not None and n_rows >= LARGE_DATA_ROWS:
        # Columns constant in the training rows (other engines' signals, unused
        # languages, blanked features: a quarter to a third of them) are dropped
        # before the trees: no split could use them, yet each costs a histogram pass
        # per node. Measured 20-36% faster fits, which pays for fitting on more rows.
        return Pipeline(
            [
                ("keep", VarianceThreshold(0.0)),
                ("hgb", HistGradientBoostingClassifier(
                    max_iter=120,  # as many rounds as the small model: time stays bounded
                    learning_rate=0.08,
                    max_leaf_nodes=16,
                    min_samples_leaf=20,
                    l2_regularization=1.0,
                    max_features=0.5,
                    max_bins=63,
                    early_stopping=False,
                    random_state=seed,
                )),
            ]
        )
    if name == "hgb":
        mono = None
        if columns is not None and any(c in MONOTONE for c in columns):
            mono = [MONOTONE.get(c, 0) for c in columns]
        # Small data is the other engines' side (CUPS: hundreds of decisions from a
        # dozen programmers): 4-leaf trees (at most 3 features interact) over more
        # rounds, and a third of the features per split. On CUPS (v7 features, LOSO and
        # three seeded 5-fold session splits x 4 model seeds) rejected hidden at 5% of
        # accepted hidden 25.3% -> 28.3% on average and 20.6% -> 25.1% at worst, AUC
        # 0.782 -> 0.783: what generalises to a new programmer are a few main effects
        # (the provider's scores, how much was typed, the cursor's line), not the
        # deeper interactions 8-leaf trees found in a dozen sessions.
        return HistGradientBoostingClassifier(
            monotonic_cst=mono,
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=4,
            min_samples_leaf=10,
            l2_regularization=1.0,
            max_features=0.3,  # feature subsampling per split: steadier on small data
            max_bins=63,  # 2.5x faster than 255 bins, no loss measured on CUPS
            early_stopping=False,
            random_state=seed,
        )
    raise ValueError(f"unknown model {name!r} (choose from {', '.join(CANDIDATES)})")


def fit_estimator(model: Any, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> Any:
    """Fit with sample weights routed to every step of a Pipeline (the scaler too, so a
    weight of k acts exactly like k copies of the row)."""
    if w is None:
        return model.fit(X, y)
    if isinstance(model, Pipeline):
        return model.fit(X, y, **{f"{name}__sample_weight": w for name, step in model.steps
                                  if has_fit_parameter(step, "sample_weight")})
    return model.fit(X, y, sample_weight=w)


def raw_proba(model: Any, X: np.ndarray) -> np.ndarray:
    return model.predict_proba(X)[:, 1]


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0 - EPS)
    return np.log(p / (1.0 - p))


def fit_platt(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """(a, b) such that sigmoid(a * logit(p) + b) is calibrated on (p, y)."""
    z = logit(p).reshape(-1, 1)
    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(z, y, sample_weight=w)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def apply_platt(p: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(a * logit(p) + b)))


@dataclass
class CalibratedGate:
    """A fitted base classifier plus Platt calibration: P(accept) for feature rows."""

    base: Any
    a: float
    b: float
    name: str

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated P(accept) per row (1-D, float64)."""
        return apply_platt(raw_proba(self.base, X), self.a, self.b)

    def to_onnx(self, n_features: int) -> Any:
        """The ONNX model: input ``features`` [N, n_features] float32 -> ``p_accept`` [N]."""
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        from skl2onnx import to_onnx
        from skl2onnx.common.data_types import FloatTensorType

        with warnings.catch_warnings():
            # skl2onnx writes boolean tree attributes that protobuf 6 flags (harmless).
            warnings.simplefilter("ignore", DeprecationWarning)
            model = to_onnx(
                self.base,
                initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
                options={id(self.base): {"zipmap": False}},
                target_opset={"": TARGET_OPSET, "ai.onnx.ml": 3},
            )
        graph = model.graph
        prob = next(o.name for o in graph.output if "prob" in o.name)
        consts = {
            "gate_index": np.array(1, dtype=np.int64),
            "gate_lo": np.array(EPS, dtype=np.float32),
            "gate_hi": np.array(1.0 - EPS, dtype=np.float32),
            "gate_one": np.array(1.0, dtype=np.float32),
            "gate_a": np.array(self.a, dtype=np.float32),
            "gate_b": np.array(self.b, dtype=np.float32),
        }
        for name, value in consts.items():
            graph.initializer.append(numpy_helper.from_array(value, name))
        graph.node.extend(
            [
                helper.make_node("Gather", [prob, "gate_index"], ["gate_p1"], axis=1),
                helper.make_node("Clip", ["gate_p1", "gate_lo", "gate_hi"], ["gate_pc"]),
                helper.make_node("Sub", ["gate_one", "gate_pc"], ["gate_q"]),
                helper.make_node("Div", ["gate_pc", "gate_q"], ["gate_odds"]),
                helper.make_node("Log", ["gate_odds"], ["gate_logit"]),
                helper.make_node("Mul", ["gate_logit", "gate_a"], ["gate_az"]),
                helper.make_node("Add", ["gate_az", "gate_b"], ["gate_z"]),
                helper.make_node("Sigmoid", ["gate_z"], [OUTPUT_NAME]),
            ]
        )
        del graph.output[:]
        graph.output.append(helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None]))
        onnx.checker.check_model(model)
        return model


@dataclass
class RoutedGate:
    """Two calibrated gates, one per kind of suggestion engine, picked per row by a
    0/1 column of the feature vector (``route_column``, e.g. ``sug_engine=tact``).

    Why: one set of trees for CUPS (Copilot, hundreds of decisions) and tact's own
    replays (thousands) spends its splits on the larger source; on CUPS sessions it
    never saw, the shared model ranked far worse (AUC 0.71) than a CUPS-only one
    (0.77). Routing on the engine, which is known at decision time, is the same as a
    first split on it, with each side trained, chosen and calibrated on its own data.
    ``on`` serves rows whose column is 1, ``off`` the others (other engines too).
    """

    on: CalibratedGate
    off: CalibratedGate
    route_column: int
    route_name: str

    @property
    def name(self) -> str:
        return f"routed({self.route_name}: {self.on.name} | else {self.off.name})"

    @property
    def a(self) -> dict[str, float]:
        return {"on": self.on.a, "off": self.off.a}

    @property
    def b(self) -> dict[str, float]:
        return {"on": self.on.b, "off": self.off.b}

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        on = np.asarray(X)[:, self.route_column] > 0.5
        out = np.empty(len(on), dtype=np.float64)
        if on.any():
            out[on] = self.on.predict_proba(X[on])
        if (~on).any():
            out[~on] = self.off.predict_proba(X[~on])
        return out

    def to_onnx(self, n_features: int) -> Any:
        """Both gates' graphs side by side on the one input, and ``Where`` on the
        route column picks each row's probability."""
        import onnx
        from onnx import TensorProto, compose, helper, numpy_helper

        parts = {
            "on_": compose.add_prefix(self.on.to_onnx(n_features), "on_"),
            "off_": compose.add_prefix(self.off.to_onnx(n_features), "off_"),
        }
        nodes = [helper.make_node("Identity", [INPUT_NAME], [f"{p}{INPUT_NAME}"]) for p in parts]
        inits = [
            numpy_helper.from_array(np.array(self.route_column, dtype=np.int64), "route_index"),
            numpy_helper.from_array(np.array(0.5, dtype=np.float32), "route_half"),
        ]
        for m in parts.values():
            nodes.extend(m.graph.node)
            inits.extend(m.graph.initializer)
        nodes += [
            helper.make_node("Gather", [INPUT_NAME, "route_index"], ["route_value"], axis=1),
            helper.make_node("Greater", ["route_value", "route_half"], ["route_on"]),
            helper.make_node(
                "Where", ["route_on", f"on_{OUTPUT_NAME}", f"off_{OUTPUT_NAME}"], [OUTPUT_NAME]
            ),
        ]
        graph = helper.make_graph(
            nodes,
            "routed_gate",
            [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, n_features])],
            [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None])],
            initializer=inits,
        )
        first = parts["on_"]
        opsets: dict[str, int] = {}
        for m in parts.values():
            for imp in m.opset_import:
                opsets[imp.domain] = max(opsets.get(imp.domain, 0), imp.version)
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()]
        )
        model.ir_version = first.ir_version
        onnx.checker.check_model(model)
        return model
