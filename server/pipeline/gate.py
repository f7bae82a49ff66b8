"""The acceptance gate's two places in the pipeline.

Stage 1 runs before generation on context and programmer-state features: it may skip
generating at all. Stage 2 runs after generation with the suggestion's features too:
it shows or hides the suggestion. Both return a :class:`GateVerdict` that the decision
record stores as is (probability, propensity, exploration).

Today :class:`PassThroughGate` lets everything through with no probability. The
learned gate (``tact.models.gate``) plugs in by implementing :class:`Gate` and being
returned from :func:`load_gate`; nothing else in the server changes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

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

    def stage1(self, features: Features, rng: random.Random) -> GateVerdict: ...

    def stage2(
        self, features: Features, rng: random.Random, first: GateVerdict | None = None
    ) -> GateVerdict:
        """``first`` is the stage-1 verdict (its propensity multiplies into stage 2's)."""
        ...


class PassThroughGate:
    """Shows everything: the gate when it is disabled or no model exists."""

    model_version: str | None = None

    def stage1(self, features: Features, rng: random.Random) -> GateVerdict:
        return PASS

    def stage2(
        self, features: Features, rng: random.Random, first: GateVerdict | None = None
    ) -> GateVerdict:
        return PASS


def load_gate(settings: GateSettings) -> Gate:
    """The gate the settings ask for. The learned gate hooks in here.

    Called at start, when gate settings change, and on ``tact.reloadModel`` (so a
    reload is just loading again); raising keeps the gate already in use.
    """
    return PassThroughGate()
