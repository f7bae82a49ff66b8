"""Reading "hide at most X% of accepted" thresholds: one rule for every gate model;
and the utility rule's threshold (serving needs both, and neither needs scikit-learn).

Validation stores thresholds at a few budgets (0.5%, 1%, 5%...). A setting between
them takes the largest stored budget not above it, so the promise "at most X%" holds
as validated; with none that small, the threshold is 0 (hide nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

_EPS = 1e-9


def utility_threshold(benefit: float, cost: float) -> float:
    """Show iff p * benefit > (1 - p) * cost, i.e. iff p > cost / (benefit + cost)."""
    if benefit < 0 or cost < 0 or benefit + cost <= 0:
        raise ValueError("benefit and cost must be non-negative and not both zero")
    return cost / (benefit + cost)


def threshold_within(points: Iterable[Mapping[str, Any]], budget_percent: float) -> float:
    """From operating points (``max_accepted_hidden_percent``, ``threshold``), in
    increasing budget order, as training computes them."""
    best = 0.0
    for op in points:
        if op["max_accepted_hidden_percent"] <= budget_percent + _EPS:
            best = op["threshold"]
    return best


def card_threshold(card: Mapping[str, Any], budget_percent: float, key: str) -> float:
    """From a model card's ``thresholds.max_accepted_hidden`` table (budget -> entry);
    ``key`` names the entry's field (``stage1``, ``stage2``, ``threshold``)."""
    table = (card.get("thresholds") or {}).get("max_accepted_hidden") or {}
    best_budget, best = -1.0, 0.0
    for budget_key, entry in table.items():
        budget = float(budget_key)
        if best_budget < budget <= budget_percent + _EPS:
            best_budget, best = budget, float(entry.get(key, 0.0))
    return best
