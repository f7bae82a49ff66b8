"""The acceptance gate: P(accept) models trained on telemetry, served with onnxruntime.

- :mod:`.data`: labelled decisions from the telemetry store, an export, or CUPS.
- :mod:`.train`: :class:`GateTrainer` (session folds, model choice, calibration).
- :mod:`.modeldir`: :func:`save_model` writes ``stage1.onnx``, ``stage2.onnx``,
  ``card.json``.
- :mod:`.runtime`: :class:`GateModel` loads a directory (refusing a bad one with
  :class:`ModelLoadError`) and predicts in-process.
- :mod:`.policy`: :class:`GatePolicy` (utility rule or accepted-hidden budget, with
  exploration and propensities) and :class:`LearnedGate` (model + policy per request).
"""

from tact.models.gate.errors import ModelLoadError, TrainingError
from tact.models.gate.policy import GateDecision, GatePolicy, LearnedGate
from tact.models.gate.runtime import GateModel, default_model_dir

__all__ = [
    "GateDecision",
    "GateModel",
    "GatePolicy",
    "LearnedGate",
    "ModelLoadError",
    "TrainingError",
    "default_model_dir",
]
