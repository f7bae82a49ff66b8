"""Build a pipeline Context for filter tests from a document with a ``|`` cursor."""

from __future__ import annotations

from tact.server.pipeline.context import Context, build_context


def context(marked: str, max_lines: int = 3) -> Context:
    offset = marked.index("|")
    text = marked[:offset] + marked[offset + 1 :]
    return build_context(text, offset, "file:///t.py", "python", max_lines)
