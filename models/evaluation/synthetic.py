"""Synthetic decision data for tests and benchmarks (never for the shipped model).

- :func:`synthetic_cups_events`: CUPS-format events (the JSON objects of one JSONL
  file) of simulated programmers completing real Python source: each suggestion is
  either the true continuation (often accepted) or text from elsewhere in the file
  (mostly rejected), with a score that is higher for true continuations. Small,
  deterministic, learnable: right for end-to-end tests of train/score/eval.
- :func:`bootstrap_dataset`: many decisions resampled from a real featurized dataset
  with jitter on the numbers and new session ids: realistic feature distributions at
  any size, for the training-time benchmark.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

import numpy as np
from tact.models.gate.data import GateDataset

_SAMPLE_SOURCE = '''import json
import math
from pathlib import Path


class Inventory:
    """A small store of items and their counts."""

    def __init__(self, path):
        self.path = Path(path)
        self.items = {}

    def add(self, name, count=1):
        if count <= 0:
            raise ValueError("count must be positive")
        self.items[name] = self.items.get(name, 0) + count
        return self.items[name]

    def remove(self, name, count=1):
        current = self.items.get(name, 0)
        if current < count:
            raise KeyError(name)
        self.items[name] = current - count
        if self.items[name] == 0:
            del self.items[name]

    def total(self):
        return sum(self.items.values())

    def save(self):
        with open(self.path, "w") as fh:
            json.dump(self.items, fh, indent=2)

    def load(self):
        with open(self.path) as fh:
            self.items = json.load(fh)
        return len(self.items)


def mean(values):
    values = list(values)
    if not values:
        return 0.0
    return sum(values) / len(values)


def stddev(values):
    values = list(values)
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / max(len(values) - 1, 1))


def normalize(values):
    s = stddev(values)
    m = mean(values)
    return [(v - m) / s if s else 0.0 for v in values]


def main():
    inventory = Inventory("inventory.json")
    inventory.add("apple", 3)
    inventory.add("pear", 2)
    print(inventory.total())
    inventory.save()


if __name__ == "__main__":
    main()
'''


def _iso(t: float) -> str:
    stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    return f"{stamp}{int(t * 1000) % 1000:03d}Z"


def synthetic_cups_events(
    n_sessions: int = 4, decisions_per_session: int = 30, seed: int = 0, source: str | None = None
) -> list[dict[str, Any]]:
    """CUPS events (Shown + Accepted/Rejected, some Replay) of simulated sessions."""
    rng = random.Random(seed)
    text = source or _SAMPLE_SOURCE
    header = "# Path: example.py\n"
    events: list[dict[str, Any]] = []
    t0 = 1_660_000_000.0
    for s in range(n_sessions):
        skill = rng.uniform(0.3, 0.8)  # how readily this programmer accepts good text
        t = t0 + s * 10_000.0
        pos = rng.randrange(20, 200)
        for _ in range(decisions_per_session):
            pos = min(pos + rng.randrange(5, 60), len(text) - 40)
            good = rng.random() < 0.5
            n = rng.randrange(5, 40)
            if good:
                suggestion = text[pos : pos + n]
            else:
                start = rng.randrange(0, len(text) - n)
                suggestion = text[start : start + n]
            score = (-0.15 if good else -0.9) + rng.gauss(0.0, 0.25)
            p = skill * (0.8 if good else 0.08) * (1.2 if score > -0.4 else 0.7)
            accepted = rng.random() < min(p, 0.95)
            prompt = header + text[:pos]
            t += rng.uniform(2.0, 20.0)
            m = {
                "meanLogProb": score,
                "numTokens": float(max(1, len(suggestion) // 4)),
                "timeSinceIssuedMs": rng.uniform(50, 400),
                "compCharLen": float(len(suggestion)),
            }
            base = {"session": s, "user": s, "suggestion": suggestion, "prompt": prompt,
                    "measurements": m, "task": "synthetic"}
            events.append({**base, "time": _iso(t), "event": "Shown",
                           "typing_state": "UserTyping", "seconds_in_state": 0.2})
            if rng.random() < 0.3:
                t += 0.2
                events.append({**base, "time": _iso(t), "event": "Replay",
                               "typing_state": "UserPaused", "seconds_in_state": 0.5})
            if rng.random() < 0.95:  # a few decisions stay without outcome
                t += rng.uniform(0.3, 3.0)
                events.append({**base, "time": _iso(t),
                               "event": "Accepted" if accepted else "Rejected",
                               "typing_state": "UserBeforeAction", "seconds_in_state": 1.0})
            if accepted:
                pos += len(suggestion)
    return events


def bootstrap_dataset(
    base: GateDataset, n: int, n_sessions: int = 200, seed: int = 0, jitter: float = 0.1
) -> GateDataset:
    """``n`` decisions resampled from ``base`` (labels kept) with multiplicative jitter
    on numeric features, spread over ``n_sessions`` new sessions."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), size=n)
    feats = []
    for i in idx:
        row = dict(base.features[i])
        for k, v in row.items():
            if isinstance(v, float) and v != 0.0 and math.isfinite(v):
                row[k] = v * float(1.0 + jitter * rng.standard_normal())
        feats.append(row)
    groups = np.array([f"synthetic-{g}" for g in rng.integers(0, n_sessions, size=n)])
    return GateDataset(
        features=feats,
        y=base.y[idx].copy(),
        groups=groups,
        weights=np.ones(n),
        ids=[f"synthetic-{k}" for k in range(n)],
        times=np.arange(n, dtype=np.float64),
        sources=["synthetic"] * n,
    )
