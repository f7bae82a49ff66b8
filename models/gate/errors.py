"""Errors of the gate, one line each and safe to show to a user."""

from __future__ import annotations


class ModelLoadError(Exception):
    """A model directory cannot be used (missing, corrupt, or built for a feature
    schema this code cannot fill). The message says which file and why; a server that
    gets it keeps the model it already had."""


class TrainingError(ValueError):
    """Training cannot proceed with the given data (too little, one class, one session)."""
