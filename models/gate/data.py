"""Training data for the gate: labelled decisions with their features and weights.

Sources: tact's telemetry store (a URL), a JSONL export of it, or a CUPS file
(recorded Copilot sessions, featurized through the serving code path). Only decisions
that were *shown* and have a known outcome carry a label; hidden and skipped ones say
nothing about acceptance and are counted, not used.

Inverse-propensity weights: a decision shown only because of exploration (the gate
would have hidden it) was shown with probability ``propensity``; weighting it by
1/propensity makes the shown data stand in for everything the gate would have hidden,
so retraining on gated telemetry does not just learn the old gate's blind spots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tact.models.features import SCHEMA
from tact.models.gate.errors import TrainingError
from tact.telemetry.records import Decision, Outcome

# Propensities below this are clipped: one lucky explored row must not dominate.
MIN_PROPENSITY = 0.02
# A stored decision counts as featurized (by this schema) if it has these features.
_MARKERS = ("ctx_language", "sug_chars")


@dataclass
class GateDataset:
    """Labelled decisions: features (dicts), label (1 = accepted), session group,
    inverse-propensity weight, id, time and source of each."""

    features: list[dict[str, Any]]
    y: np.ndarray
    groups: np.ndarray
    weights: np.ndarray
    ids: list[str]
    times: np.ndarray
    sources: list[str]
    skipped: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def concat(cls, parts: Sequence[GateDataset]) -> GateDataset:
        skipped: Counter[str] = Counter()
        for p in parts:
            skipped.update(p.skipped)
        return cls(
            features=[f for p in parts for f in p.features],
            y=np.concatenate([p.y for p in parts]) if parts else np.zeros(0, int),
            groups=np.concatenate([p.groups for p in parts]) if parts else np.zeros(0, str),
            weights=np.concatenate([p.weights for p in parts]) if parts else np.zeros(0),
            ids=[i for p in parts for i in p.ids],
            times=np.concatenate([p.times for p in parts]) if parts else np.zeros(0),
            sources=[s for p in parts for s in p.sources],
            skipped=skipped,
        )

    def subset(self, index: np.ndarray) -> GateDataset:
        idx = np.asarray(index)
        return GateDataset(
            features=[self.features[i] for i in idx],
            y=self.y[idx],
            groups=self.groups[idx],
            weights=self.weights[idx],
            ids=[self.ids[i] for i in idx],
            times=self.times[idx],
            sources=[self.sources[i] for i in idx],
        )

    def matrix(self, stage: int) -> np.ndarray:
        """The float32 feature matrix for ``stage`` (computed once, then cached; the
        stage-1 columns are the leading columns of stage 2's)."""
        cache = self.__dict__.setdefault("_matrix", {})
        if 2 not in cache:
            cache[2] = SCHEMA.vectorize_many(self.features, 2)
        if stage == 1:
            return cache[2][:, : SCHEMA.width(1)]
        return cache[2]

    def summary(self) -> dict[str, Any]:
        """What the model was trained on (for the model card)."""
        n = len(self)
        return {
            "decisions": n,
            "accepted": int(self.y.sum()),
            "accept_rate": round(float(self.y.mean()), 4) if n else None,
            "sessions": len(set(self.groups.tolist())),
            "sources": dict(Counter(self.sources)),
            "explored": int((self.weights != 1.0).sum()),
            "skipped": dict(self.skipped),
        }


def decision_label(d: Decision) -> int | None:
    """1 accepted (fully or partly), 0 shown and rejected, None when the decision says
    nothing about acceptance (hidden, skipped, pending): the label of every gate."""
    if not d.shown:
        return None
    if d.outcome in (Outcome.ACCEPTED, Outcome.PARTIAL):
        return 1
    if d.outcome is Outcome.REJECTED:
        return 0
    return None


def ipw_weight(d: Decision) -> float:
    """1 / P(shown) for an explored decision, else 1 (clipped at 1/MIN_PROPENSITY)."""
    p = d.propensity
    if p is None or not (p > 0.0):
        return 1.0
    return 1.0 / max(min(float(p), 1.0), MIN_PROPENSITY)


def from_decisions(decisions: Iterable[Decision]) -> GateDataset:
    """Labelled, featurized decisions of any source (store rows, export rows)."""
    feats, ys, groups, weights, ids, times, sources = [], [], [], [], [], [], []
    skipped: Counter[str] = Counter()
    for d in decisions:
        y = decision_label(d)
        if y is None:
            skipped["hidden or skipped" if not d.shown else f"outcome {d.outcome.value}"] += 1
            continue
        if not all(m in d.features for m in _MARKERS):
            skipped["no gate features"] += 1
            continue
        feats.append(d.features)
        ys.append(y)
        groups.append(d.session)
        weights.append(ipw_weight(d))
        ids.append(d.id)
        times.append(d.time)
        sources.append(d.source)
    return GateDataset(
        features=feats,
        y=np.asarray(ys, dtype=np.int64),
        groups=np.asarray(groups, dtype=object).astype(str),
        weights=np.asarray(weights, dtype=np.float64),
        ids=ids,
        times=np.asarray(times, dtype=np.float64),
        sources=sources,
        skipped=skipped,
    )


def from_store(url: str) -> GateDataset:
    """All labelled decisions in the telemetry store at ``url``."""
    from tact.telemetry.store import open_store

    with open_store(url, create=False) as store:
        return from_decisions(store.iter_decisions())


def from_export(path: str | Path) -> GateDataset:
    """All labelled decisions in a JSONL telemetry export."""
    from tact.telemetry.export import read_export

    return from_decisions(read_export(path))


def cups_rows(path: str | Path) -> Iterable[tuple[Any, dict[str, Any]]]:
    """(CupsDecision, features) for every decision of a CUPS file, in file order of
    resolution; the features come from the serving code path (see features.cups)."""
    from tact.models.features.cups import CupsFeaturizer
    from tact.telemetry.cups import cups_decisions, read_cups_events

    featurize = CupsFeaturizer()
    for d in cups_decisions(read_cups_events(path)):
        yield d, featurize(d)


def from_cups(path: str | Path) -> GateDataset:
    """Labelled decisions of a CUPS file (a Shown event with Accepted/Rejected)."""
    from tact.telemetry.cups import to_decision

    return from_decisions(to_decision(d, lambda _d, f=f: f) for d, f in cups_rows(path))


def load_sources(
    telemetry: Sequence[str] = (), exports: Sequence[str] = (), cups: Sequence[str] = ()
) -> GateDataset:
    """Every source given, concatenated; a TrainingError if nothing is labelled."""
    parts = [from_store(u) for u in telemetry]
    parts += [from_export(p) for p in exports]
    parts += [from_cups(p) for p in cups]
    data = GateDataset.concat(parts)
    if len(data) == 0:
        raise TrainingError(
            "no labelled decisions (shown, with an accepted or rejected outcome, "
            "and gate features) in the given sources"
        )
    return data
