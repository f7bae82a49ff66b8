"""The simulated programmer's latent state and the distributions it is drawn from.

Everything random in a replay comes from one seeded ``numpy`` generator, drawn in a
fixed order, so a seed fixes the whole session. Distributions (times in seconds):

* speed: the programmer's median inter-key interval ``m ~ LogNormal(ln 0.20, 0.35)``
  clipped to [0.06, 0.8] (about 5 characters a second, fast and slow typists around
  it); each key then takes ``LogNormal(ln m, s)`` with ``s ~ Uniform(0.3, 0.6)``.
* burstiness ``b ~ Beta(2, 5)``: the share of chunks typed in a burst, at 0.6x the
  usual interval.
* pause probability at a natural point, by kind: end of a token ``Beta(2, 12)``
  (mean 0.14), start of a line ``Beta(5, 4)`` (0.56), start of a block ``Beta(8, 2)``
  (0.8). Every pause asks the server for an inline completion.
* pause length, by kind: token ``LogNormal(ln 0.8, 0.7)``, line ``LogNormal(ln 1.5,
  0.8)``, block ``LogNormal(ln 3.0, 1.0)`` (about 5% of block pauses exceed 15 s, so
  the server's reject timeout fires now and then).
* reaction time before accepting a suggestion: ``LogNormal(ln 0.6, 0.4)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PAUSE_PRIOR = {"token": (2.0, 12.0), "line": (5.0, 4.0), "block": (8.0, 2.0)}
PAUSE_LENGTH = {"token": (0.8, 0.7), "line": (1.5, 0.8), "block": (3.0, 1.0)}
BURST_FACTOR = 0.6


@dataclass(frozen=True, slots=True)
class Programmer:
    median_iki: float
    iki_sigma: float
    burstiness: float
    pause_probability: dict[str, float]

    @staticmethod
    def draw(rng: np.random.Generator) -> Programmer:
        median = float(np.clip(rng.lognormal(math.log(0.20), 0.35), 0.06, 0.8))
        sigma = float(rng.uniform(0.3, 0.6))
        burst = float(rng.beta(2.0, 5.0))
        pauses = {kind: float(rng.beta(a, b)) for kind, (a, b) in PAUSE_PRIOR.items()}
        return Programmer(median, sigma, burst, pauses)

    def typing_time(self, chars: int, rng: np.random.Generator) -> float:
        """Seconds to type ``chars`` characters (one interval per character)."""
        if chars <= 0:
            return 0.0
        factor = BURST_FACTOR if rng.random() < self.burstiness else 1.0
        return float(rng.lognormal(math.log(self.median_iki), self.iki_sigma, chars).sum()) * factor

    def pauses(self, kind: str, rng: np.random.Generator) -> bool:
        return bool(rng.random() < self.pause_probability[kind])

    def pause_length(self, kind: str, rng: np.random.Generator) -> float:
        median, sigma = PAUSE_LENGTH[kind]
        return float(rng.lognormal(math.log(median), sigma))

    def reaction_time(self, rng: np.random.Generator) -> float:
        return float(rng.lognormal(math.log(0.6), 0.4))
