"""The record of one suggestion decision: the unit that telemetry stores.

One row per decision the server makes about a suggestion (shown, hidden by the gate,
or generation skipped by stage 1). Its outcome is filled in later, when the client
reports an accept or the server infers a rejection. Source text is *not* stored
unless the user opts in: ``suggestion_text``/``context_text`` stay ``None`` and only
hashes are kept.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

FeatureValue = float | int | str | bool | None


class Outcome(str, enum.Enum):  # noqa: UP042 (keep str() of members unchanged)
    """What the programmer did with a suggestion."""

    ACCEPTED = "accepted"
    PARTIAL = "partial"  # partially accepted; ``accepted_chars`` says how much
    REJECTED = "rejected"
    UNKNOWN = "unknown"  # not (yet) known: pending, hidden, skipped, or lost


class Stage(str, enum.Enum):  # noqa: UP042
    """Where in the cascade the decision was made."""

    SHOWN = "shown"  # generated and shown to the programmer
    HIDDEN = "hidden"  # generated, then hidden by the stage-2 gate
    SKIPPED = "skipped"  # stage-1 gate skipped generation entirely


@dataclass(slots=True)
class Decision:
    """One suggestion decision and (once known) its outcome.

    Times are Unix epoch seconds (floats). ``features`` is the feature snapshot at
    decision time, exactly as the gate saw it (names from the feature schema).
    """

    id: str
    session: str
    time: float
    language: str
    kind: str = "inline"  # "inline" | "completion" | "fix"
    stage: Stage = Stage.SHOWN
    shown: bool = True
    p_accept_before: float | None = None  # stage-1 probability (context only)
    p_accept: float | None = None  # stage-2 probability (with the suggestion)
    propensity: float | None = None  # probability the policy would show it (exploration)
    explored: bool = False  # shown only because of exploration
    model_version: str | None = None
    engine: str | None = None
    document_hash: str | None = None
    suggestion_hash: str | None = None
    suggestion_chars: int | None = None
    suggestion_text: str | None = None  # opt-in only
    context_text: str | None = None  # opt-in only
    features: dict[str, FeatureValue] = field(default_factory=dict)
    outcome: Outcome = Outcome.UNKNOWN
    accepted_chars: int | None = None
    outcome_time: float | None = None
    shown_time: float | None = None  # when the client reported it rendered
    latency_ms: float | None = None  # request received -> response sent
    generation_ms: float | None = None
    gate_ms: float | None = None
    source: str = "tact"  # "tact" (the server), "replay", "cups" (imported) ...

    def to_row(self) -> dict[str, Any]:
        """A flat dict (features kept as a dict) for export and storage."""
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        row["stage"] = self.stage.value
        row["outcome"] = self.outcome.value
        return row
