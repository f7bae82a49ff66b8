"""The acceptance gate: P(accept) models trained on telemetry, served with onnxruntime.

- :mod:`.data`: labelled decisions from the telemetry store, an export, or CUPS.
- :mod:`.train`: :class:`GateTrainer` (session folds, model choice, calibration).
- :mod:`.modeldir`: :func:`save_model` writes ``stage1.onnx``, ``stage2.onnx``,
  ``card.json``.
- :mod:`.runtime`: :class:`GateModel` loads a directory (refusing a bad one with
  :class:`ModelLoadError`) and predicts in-process.
- :mod:`.policy`: :class:`GatePolicy` (utility rule or accepted-hidden budget, with
  exploration and propensities) and :class:`LearnedGate` (model + policy per request).

Server wiring (``tact.server.pipeline.gate.load_gate``): LearnedGate already has the
pipeline's Gate shape (``stage1(features, rng)``, ``stage2(features, rng, first)``,
``model_version``; its GateDecision has ``show``, ``p_accept``, ``propensity``,
``explored`` like GateVerdict, plus ``action`` and ``threshold``)::

    if not settings.enabled:
        return PassThroughGate()
    return LearnedGate.load(settings.model_path, GatePolicy.from_settings(settings))

``LearnedGate.load`` raises ModelLoadError (one line) for a missing, corrupt or
schema-mismatched model; ``gate.maybe_reload()`` picks up a retrained model when its
card.json changes (the previous model stays on a bad one). Training and reports for
the server's commands: ``tact.models.gate.modeldir.train_model(out_dir,
telemetry=[url], progress=cb)`` and ``tact.models.evaluation.report.
evaluate_to_report(out_dir, telemetry=[url])``.
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
