"""Where a syntax error is: Python's compiler (the best locator and message)
and tree-sitter's ERROR/MISSING nodes (which keep working past the first error).
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from tact.server.fixes.calls import positional_after_keyword
from tact.server.fixes.lexer import lex
from tact.server.fixes.types import Problem, Span


@dataclass(slots=True)
class CompileError:
    message: str
    line: int  # 0-based
    col: int  # 0-based, characters
    end_line: int
    end_col: int
    offset: int  # character offset of (line, col) in the text


def compile_error(text: str, filename: str = "<file>", *,
                  parse_only: bool = False) -> CompileError | None:
    """Python's own verdict on ``text`` (None when it compiles).

    ``parse_only`` runs the parser alone: a statement block cut out of its file may
    hold a ``return``, ``yield``, ``break`` or ``nonlocal`` that only the surrounding
    function or loop makes legal, which the compiler proper (not the parser) rejects.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, filename, "exec", ast.PyCF_ONLY_AST if parse_only else 0,
                    dont_inherit=True)
    except SyntaxError as exc:
        err = _null_byte(text, exc.msg or "") or _locate(text, exc)
        if err.message.startswith("positional argument follows keyword argument"):
            span = positional_after_keyword(lex(text), err.offset)
            if span is not None:
                err = _at_span(text, err.message, *span)
        return err
    except (ValueError, OverflowError, MemoryError, RecursionError) as exc:
        return _null_byte(text, str(exc)) or CompileError(str(exc), 0, 0, 0, 0, 0)
    return None


def _null_byte(text: str, message: str) -> CompileError | None:
    """A null byte, which Python reports with no position, placed where it is."""
    nul = text.find("\x00") if "null bytes" in message else -1
    return _at_span(text, message, nul, nul + 1) if nul >= 0 else None


def _locate(text: str, exc: SyntaxError) -> CompileError:
    lines = text.split("\n")
    line = max(0, (exc.lineno or 1) - 1)
    line = min(line, len(lines) - 1)
    col = max(0, (exc.offset or 1) - 1)
    col = min(col, len(lines[line]))
    end_line = max(line, (exc.end_lineno or exc.lineno or 1) - 1)
    end_line = min(end_line, len(lines) - 1)
    end_col = (exc.end_offset or 0) - 1
    if end_line == line and end_col <= col:
        end_col = col + 1
    end_col = max(0, min(end_col, len(lines[end_line])))
    if end_line == line and end_col <= col:  # at end of line: cover the last character
        col = max(0, col - 1) if col >= len(lines[line]) and col > 0 else col
        end_col = min(len(lines[line]), col + 1)
    offset = sum(len(x) + 1 for x in lines[:line]) + col
    msg = exc.msg or "invalid syntax"
    if isinstance(exc, IndentationError) and "indent" not in msg:
        msg = f"{msg} (indentation)"
    return CompileError(msg, line, col, end_line, end_col, offset)


def _at_span(text: str, message: str, start: int, end: int) -> CompileError:
    """The error ``message`` placed on characters [start, end) of ``text``."""
    line = text.count("\n", 0, start)
    end_line = text.count("\n", 0, end)
    col = start - (text.rfind("\n", 0, start) + 1)
    end_col = end - (text.rfind("\n", 0, end) + 1)
    return CompileError(message, line, col, end_line, end_col, start)


def as_problem(err: CompileError) -> Problem:
    """The compiler's error as the diagnostic a fix answers."""
    return Problem(Span(err.line, err.col, err.end_line, err.end_col),
                   f"SyntaxError: {err.message}", "syntax", code="syntax-error")


def syntax_problems(text: str, filename: str = "<file>") -> list[Problem]:
    """Diagnostics for ``text``: the compiler's error plus tree-sitter error nodes."""
    problems: list[Problem] = []
    err = compile_error(text, filename)
    if err is not None:
        problems.append(as_problem(err))
    for span, what in _tree_sitter_errors(text):
        if err is not None and span.start_line <= err.line <= span.end_line:
            continue  # the compiler already reported this region, with a better message
        problems.append(Problem(span, what, "syntax", code="syntax-error"))
    return problems


def _tree_sitter_errors(text: str) -> list[tuple[Span, str]]:
    """ERROR/MISSING nodes from tree-sitter (shared module if present, else direct)."""
    try:
        try:
            from tact.models.syntax import parse

            tree = parse(text, "python")
        except ImportError:
            import tree_sitter
            import tree_sitter_python

            parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
            tree = parser.parse(text.encode("utf-8"))
    except Exception:
        return []
    out: list[tuple[Span, str]] = []
    raw = text.encode("utf-8")

    def pos(point: tuple[int, int]) -> tuple[int, int]:
        row, byte_col = point
        line_start = 0
        for _ in range(row):
            line_start = raw.index(b"\n", line_start) + 1
        return row, len(raw[line_start : line_start + byte_col].decode("utf-8", "replace"))

    stack = [tree.root_node]
    while stack and len(out) < 20:
        node = stack.pop()
        if node.is_missing:
            a = pos(tuple(node.start_point))
            out.append((Span(a[0], a[1], a[0], a[1] + 1), f"syntax error: missing {node.type}"))
            continue
        if node.type == "ERROR":
            a = pos(tuple(node.start_point))
            b = pos(tuple(node.end_point))
            out.append((Span(a[0], a[1], b[0], b[1]), "syntax error"))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return out

