"""Post-processing of generated text, one filter per module (Tabby-style).

Each filter is ``apply(text, ctx) -> str | None``: the (possibly trimmed) suggestion,
or None to drop it. They run in ``FILTERS`` order; the first None stops the chain.
Filters are cheap string checks that remove suggestions no programmer would take,
before the gate spends a model call on them.
"""

from __future__ import annotations

from collections.abc import Callable

from tact.server.pipeline.context import Context
from tact.server.pipeline.filters import (
    empty,
    max_lines,
    repeats_neighbour_line,
    suffix_overlap,
    trailing_whitespace,
)

Filter = Callable[[str, Context], str | None]

FILTERS: tuple[tuple[str, Filter], ...] = (
    ("max_lines", max_lines.apply),
    ("trailing_whitespace", trailing_whitespace.apply),
    ("suffix_overlap", suffix_overlap.apply),
    ("repeats_neighbour_line", repeats_neighbour_line.apply),
    ("empty", empty.apply),
)


def run_filters(text: str, ctx: Context) -> tuple[str | None, str | None]:
    """(filtered text, None) or (None, name of the filter that dropped it)."""
    current: str | None = text
    for name, apply in FILTERS:
        current = apply(current, ctx)
        if current is None:
            return None, name
    return current, None
