"""The pipeline's access to the shared feature code (``tact.models.features``).

Training and serving must compute features with the same functions, so the server
never computes its own; this module only adapts the calls and makes a feature
failure cost the features of one decision, never the suggestion.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tact.models.features import ProgrammerState, stage1_features, stage2_features
from tact.telemetry.records import FeatureValue

log = logging.getLogger("tact.features")


def new_state() -> ProgrammerState:
    return ProgrammerState()


def stage1(
    prefix: str,
    suffix: str,
    language: str,
    state: ProgrammerState,
    now: float,
    engine_stats: Mapping[str, float] | None = None,
) -> dict[str, FeatureValue]:
    try:
        return dict(
            stage1_features(prefix, suffix, language, state, now, engine_stats=engine_stats)
        )
    except Exception:
        log.exception("stage-1 features failed; deciding without them")
        return {}


def stage2(
    stage1_values: dict[str, FeatureValue],
    prefix: str,
    suffix: str,
    language: str,
    text: str,
    score: float | None,
    num_tokens: int | None,
    details: Mapping[str, float] | None = None,
    last_shown: str | None = None,
) -> dict[str, FeatureValue]:
    """Stage-2 features. ``last_shown`` is the session's previous shown suggestion
    (CUPS training rows carry it too). No ``latency`` is passed: the embedded engine
    answers in-process within milliseconds, and a measured wall-clock latency would make
    replays, hence the default model's build, non-deterministic; a remote provider should
    pass it (Copilot's ``timeSinceIssuedMs`` fills it on CUPS)."""
    try:
        values: dict[str, Any] = stage2_features(
            dict(stage1_values), prefix, suffix, language, text, score, num_tokens,
            details=details, last_shown=last_shown,
        )
        return dict(values)
    except Exception:
        log.exception("stage-2 features failed; deciding without them")
        return dict(stage1_values)


def engine_stats(provider: object, request: Any) -> Mapping[str, float] | None:
    """The provider's cheap pre-generation statistics (``context_stats``), if it has
    them (the embedded engine does, an LLM provider does not); a failure costs only
    these features."""
    method = getattr(provider, "context_stats", None)
    if method is None:
        return None
    try:
        return method(request)
    except Exception:
        log.exception("engine context statistics failed; deciding without them")
        return None
