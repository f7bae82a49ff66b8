"""The acceptance gate's two places in the pipeline.

Stage 1 runs before generation on context and programmer-state features: it may skip
generating at all. Stage 2 runs after generation with the suggestion's features too:
it shows or hides the suggestion. Both return a verdict (``show``, ``p_accept``,
``propensity``, ``explored``) that the decision record stores as is.

:func:`load_gate` returns the learned gate (``tact.models.gate.LearnedGate``: an ONNX
model plus the settings' policy) when the gate is enabled. With the gate disabled it
returns an :class:`ObservingGate`: every suggestion is shown, but P(accept) is still
computed and logged, so a ``--gate off`` replay gives ground truth for every decision
next to the probability the model gave it (a few microseconds per decision).
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tact.server.settings import GateSettings
from tact.telemetry.records import FeatureValue

Features = Mapping[str, FeatureValue]


@dataclass(frozen=True, slots=True)
class GateVerdict:
    show: bool  # stage 1: generate; stage 2: show
    p_accept: float | None = None
    propensity: float | None = None  # P(policy shows it), for unbiased retraining
    explored: bool = False  # shown only because of exploration


PASS = GateVerdict(show=True)


class Gate(Protocol):
    """What the pipeline needs from a gate. ``rng`` is the server's seeded generator
    (seeded by replay for determinism) to use for exploration draws."""

    model_version: str | None

    def stage1(self, features: Features, rng: random.Random) -> Any: ...

    def stage2(self, features: Features, rng: random.Random, first: Any = None) -> Any:
        """``first`` is the stage-1 verdict (its propensity multiplies into stage 2's)."""
        ...


class PassThroughGate:
    """Shows everything with no probability: no usable model."""

    model_version: str | None = None
    model: Any = None

    def stage1(self, features: Features, rng: random.Random) -> GateVerdict:
        return PASS

    def stage2(self, features: Features, rng: random.Random, first: Any = None) -> GateVerdict:
        return PASS


class ObservingGate:
    """The gate switched off: shows everything (propensity 1) but logs P(accept)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @property
    def model_version(self) -> str | None:
        return str(self.model.version)

    def _p(self, features: Features, stage: int) -> float | None:
        try:
            return float(self.model.predict(features, stage))
        except Exception:
            return None

    def stage1(self, features: Features, rng: random.Random) -> GateVerdict:
        return GateVerdict(True, self._p(features, 1), 1.0)

    def stage2(self, features: Features, rng: random.Random, first: Any = None) -> GateVerdict:
        return GateVerdict(True, self._p(features, 2), 1.0)


def data_dir() -> Path:
    """Where tact keeps user data (trained models, reports): ``$XDG_DATA_HOME/tact``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tact"


def trained_models_dir() -> Path:
    return data_dir() / "models"


def latest_trained_model() -> Path | None:
    """The newest model ``tact.trainModel`` wrote (directory names are timestamps)."""
    root = trained_models_dir()
    try:
        dirs = sorted(p for p in root.iterdir() if (p / "card.json").is_file())
    except OSError:
        return None
    return dirs[-1] if dirs else None


def model_path_for(settings: GateSettings) -> str | None:
    """The model directory to use: ``gate.modelPath``, else the newest model trained by
    ``tact.trainModel``, else None (the packaged default model)."""
    if settings.model_path:
        return settings.model_path
    latest = latest_trained_model()
    return str(latest) if latest is not None else None


def load_gate(settings: GateSettings, path: str | None = None, previous: Any = None) -> Gate:
    """The gate the settings ask for, with the model at ``path`` (default:
    :func:`model_path_for`). Raises ``ModelLoadError`` (one line) for an unusable model.

    When ``previous`` already holds the same model directory, its loaded model is
    reused (a settings change such as ``gate.cost`` only swaps the policy).
    """
    from tact.models.gate import GateModel, GatePolicy, LearnedGate

    path = model_path_for(settings) if path is None else path
    model = getattr(previous, "model", None)
    if model is None or getattr(previous, "source_path", object()) != path:
        model = GateModel.load(path)
    if not settings.enabled:
        gate: Any = ObservingGate(model)
    else:
        gate = LearnedGate(model, GatePolicy.from_settings(settings), path)
    gate.source_path = path
    return gate
