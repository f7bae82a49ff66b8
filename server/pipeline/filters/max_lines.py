"""Cut a suggestion to ``max_lines`` lines: long ghost text is rarely taken whole
and hides the code below it."""

from __future__ import annotations

from tact.server.pipeline.context import Context


def apply(text: str, ctx: Context) -> str | None:
    limit = max(1, ctx.request.max_lines)
    lines = text.split("\n")
    if len(lines) <= limit:
        return text
    return "\n".join(lines[:limit])
