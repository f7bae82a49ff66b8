"""Plain data shared by the fix engine, the CLI and the LSP layer.

Positions are 0-based (line, character) like LSP's, with characters counted in
Python string indices (code points); for ASCII text that equals LSP's UTF-16 units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    start_line: int
    start_char: int
    end_line: int
    end_char: int

    def to_lsp(self) -> dict[str, dict[str, int]]:
        return {"start": {"line": self.start_line, "character": self.start_char},
                "end": {"line": self.end_line, "character": self.end_char}}


@dataclass(slots=True)
class Problem:
    """A diagnostic: a syntax error or a failing test mapped onto the file."""

    span: Span
    message: str
    kind: str  # "syntax" | "test"
    severity: int = 1  # LSP DiagnosticSeverity.Error
    code: str = ""  # e.g. "syntax-error", "test-failure"
    tests: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Fix:
    """A validated edit for a problem, with its explanation."""

    span: Span  # the range replaced in the ORIGINAL text
    new_text: str
    fixed_source: str
    operator: str  # e.g. "insert ':'", "comparison <= -> <"
    edit_size: int  # characters removed + inserted
    title: str  # short form: code action title
    explanation: str  # long form: resolve/hover
    validated: bool
    validation: str  # "compiles" | "tests" | "tests+probes"
    score: float = 0.0
    problem: Problem | None = None
    tests_fixed: list[str] = field(default_factory=list)
    tests_kept: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)  # probe agreement etc.

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["range"] = self.span.to_lsp()
        del d["span"]
        if self.problem is not None:
            d["problem"] = {"message": self.problem.message, "kind": self.problem.kind,
                            "range": self.problem.span.to_lsp()}
        return d


def offset_to_pos(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start


def span_of(text: str, start: int, end: int) -> Span:
    a = offset_to_pos(text, start)
    b = offset_to_pos(text, end)
    return Span(a[0], a[1], b[0], b[1])


def edit_between(old: str, new: str) -> tuple[int, int, str]:
    """The minimal single replacement turning ``old`` into ``new``: (start, end, text)."""
    i = 0
    n = min(len(old), len(new))
    while i < n and old[i] == new[i]:
        i += 1
    j = 0
    while j < n - i and old[len(old) - 1 - j] == new[len(new) - 1 - j]:
        j += 1
    return i, len(old) - j, new[i : len(new) - j]
