"""Drop a suggestion whose first completed line repeats the line above or below.

A statistical engine loves to continue with the line it just saw; a programmer
almost never writes the same non-trivial line twice in a row.
"""

from __future__ import annotations

from tact.server.pipeline.context import Context

# Lines shorter than this (stripped) repeat legitimately: "else:", "}", "pass".
MIN_CHARS = 8


def apply(text: str, ctx: Context) -> str | None:
    first = (ctx.line_prefix + text.split("\n", 1)[0]).strip()
    if len(first) < MIN_CHARS:
        return text
    if first in (ctx.line_above.strip(), ctx.line_below.strip()):
        return None
    return text
