"""Natural pause points in source text: ends of tokens, starts of lines and blocks.

A point is an offset where a programmer plausibly stops typing for a moment: right
after a word, number or punctuation token (``token``), after the indentation of a new
line (``line``), or where that line opens or closes a block (``block``: after a line
ending in ``:`` or ``{``, after a dedent, or after a blank line).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d[\w.]*|[^\sA-Za-z_0-9]")


def natural_points(text: str) -> list[tuple[int, str]]:
    """(offset, kind) in increasing offset order, never at offset 0 or the end."""
    points: dict[int, str] = {}
    for match in _TOKEN.finditer(text):
        end = match.end()
        if 0 < end < len(text):
            points[end] = "token"
    offset = 0
    previous_code = ""  # last non-blank line
    blank_before = False
    for line in text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if not stripped:
            blank_before = True
            continue
        indent = len(body) - len(body.lstrip())
        at = start + indent
        if 0 < at < len(text):
            prev_indent = len(previous_code) - len(previous_code.lstrip())
            opens = previous_code.rstrip().endswith((":", "{"))
            block = opens or blank_before or (previous_code and indent < prev_indent)
            points[at] = "block" if block else "line"
        previous_code = body
        blank_before = False
    return sorted(points.items())
