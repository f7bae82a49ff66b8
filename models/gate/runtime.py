"""The gate at serving time: a model directory loaded into two onnxruntime sessions.

One InferenceSession per stage, created once, one intra-op thread each (a single
row is microseconds of work; thread hand-offs would cost more). Loading checks
everything that could make the model silently wrong and refuses with a one-line
:class:`ModelLoadError` instead: a missing or unparsable card, a schema this code
cannot fill (other name, version or columns), a file whose checksum differs from the
card's, an ONNX file onnxruntime cannot load, or input/output shapes that disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from tact.models.features import SCHEMA, FeatureSchema
from tact.models.gate.artifacts import (
    CARD_FORMAT,
    CARD_FORMAT_VERSION,
    STAGE_FILES,
    read_card,
    read_checked,
)
from tact.models.gate.errors import ModelLoadError
from tact.models.gate.thresholds import card_threshold


def default_model_dir() -> Path:
    """The model shipped in the package (``tact/models/gate/default``)."""
    return Path(str(resources.files("tact.models.gate") / "default"))


def onnx_session(path: Path, blob: bytes) -> Any:
    """One onnxruntime session for a model file's bytes: one thread, sequential (the
    server runs one request at a time per stage); a file onnxruntime refuses is a
    one-line :class:`ModelLoadError`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"{path}: onnxruntime cannot load it ({first[:200]})") from exc


class GateModel:
    """A loaded model directory: ``predict_stage1/2(features) -> P(accept)``."""

    def __init__(self, path: Path, card: dict[str, Any], sessions: dict[int, Any],
                 schema: FeatureSchema) -> None:
        self.path = path
        self.card = card
        self.schema = schema
        self._sessions = sessions
        self._inputs = {s: sess.get_inputs()[0].name for s, sess in sessions.items()}
        self._outputs = {s: [sess.get_outputs()[0].name] for s, sess in sessions.items()}

    @property
    def version(self) -> str:
        return str(self.card.get("version"))

    @classmethod
    def load(cls, path: str | Path | None = None, schema: FeatureSchema = SCHEMA) -> GateModel:
        """Load and check a model directory (the packaged default when ``path`` is None)."""
        path = default_model_dir() if path is None else Path(path)
        if not path.is_dir():
            raise ModelLoadError(f"no model directory at {path}")
        card_path = path / "card.json"
        card = read_card(card_path, CARD_FORMAT, CARD_FORMAT_VERSION, "model")
        _check_schema(card_path, card.get("schema"), schema)
        sessions = {}
        stages = card.get("stages") or {}
        for stage, filename in STAGE_FILES.items():
            info = stages.get(str(stage))
            if not isinstance(info, dict):
                raise ModelLoadError(f"{card_path}: no entry for stage {stage}")
            file_path = path / str(info.get("file", filename))
            blob = read_checked(file_path, info.get("sha256"), "model")
            sess = onnx_session(file_path, blob)
            width = sess.get_inputs()[0].shape[-1]
            expected = schema.width(stage)
            if width != expected:
                raise ModelLoadError(
                    f"{file_path}: expects {width} feature columns, the schema makes {expected}"
                )
            sessions[stage] = sess
        return cls(path, card, sessions, schema)

    # -- inference ---------------------------------------------------------------------

    def predict_vector(self, x: np.ndarray, stage: int) -> np.ndarray:
        """P(accept) for already vectorized rows ([N, width] or [width] float32)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        return self._sessions[stage].run(self._outputs[stage], {self._inputs[stage]: x})[0]

    def predict(self, features: Mapping[str, object], stage: int) -> float:
        x = self.schema.vectorize(features, stage).reshape(1, -1)
        out = self._sessions[stage].run(self._outputs[stage], {self._inputs[stage]: x})[0]
        return float(out[0])

    def predict_stage1(self, features: Mapping[str, object]) -> float:
        """P(accept) from context + programmer-state features (before generation)."""
        return self.predict(features, 1)

    def predict_stage2(self, features: Mapping[str, object]) -> float:
        """P(accept) from all features, the suggestion's included."""
        return self.predict(features, 2)

    def predict_many(self, rows: Sequence[Mapping[str, object]], stage: int) -> np.ndarray:
        if not rows:
            return np.zeros(0, dtype=np.float32)
        return self.predict_vector(self.schema.vectorize_many(rows, stage), stage)

    # -- thresholds from the card --------------------------------------------------------

    def threshold_for(self, stage: int, max_accepted_hidden_percent: float) -> float:
        """The validated threshold hiding at most that % of accepted suggestions (the
        largest budget in the card not above the one asked for; 0 = hide nothing)."""
        return card_threshold(self.card, max_accepted_hidden_percent, f"stage{stage}")


def _check_schema(card_path: Path, described: Any, schema: FeatureSchema) -> None:
    if not isinstance(described, dict):
        raise ModelLoadError(f"{card_path}: the card names no feature schema")
    name, ver = described.get("name"), described.get("version")
    if name != schema.name or str(ver) != schema.version:
        raise ModelLoadError(
            f"{card_path}: model needs feature schema {name} v{ver}, this tact computes "
            f"{schema.name} v{schema.version}; retrain the model with this version"
        )
    for stage in (1, 2):
        cols = described.get(f"stage{stage}_columns")
        if cols != schema.columns(stage):
            missing = [c for c in cols or [] if c not in set(schema.columns(stage))]
            detail = f" (unknown columns: {', '.join(missing[:3])})" if missing else ""
            raise ModelLoadError(
                f"{card_path}: stage-{stage} feature columns differ from the schema this tact "
                f"computes{detail}; retrain the model with this version"
            )
