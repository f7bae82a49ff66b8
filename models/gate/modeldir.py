"""Writing a model directory: ``stage1.onnx``, ``stage2.onnx`` and ``card.json``.

The card is the model's passport: the feature schema (name, version, column names)
the runtime must be able to fill, library versions, what data it saw, validation
metrics, and the thresholds the policy uses (the utility rule and "hide at most X% of
accepted" operating points, both measured on validation data). Each ONNX file's
SHA-256 is in the card, so a truncated or swapped file is refused at load time.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tact.models.evaluation import metrics
from tact.models.features import SCHEMA
from tact.models.gate.artifacts import CARD_FORMAT, CARD_FORMAT_VERSION, STAGE_FILES
from tact.models.gate.estimators import INPUT_NAME, OUTPUT_NAME
from tact.models.gate.train import TrainedGate

DEFAULT_BENEFIT = 1.0
DEFAULT_COST = 0.2


def _version_of(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def library_versions() -> dict[str, str | None]:
    libs = ("tact", "scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy", "tree-sitter")
    return {"python": platform.python_version(), **{d: _version_of(d) for d in libs}}


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; model files are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(
    trained: TrainedGate,
    out_dir: str | Path,
    *,
    benefit: float = DEFAULT_BENEFIT,
    cost: float = DEFAULT_COST,
    notes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export both stages to ONNX and write the card; returns the card.

    Files are written atomically (temp file + rename) with the card last, so a
    running server that reloads mid-write sees either the old or the new model (a
    half-updated directory fails the checksum and is refused, keeping the old one).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    blobs = {}
    stages_card: dict[str, Any] = {}
    for stage, result in trained.stages.items():
        onx = result.model.to_onnx(len(result.columns))
        blob = onx.SerializeToString()
        blobs[stage] = blob
        stages_card[str(stage)] = {
            "file": STAGE_FILES[stage],
            "sha256": hashlib.sha256(blob).hexdigest(),
            "input": INPUT_NAME,
            "output": OUTPUT_NAME,
            "n_columns": len(result.columns),
            "model": result.model.name,
            "calibration": {"method": "platt", "a": result.model.a, "b": result.model.b},
            "candidates": result.candidates,
            "validation": result.validation,
            "operating_points": result.operating_points,
        }
    digest = hashlib.sha256(blobs[1] + blobs[2]).hexdigest()[:10]
    now = datetime.now(UTC)
    u = metrics.utility_threshold(benefit, cost)
    s1, s2 = trained.stages[1], trained.stages[2]
    y, w = trained.y, trained.weights
    card: dict[str, Any] = {
        "format": CARD_FORMAT,
        "format_version": CARD_FORMAT_VERSION,
        "version": f"{now:%Y%m%dT%H%M%S}-{digest}",
        "created": now.isoformat(timespec="seconds"),
        "schema": SCHEMA.describe(),
        "libraries": library_versions(),
        "data": trained.data_summary,
        "training": trained.training,
        "stages": stages_card,
        "thresholds": {
            "utility": {
                "rule": "show iff p * benefit > (1 - p) * cost",
                "benefit": benefit,
                "cost": cost,
                "threshold": u,
                "validation_stage2": metrics.at_threshold(y, s2.oof, u, w).to_dict(),
            },
            "max_accepted_hidden": {
                f"{op['max_accepted_hidden_percent']:g}": {
                    "stage1": s1.threshold_for(op["max_accepted_hidden_percent"]),
                    "stage2": op["threshold"],
                }
                for op in s2.operating_points
            },
        },
        "notes": notes or {},
    }
    for stage, blob in blobs.items():
        _atomic_write(out / STAGE_FILES[stage], blob)
    _atomic_write(out / "card.json", (json.dumps(card, indent=2) + "\n").encode())
    return card


def train_model(
    out_dir: str | Path,
    *,
    telemetry: list[str] | tuple[str, ...] = (),
    exports: list[str] | tuple[str, ...] = (),
    cups: list[str] | tuple[str, ...] = (),
    progress: Any = None,
    benefit: float = DEFAULT_BENEFIT,
    cost: float = DEFAULT_COST,
    **trainer_options: Any,
) -> dict[str, Any]:
    """Load the sources, train both stages, write the model directory; returns the card.

    The one call behind ``tact.trainModel``: ``progress(message, fraction)`` is called
    as training advances. Raises TrainingError (too little data, one class, one
    session) or a TelemetryError for an unreadable source; nothing is written then.
    """
    from tact.models.gate.data import load_sources
    from tact.models.gate.train import GateTrainer

    data = load_sources(list(telemetry), list(exports), list(cups))
    trained = GateTrainer(**trainer_options).fit(data, progress=progress)
    sources = [f"telemetry {u}" for u in telemetry] + [f"export {p}" for p in exports]
    sources += [f"cups {p}" for p in cups]
    return save_model(trained, out_dir, benefit=benefit, cost=cost, notes={"sources": sources})
