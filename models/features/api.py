"""The per-request entry points: the features of one decision, for both stages.

The server calls these on every live request; the CUPS featurizer and the trainer
call the very same functions, so training and serving cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tact.models.engine.provider import Candidate
from tact.models.features.context import context_features
from tact.models.features.delivery import delivery_features
from tact.models.features.repetition import engine_context_features
from tact.models.features.state import ProgrammerState
from tact.models.features.suggestion import suggestion_features


def stage1_features(
    prefix: str,
    suffix: str,
    language: str,
    state: ProgrammerState | None,
    time: float,
    tree: Any = None,
    cursor_byte: int | None = None,
    engine_stats: Mapping[str, float] | None = None,
) -> dict[str, float | str]:
    """Context + programmer-state features (before any suggestion is generated).

    ``engine_stats`` are the engine's cheap pre-generation statistics at the cursor
    (``EmbeddedProvider.context_stats``); without them (CUPS rows, other providers)
    the ``ctx_eng_*`` features take neutral values and ``ctx_eng_has_stats`` is 0.
    """
    features = context_features(prefix, suffix, language, tree=tree, cursor_byte=cursor_byte)
    features.update(engine_context_features(engine_stats))
    features.update((state or ProgrammerState()).features(time))
    return features


def stage2_features(
    stage1: dict[str, float | str],
    prefix: str,
    suffix: str,
    language: str,
    text: str,
    score: float | None,
    num_tokens: int | None,
    engine: str = "tact",
    candidate: Candidate | None = None,
    details: Mapping[str, float] | None = None,
    latency: float | None = None,
    last_shown: str | None = None,
) -> dict[str, float | str]:
    """``stage1`` plus the suggestion's features (a new dict; ``stage1`` is untouched).

    ``latency`` (seconds from the request to the suggestion being shown) and
    ``last_shown`` (the session's previous shown suggestion) feed
    :func:`~tact.models.features.delivery.delivery_features`; unknown -> neutral.

    The engine's confidence signals come from ``details``, else ``candidate.details``;
    without either (e.g. CUPS rows, where Copilot gave no such signals) the
    ``eng_*`` features take their defaults and ``eng_has_details`` is 0.
    """
    if details is None and candidate is not None:
        details = candidate.details
    features = dict(stage1)
    features.update(
        suggestion_features(prefix, suffix, language, text, score, num_tokens, engine, details)
    )
    features.update(delivery_features(text, latency, last_shown))
    return features


def request_features(
    prefix: str,
    suffix: str,
    language: str,
    state: ProgrammerState | None,
    time: float,
    text: str,
    score: float | None,
    num_tokens: int | None,
    tree: Any = None,
    cursor_byte: int | None = None,
    engine: str = "tact",
    details: Mapping[str, float] | None = None,
    latency: float | None = None,
    last_shown: str | None = None,
) -> dict[str, float | str]:
    """All features of one decision (stage 1 and stage 2 together)."""
    s1 = stage1_features(prefix, suffix, language, state, time, tree, cursor_byte)
    return stage2_features(s1, prefix, suffix, language, text, score, num_tokens, engine,
                           details=details, latency=latency, last_shown=last_shown)
