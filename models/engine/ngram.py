"""Token n-gram counts with interpolated (modified) absolute discounting.

Why this model: it is exact to update (add or subtract the n-grams of a changed region
of a file as it is edited), needs no training pass, and answers "what comes next" with a
handful of dict lookups, so suggestions stay in the low milliseconds in pure Python.

Counts are raw (not Kneser-Ney continuation counts) at every order, which keeps
subtraction exact; the discount is interpolated with the next shorter context:

    P(w | h) = (max(c(h, w) - D(c), 0) + gamma(h) * P(w | h')) / c(h)
    gamma(h) = D1 * N1(h) + D2 * N2(h) + D3 * N3+(h)

where Nk(h) counts the distinct tokens seen k times after h, D(c) is D1, D2 or D3 for
counts 1, 2, 3+, and h' drops h's oldest token.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

BOS = "\x02"  # padding before the first token of a file (never a real token)

# Candidate lists of big tables (e.g. the unigram table) are cached and allowed to go
# stale between edits: they only nominate candidates, probabilities use live counts.
_STALE_OK = 64
_TOP = 8


class Table:
    """Counts of the tokens that followed one context."""

    __slots__ = ("counts", "n1", "n2", "top", "top_k", "total")

    def __init__(self) -> None:
        self.total = 0
        self.counts: dict[str, int] = {}
        self.top: list[str] | None = None
        self.top_k = 0
        self.n1 = 0  # tokens seen exactly once after this context
        self.n2 = 0  # ... exactly twice (for count-dependent discounts)

    def best(self, k: int = _TOP) -> list[str]:
        """The k most frequent next tokens (cached)."""
        if self.top is None or self.top_k < k:
            items = self.counts
            if len(items) <= k:
                self.top = sorted(items, key=items.__getitem__, reverse=True)
            else:
                self.top = heapq.nlargest(k, items, key=items.__getitem__)
            self.top_k = k
        return self.top[:k] if len(self.top) > k else self.top


def _as_table(entry: Table | tuple[str, int]) -> Table:
    if entry.__class__ is tuple:
        tok, count = entry  # type: ignore[misc]
        table = Table()
        table.total = count
        table.counts = {tok: count}
        table.n1 = count == 1
        table.n2 = count == 2
        return table
    return entry  # type: ignore[return-value]


class NgramCounts:
    """All n-gram counts of one model (one language, or one open document).

    Memory: over 90% of long contexts were followed by one token only, so such an
    entry is stored as a bare ``(token, count)`` tuple (about a fifth of the size of a
    Table with its dict) and promoted to a Table when a second token shows up.
    """

    def __init__(self, order: int) -> None:
        if order < 1:
            raise ValueError("order must be >= 1")
        self.order = order
        self.tables: dict[tuple[str, ...], Table | tuple[str, int]] = {}

    def __len__(self) -> int:
        entry = self.tables.get(())
        return _as_table(entry).total if entry is not None else 0

    def vocabulary_size(self) -> int:
        entry = self.tables.get(())
        return len(_as_table(entry).counts) if entry is not None else 0

    def as_dict(self) -> dict[tuple[str, ...], dict[str, int]]:
        """Plain copy of every count (for tests and debugging, not the hot path)."""
        return {ctx: dict(_as_table(e).counts) for ctx, e in self.tables.items()}

    def table(self, context: tuple[str, ...]) -> Table | None:
        entry = self.tables.get(context)
        return None if entry is None else _as_table(entry)

    def update(self, seq: Sequence[str], start: int, delta: int) -> None:
        """Add (delta=+1) or remove (delta=-1) the n-grams ending at seq[start:].

        seq[:start] is context only (pad with BOS at the start of a file).
        """
        tables = self.tables
        order = self.order
        for i in range(max(start, 0), len(seq)):
            w = seq[i]
            for k in range(min(order, i + 1)):
                ctx = tuple(seq[i - k : i]) if k else ()
                entry = tables.get(ctx)
                if entry is None:
                    if delta > 0:
                        tables[ctx] = (w, delta)
                    continue
                if entry.__class__ is tuple:
                    tok, c = entry  # type: ignore[misc]
                    if tok == w:
                        if c + delta > 0:
                            tables[ctx] = (w, c + delta)
                        else:
                            del tables[ctx]
                    elif delta > 0:
                        table = Table()
                        table.counts = {tok: c, w: delta}
                        table.total = c + delta
                        table.n1 = (c == 1) + (delta == 1)
                        table.n2 = (c == 2) + (delta == 2)
                        tables[ctx] = table
                    continue
                table = entry  # type: ignore[assignment]
                counts = table.counts
                c0 = counts.get(w, 0)
                c = c0 + delta
                if c0 == 1:
                    table.n1 -= 1
                elif c0 == 2:
                    table.n2 -= 1
                if c == 1:
                    table.n1 += 1
                elif c == 2:
                    table.n2 += 1
                if c > 0:
                    top = table.top
                    if (
                        top
                        and delta > 0
                        and len(counts) >= _STALE_OK
                        and c > counts.get(top[-1], 0)
                        and w not in top
                    ):
                        table.top = None  # w now beats the last cached candidate
                    counts[w] = c
                else:
                    counts.pop(w, None)
                table.total += delta
                if len(counts) < _STALE_OK:
                    table.top = None
                if len(counts) <= 1:
                    if table.total <= 0 or not counts:
                        del tables[ctx]
                    else:
                        ((tok, c),) = counts.items()
                        tables[ctx] = (tok, c)

    def chain(self, context: Sequence[str]) -> list[Table]:
        """Tables for the context's suffixes, shortest (unigram) first, as deep as seen."""
        tables = self.tables
        out: list[Table] = []
        n = len(context)
        for k in range(min(self.order, n + 1)):
            entry = tables.get(tuple(context[n - k :]) if k else ())
            if entry is None:
                break
            out.append(_as_table(entry))
        return out


def probability(
    chain: list[Table], w: str, discounts: tuple[float, float, float], base: float
) -> float:
    """Interpolated probability of w given the tables from ``NgramCounts.chain``.

    ``discounts`` are subtracted from counts of 1, 2 and 3+ (as in modified
    Kneser-Ney); the mass they free goes to the shorter context's estimate.
    """
    d1, d2, d3 = discounts
    p = base
    for table in chain:
        c = table.counts.get(w, 0)
        n1, n2 = table.n1, table.n2
        gamma = d1 * n1 + d2 * n2 + d3 * (len(table.counts) - n1 - n2)
        kept = 0.0 if c == 0 else c - (d1 if c == 1 else d2 if c == 2 else d3)
        p = ((kept if kept > 0.0 else 0.0) + gamma * p) / table.total
    return p
