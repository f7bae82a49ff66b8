"""Drop suggestions with nothing to show (empty or whitespace only)."""

from __future__ import annotations

from tact.server.pipeline.context import Context


def apply(text: str, ctx: Context) -> str | None:
    return text if text.strip() else None
