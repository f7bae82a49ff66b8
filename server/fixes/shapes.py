"""Line shapes: a line's tokens with names -> ``N``, numbers -> ``0``, strings -> ``S``.

Whether a syntax repair recreates a statement form the file already writes
(``def N(N, N, N):``, ``N = N(N, S, 0)``) is evidence the token n-grams miss: they
see a few tokens at a time, a shape sees the whole line.
"""

from __future__ import annotations

from collections.abc import Sequence

from tact.server.fixes.lexer import Token


def shape(toks: Sequence[Token]) -> str:
    """The tokens' shape: names -> N, numbers -> 0, strings -> S, the rest as is."""
    return " ".join("N" if t.kind == "name" else "0" if t.kind == "number"
                    else "S" if t.kind == "string" else t.text for t in toks)


def line_shapes(toks: Sequence[Token]) -> dict[int, str]:
    """The shape of each line that holds tokens (a token spanning lines counts on
    its first)."""
    by_line: dict[int, list[Token]] = {}
    for t in toks:
        by_line.setdefault(t.line, []).append(t)
    return {ln: shape(ts) for ln, ts in by_line.items()}
