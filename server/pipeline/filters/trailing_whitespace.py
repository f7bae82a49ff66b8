"""Strip whitespace at the end of a suggestion: accepting it would leave trailing
spaces or a dangling newline-and-indent the programmer then deletes."""

from __future__ import annotations

from tact.server.pipeline.context import Context


def apply(text: str, ctx: Context) -> str | None:
    return text.rstrip()
