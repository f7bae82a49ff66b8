"""The gate's policy: turn P(accept) into show / hide (stage 2) or generate / skip (stage 1).

Thresholds, stated:

- ``mode="utility"``: show iff p * benefit > (1 - p) * cost, i.e. p > cost/(benefit+cost).
- ``mode="maxAcceptedHidden"``: the threshold that, on the model's validation data,
  hid at most ``max_accepted_hidden_percent`` % of the suggestions that were accepted
  (read from the model card).
- Stage 1 skips generation only when the context alone makes rejection near-certain:
  its threshold is the *lower* of the stage-1 utility threshold and the stage-1
  operating point for the same accepted-hidden budget, so skipping never costs more
  accepted suggestions than the budget allows on validation data.

Exploration: with probability ``exploration`` a would-be-hidden (or skipped)
suggestion is shown (generated) anyway and marked ``explored``; ``propensity`` is the
probability that the policy shows it (1 for a confident show, ``exploration`` for an
explored one). Retraining weights explored rows by 1/propensity, so the data that
trains the next model is not censored by the current one: without it, suggestions
the gate hides never get labels, and the gate could never learn it was wrong.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from tact.models.gate.runtime import GateModel
from tact.models.gate.thresholds import utility_threshold

MODES = ("utility", "maxAcceptedHidden")


@dataclass(frozen=True, slots=True)
class GateDecision:
    """What the gate decided for one stage of one request.

    ``action``: stage 1 "generate" | "skip"; stage 2 "show" | "hide".
    ``show`` is True for generate/show (including explored ones). ``propensity`` is
    P(policy lets it through) for this decision, multiplied over the stages so far.
    """

    stage: int
    action: str
    show: bool
    p_accept: float | None
    threshold: float
    propensity: float
    explored: bool = False


class GatePolicy:
    """Show/hide and generate/skip rules (see module doc); no global state."""

    def __init__(
        self,
        benefit: float = 1.0,
        cost: float = 0.2,
        mode: str = "utility",
        max_accepted_hidden_percent: float = 5.0,
        exploration: float = 0.05,
        seed: int | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"gate mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not 0.0 <= exploration <= 1.0:
            raise ValueError("exploration must be between 0 and 1")
        if not 0.0 <= max_accepted_hidden_percent <= 100.0:
            raise ValueError("maxAcceptedHiddenPercent must be between 0 and 100")
        self.benefit = benefit
        self.cost = cost
        self.mode = mode
        self.max_accepted_hidden_percent = max_accepted_hidden_percent
        self.exploration = exploration
        self.utility = utility_threshold(benefit, cost)
        self._rng = random.Random(seed)

    @classmethod
    def from_settings(cls, settings: object, seed: int | None = None) -> GatePolicy:
        """From an object with the protocol's gate settings (snake_case attributes)."""
        return cls(
            benefit=float(getattr(settings, "benefit", 1.0)),
            cost=float(getattr(settings, "cost", 0.2)),
            mode=str(getattr(settings, "mode", "utility")),
            max_accepted_hidden_percent=float(
                getattr(settings, "max_accepted_hidden_percent", 5.0)
            ),
            exploration=float(getattr(settings, "exploration", 0.05)),
            seed=seed,
        )

    def threshold(self, stage: int, model: GateModel | None) -> float:
        """The P(accept) below which ``stage`` hides (2) or skips (1)."""
        budget = (
            model.threshold_for(stage, self.max_accepted_hidden_percent) if model else 0.0
        )
        if stage == 1:
            return min(self.utility, budget) if self.mode == "utility" else budget
        return self.utility if self.mode == "utility" else budget

    def decide(
        self,
        stage: int,
        p: float | None,
        model: GateModel | None,
        rng: random.Random | None = None,
        prior_propensity: float = 1.0,
    ) -> GateDecision:
        """Decide one stage. ``p`` None (no model / features failed) lets it through."""
        yes, no = ("generate", "skip") if stage == 1 else ("show", "hide")
        if p is None:
            return GateDecision(stage, yes, True, None, 0.0, prior_propensity)
        t = self.threshold(stage, model)
        if p >= t:
            return GateDecision(stage, yes, True, p, t, prior_propensity)
        draw = (rng or self._rng).random()
        if draw < self.exploration:
            return GateDecision(stage, yes, True, p, t, prior_propensity * self.exploration, True)
        return GateDecision(stage, no, False, p, t, prior_propensity * self.exploration)


class LearnedGate:
    """A loaded model with its policy: what the server's pipeline calls per request.

    ``stage1(features)`` before generation, ``stage2(features, first=...)`` after it;
    the features are the dicts from :mod:`tact.models.features` (the stage-1 dict, then
    the stage-2 dict). A failure inside the model never blocks a suggestion: it returns
    a pass-through decision with ``p_accept=None``.

    Hot reload: :meth:`reload` loads the directory again; if the new files are bad it
    raises :class:`ModelLoadError` and *keeps serving the previous model*.
    :meth:`maybe_reload` does that only when ``card.json`` changed (cheap ``stat``;
    call it e.g. once per request or from a timer).
    """

    def __init__(self, model: GateModel, policy: GatePolicy, path: str | None = None) -> None:
        self.model = model
        self.policy = policy
        self.path = path  # None: the packaged default model
        self._stamp = self._card_stamp()

    @classmethod
    def load(cls, path: str | None, policy: GatePolicy) -> LearnedGate:
        """Load ``path`` (None: the packaged default); ModelLoadError if unusable."""
        return cls(GateModel.load(path), policy, path)

    @property
    def model_version(self) -> str:
        return self.model.version

    def _card_stamp(self) -> tuple[int, int] | None:
        try:
            st = (self.model.path / "card.json").stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def reload(self) -> str:
        """Load the model directory again now; returns the version in use. On a bad
        directory raises ModelLoadError and the previous model stays in use."""
        model = GateModel.load(self.path)
        self.model = model
        self._stamp = self._card_stamp()
        return model.version

    def maybe_reload(self) -> bool:
        """Reload if card.json changed since the last load; True if a new model is in
        use. A failed reload keeps the old model and is retried on the next change."""
        stamp = self._card_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        self._stamp = stamp
        self.model = GateModel.load(self.path)
        return True

    def stage1(
        self, features: Mapping[str, object], rng: random.Random | None = None
    ) -> GateDecision:
        try:
            p: float | None = self.model.predict_stage1(features)
        except Exception:
            p = None
        return self.policy.decide(1, p, self.model, rng)

    def stage2(
        self,
        features: Mapping[str, object],
        rng: random.Random | None = None,
        first: GateDecision | None = None,
    ) -> GateDecision:
        try:
            p: float | None = self.model.predict_stage2(features)
        except Exception:
            p = None
        prior = getattr(first, "propensity", None)
        return self.policy.decide(2, p, self.model, rng, 1.0 if prior is None else float(prior))
