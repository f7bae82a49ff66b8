"""Trim the end of a suggestion that repeats the text after the cursor on its line.

Inside ``foo(|)`` a suggestion ``a, b)`` would leave ``foo(a, b))``: the ``)`` is
already there. The overlap is only trimmed on the suggestion's first line (the one the
suffix shares); a suggestion that is nothing but the existing suffix is dropped.
"""

from __future__ import annotations

from tact.server.pipeline.context import Context


def apply(text: str, ctx: Context) -> str | None:
    suffix = ctx.line_suffix.rstrip()
    if not suffix:
        return text
    first, newline, rest = text.partition("\n")
    if suffix.startswith(first.rstrip()) and not newline:
        return None  # everything suggested is already typed after the cursor
    for size in range(min(len(suffix), len(first)), 0, -1):
        if first[-size:] == suffix[:size]:  # the longest end that the suffix begins with
            return first[:-size] + newline + rest
    return text
