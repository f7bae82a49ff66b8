"""Serving the fix gate: :class:`FixModel` loads ``fix.onnx`` + ``fix_card.json`` and
predicts P(applied) with onnxruntime. Training lives in :mod:`.fixes`; this module
imports none of its libraries (scikit-learn takes about a second to import, and the
server and ``tact fix`` only predict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tact.models.features.fix import FIX_SCHEMA, FixFeatureSchema
from tact.models.gate.artifacts import read_card, read_checked
from tact.models.gate.errors import ModelLoadError
from tact.models.gate.runtime import onnx_session
from tact.models.gate.thresholds import card_threshold

FIX_MODEL_FILE = "fix.onnx"
FIX_CARD_FILE = "fix_card.json"
FIX_CARD_FORMAT = "tact-fix-model"
FIX_CARD_FORMAT_VERSION = 1


def has_fix_model(model_dir: str | Path | None) -> bool:
    """Whether ``model_dir`` holds a fix model card (cheap: one stat)."""
    return model_dir is not None and (Path(model_dir) / FIX_CARD_FILE).is_file()


class FixModel:
    """A loaded fix model: ``predict(features) -> P(applied)`` with onnxruntime.

    ``threshold_for(stage, pct)`` has the completion gate model's shape, so the same
    :class:`tact.models.gate.policy.GatePolicy` turns its probabilities into show/hide.
    """

    def __init__(self, path: Path, card: dict[str, Any], session: Any,
                 schema: FixFeatureSchema = FIX_SCHEMA) -> None:
        self.path = path
        self.card = card
        self.schema = schema
        self._session = session
        self._input = session.get_inputs()[0].name
        self._outputs = [session.get_outputs()[0].name]

    @property
    def version(self) -> str:
        return str(self.card.get("version"))

    @classmethod
    def load(cls, model_dir: str | Path, schema: FixFeatureSchema = FIX_SCHEMA) -> FixModel:
        """Load and check ``model_dir/fix_card.json`` and its ONNX file."""
        path = Path(model_dir)
        card_path = path / FIX_CARD_FILE
        card = read_card(card_path, FIX_CARD_FORMAT, FIX_CARD_FORMAT_VERSION, "fix model")
        described = card.get("schema") if isinstance(card.get("schema"), dict) else {}
        if (described.get("name"), str(described.get("version"))) != (schema.name,
                                                                        schema.version):
            raise ModelLoadError(
                f"{card_path}: model needs fix features {described.get('name')} "
                f"v{described.get('version')}, this tact computes {schema.name} "
                f"v{schema.version}; retrain the fix model")
        if described.get("columns") != schema.columns:
            raise ModelLoadError(f"{card_path}: fix feature columns differ from the schema "
                                 "this tact computes; retrain the fix model")
        info = card.get("model") if isinstance(card.get("model"), dict) else {}
        file_path = path / str(info.get("file", FIX_MODEL_FILE))
        blob = read_checked(file_path, info.get("sha256"), "fix model")
        session = onnx_session(file_path, blob)
        width = session.get_inputs()[0].shape[-1]
        if width != schema.width:
            raise ModelLoadError(f"{file_path}: expects {width} feature columns, the fix "
                                 f"schema makes {schema.width}")
        return cls(path, card, session, schema)

    def predict_vector(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        return self._session.run(self._outputs, {self._input: x})[0]

    def predict(self, features: Mapping[str, object]) -> float:
        """P(applied) of one fix from its feature dict."""
        return float(self.predict_vector(self.schema.vectorize(features))[0])

    def predict_many(self, rows: Sequence[Mapping[str, object]]) -> np.ndarray:
        if not rows:
            return np.zeros(0, dtype=np.float32)
        return self.predict_vector(self.schema.vectorize_many(rows))

    def threshold_for(self, stage: int, max_accepted_hidden_percent: float) -> float:
        """The validated threshold hiding at most that % of applied fixes (the largest
        budget in the card not above it; 0 hides nothing). ``stage`` is ignored."""
        return card_threshold(self.card, max_accepted_hidden_percent, "threshold")
