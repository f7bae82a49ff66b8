"""Reading a model directory's files defensively: one place for every gate model.

A model card that is missing, unreadable, of another kind or of an unsupported format,
and a model file whose checksum differs from its card, are refused with a
:class:`ModelLoadError` that names the file, so the server can say why and keep the
model it has.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tact.models.gate.errors import ModelLoadError

# What the completion gate's model directory holds (the writer is :mod:`.modeldir`, the
# reader :mod:`.runtime`, which must not import the writer's training libraries).
CARD_FORMAT = "tact-gate-model"
CARD_FORMAT_VERSION = 1
STAGE_FILES = {1: "stage1.onnx", 2: "stage2.onnx"}


def read_card(card_path: Path, card_format: str, format_version: int, what: str) -> dict[str, Any]:
    """The card's JSON, checked to be a ``card_format`` card of ``format_version``.
    ``what`` names the model in messages ("model", "fix model")."""
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{card_path}: missing (no {what} here)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{card_path}: unreadable {what} card ({exc})") from exc
    if not isinstance(card, dict) or card.get("format") != card_format:
        raise ModelLoadError(f"{card_path}: not a tact {what} card")
    if card.get("format_version") != format_version:
        raise ModelLoadError(
            f"{card_path}: {what} card format {card.get('format_version')!r} is not "
            f"supported (this tact reads format {format_version})")
    return card


def read_checked(file_path: Path, sha256: object, what: str) -> bytes:
    """The file's bytes, refused unless their SHA-256 is the one the card recorded."""
    try:
        blob = file_path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"{file_path}: cannot read ({exc.strerror or exc})") from exc
    if hashlib.sha256(blob).hexdigest() != sha256:
        raise ModelLoadError(f"{file_path}: checksum differs from the {what} card (corrupt or "
                             "replaced file; retrain or restore it)")
    return blob
