"""Syntax errors: precise diagnostics and a search over small token edits.

Diagnostics combine Python's own compiler (the best locator and message, see the
toolchain notes) with tree-sitter's ERROR/MISSING nodes (which keep working past the
first error).

Repair is a search, not a guess: around the position the compiler reports, try every
single-token insertion, deletion and replacement (and indentation changes), keep the
candidates that *compile*, and rank them by how Python-like the result looks (a token
n-gram prior, plus the completion engine's score when one is given), by how well the
edit matches the compiler's hint (``expected ':'``, ``Perhaps you forgot a comma?``)
and by distance from the reported position. Compiling only the enclosing statement
first keeps each check cheap in large files.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import functools
import itertools
import json
import keyword
import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tact.server.fixes.calls import (
    CallSite,
    DefSite,
    call_def_mismatches,
    call_sites,
    def_mismatches,
    def_sites,
    enclosing_bracket,
    format_mismatches,
    matching_brackets,
    open_brackets,
    parameter_names,
    positional_after_keyword,
    site_mismatches,
)
from tact.server.fixes.lexer import (
    LocalModel,
    Token,
    default_prior,
    lex,
    token_stream,
)
from tact.server.fixes.shapes import line_shapes, shape
from tact.server.fixes.types import Fix, Problem, Span, edit_between, span_of

INSERT_TOKENS = [":", ")", "]", "}", "(", "[", "{", ",", ".", "=", "==", "'", '"', "in",
                 "not", "and", "or", "is", "if", "else", "for", "return", "pass", "import",
                 "from", "as", "def", "class", "lambda", "while", "with", "+", "-", "*",
                 "/", "%", "**", "<", ">", "<=", ">=", "!=", "->", "None", "0", "1", ";",
                 "+=", "-=", "@", "yield", "del", "assert", "raise", "try", "except",
                 "True", "False", "...", "elif", "finally", "break", "continue", "await",
                 "//", "|", "&"]
GLOBAL_NAMES = 6  # common identifiers of the prior tried per position (names absent from the file)
WORD = re.compile(r"\w")
CONFUSIONS = {"=": ["=="], "==": ["="], ":": [";", ","], ";": [":"], ",": [".", ":"],
              ".": [","], "(": ["["], "[": ["("], ")": ["]", "}"], "]": [")"], "{": ["("],
              "}": [")"], "else": ["elif"], "elif": ["else"]}
CLOSER = {"(": ")", "[": "]", "{": "}"}
BRACKET_ERROR = re.compile(r"was never closed|^unmatched '|does not match opening")
BRACKET_OR_QUOTE = frozenset("()[]{}'\"")
BRACKET_REACH = 400  # tokens searched back for the bracket an edit sits in
# Noisy-channel costs (nats) of the edit kinds beyond log(vocabulary): tuned on
# synthetic breaks of standard-library code the n-gram prior was not trained on.
DIST_PENALTY = 0.15  # per token between the edit and the reported error
NAMES = 16  # identifiers tried for insertion/replacement near the error
ENGINE_WEIGHT = 2.0  # weight of the engine's mean log-prob per token
NAME_WEIGHT = 0.5  # weight of the file's own evidence for an inserted name (per nat-like unit)
LOCAL_ONLY_PENALTY = 2.0  # a fix that leaves a later error is less likely the intended one
CHANNEL = {"delete": 1.5, "replace": 2.0, "indent": 1.0, "name": 1.0}


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
        err = _locate(text, exc)
        if err.message.startswith("positional argument follows keyword argument"):
            span = positional_after_keyword(lex(text), err.offset)
            if span is not None:
                err = _at_span(text, err.message, *span)
        return err
    except (ValueError, OverflowError, MemoryError, RecursionError) as exc:
        return CompileError(str(exc), 0, 0, 0, 0, 0)
    return None


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


def syntax_problems(text: str, filename: str = "<file>") -> list[Problem]:
    """Diagnostics for ``text``: the compiler's error plus tree-sitter error nodes."""
    problems: list[Problem] = []
    err = compile_error(text, filename)
    if err is not None:
        problems.append(Problem(Span(err.line, err.col, err.end_line, err.end_col),
                                f"SyntaxError: {err.message}", "syntax", code="syntax-error"))
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


# --------------------------------------------------------------------------- repair


@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    text: str
    op: str
    tok_index: int
    bonus: float = 0.0
    text_dedents: bool = False  # an indentation edit to less than the previous line
    tags: dict[str, float] = field(default_factory=dict)  # generation-time ranking features


def _chunk_bounds(text: str, line: int, toks: list[Token] | None = None
                  ) -> tuple[int, int, str]:
    """Character range of the statement block around ``line`` and a compile prefix.

    Lines inside a multi-line string (a docstring's unindented lines) are no
    statement boundaries.
    """
    lines = text.split("\n")
    inside: set[int] = set()
    for t in toks or ():
        if t.kind == "string" and "\n" in t.text:
            inside.update(range(t.line + 1, t.line + t.text.count("\n") + 1))

    def indent(i: int) -> int | None:
        s = lines[i]
        if not s.strip() or s.lstrip().startswith("#") or i in inside:
            return None
        return len(s) - len(s.lstrip(" \t"))

    cont = ("else", "elif", "except", "finally", ")", "]", "}", "case")
    start = line
    while start > 0 and (indent(start) != 0 or lines[start].lstrip().startswith(cont)):
        start -= 1
    while start > 0 and lines[start - 1].startswith("@"):
        start -= 1
    end = line + 1
    while end < len(lines) and (indent(end) != 0 or lines[end].lstrip().startswith(cont)
                                or lines[end].startswith(("@", " ", "\t"))):
        end += 1
    # a decorator after the block belongs to the next definition, not to this block
    k = end
    while k - 1 > line and (not lines[k - 1].strip() or lines[k - 1].startswith("@")):
        k -= 1
    if any(lines[j].startswith("@") for j in range(k, end)):
        end = k
    prefix = ""
    if end - start > 60:  # narrow to the innermost def/class around the line
        ind = indent(line) or 0
        j = line
        while j > start:
            k = indent(j)
            if k is not None and k <= ind and re.match(r"\s*(async\s+def|def|class)\b", lines[j]):
                break
            j -= 1
        k = indent(j) or 0
        if j > start and k > 0:
            e = max(line, j) + 1
            while e < len(lines) and (indent(e) is None or (indent(e) or 0) > k):
                e += 1
            start, end, prefix = j, e, "if 1:\n"
    cs = sum(len(x) + 1 for x in lines[:start])
    ce = min(len(text), sum(len(x) + 1 for x in lines[:end]))
    return cs, ce, prefix


def _pad(text: str, before: str, after: str, new: str) -> str:
    if WORD.match(new[:1] or " ") and before[-1:] and WORD.match(before[-1:]):
        new = " " + new
    if WORD.match(new[-1:] or " ") and after[:1] and WORD.match(after[:1]):
        new = new + " "
    return new


def _indent_candidates(text: str, line_no: int) -> list[_Cand]:
    lines = text.split("\n")
    out: list[_Cand] = []
    for ln in (line_no - 1, line_no, line_no + 1):
        if ln < 0 or ln >= len(lines) or not lines[ln].strip():
            continue
        cur = len(lines[ln]) - len(lines[ln].lstrip(" \t"))
        prev = next((lines[i] for i in range(ln - 1, -1, -1) if lines[i].strip()), "")
        p = len(prev) - len(prev.lstrip(" \t"))
        targets = {p, p + 4, max(0, p - 4), max(0, p - 8), max(0, cur - 4), cur + 4}
        # the enclosing blocks' levels: where an "unindent" most likely meant to go
        outer: list[int] = []
        level = p
        for i in range(ln - 1, -1, -1):
            if lines[i].strip():
                w = len(lines[i]) - len(lines[i].lstrip(" \t"))
                if w < level:
                    outer.append(w)
                    level = w
        nearest = min((abs(w - cur) for w in outer), default=None)
        targets |= set(outer)
        start = sum(len(x) + 1 for x in lines[:ln])
        for t in sorted(targets - {cur}):
            out.append(_Cand(start, start + cur, " " * t, f"indent to {t}", -1,
                             bonus=-0.5 * abs(t - cur) / 4,
                             text_dedents=t in outer and abs(t - cur) == nearest))
    return out


def _candidates(text: str, toks: list[Token], err: CompileError) -> list[_Cand]:
    if not toks:
        return []
    e = next((i for i, t in enumerate(toks) if t.end > err.offset), len(toks) - 1)
    lo, hi = max(0, e - 10), min(len(toks), e + 3)
    # the compiler's range may cover a whole expression ("Perhaps you forgot a comma?"):
    # the break is anywhere inside it
    lines = text.split("\n")
    end_off = sum(len(x) + 1 for x in lines[: err.end_line]) + err.end_col
    e_end = next((k for k in range(e, len(toks)) if toks[k].start >= end_off), len(toks))
    hi = min(len(toks), max(hi, min(e_end + 2, e + 30)))
    levels = sorted({len(x) - len(x.lstrip(" \t")) for x in lines if x.strip()} | {0})
    msg = err.message
    closers_only_until = None
    m = re.search(r"'([(\[{])' was never closed", msg)
    if m:  # the missing closer may be far after the opening bracket
        last_line = toks[e].line + 8
        hi2 = e
        while hi2 + 1 < len(toks) and toks[hi2 + 1].line <= last_line:
            hi2 += 1
        closers_only_until = hi2 + 1
    out: list[_Cand] = []
    m2 = re.search(r"unmatched '([)\]}])'", msg)
    if m2:  # the lost opener may be far before the unmatched closer, in the same statement
        opener = {v: k for k, v in CLOSER.items()}[m2.group(1)]
        first = e
        while first > 0 and e - first < 40 and toks[first - 1].line >= toks[e].line - 3:
            first -= 1
        for i in range(first, lo):
            t = toks[i]
            out.append(_Cand(t.start, t.start, _pad(text, text[: t.start], text[t.start :],
                                                    opener), f"insert {opener!r}", i))
            out.append(_Cand(t.start, t.end, _pad(text, text[: t.start], text[t.end :], opener),
                             f"replace {t.text!r} with {opener!r}", i))
            if t.kind == "op" and t.text in ")]}":
                # or an earlier closer is the stray one (``f(a) )b`` for ``f(a) and b``)
                gap = " " if (t.start > 0 and t.end < len(text) and WORD.match(text[t.start - 1])
                              and WORD.match(text[t.end])) else ""
                out.append(_Cand(t.start, t.end, gap, f"delete {t.text!r}", i))
                for r in INSERT_TOKENS:
                    if r != t.text:
                        out.append(_Cand(t.start, t.end,
                                         _pad(text, text[: t.start], text[t.end :], r),
                                         f"replace {t.text!r} with {r!r}", i))
    # an opener still open at the error (within 40 tokens and three lines) may have
    # lost its closer far before it (``callable(f or callable(g(x)):``, reported at ``:``)
    for j in itertools.takewhile(lambda j: toks[j].line >= toks[e].line - 3,
                                 open_brackets(toks, e - 1, reach=40)):
        closer = CLOSER[toks[j].text]
        for i in range(j + 1, lo):
            off = toks[i - 1].end
            out.append(_Cand(off, off, _pad(text, text[:off], text[off:], closer),
                             f"insert {closer!r}", i))
    out.extend(_split_candidates(toks, lo, hi, e))
    names: list[str] = []
    # candidate names: nearest first, then the rest of the file (bounded)
    near = sorted(range(len(toks)), key=lambda k: abs(k - e))
    for k in near[:400]:
        t = toks[k]
        if t.kind == "name" and t.text not in names:
            names.append(t.text)
    pick = _NamePicker(toks, names, err.line)
    literals = _file_literals(toks, e)
    # insertions
    for i in range(lo, (closers_only_until or hi) + 1):
        offsets = set()
        if i > 0:
            offsets.add(toks[i - 1].end)
        if i < len(toks):
            offsets.add(toks[i].start)
            ls = text.rfind("\n", 0, toks[i].start) + 1
            if not text[ls : toks[i].start].strip():
                # a missing first word (``return``, ``def``...) left its space behind:
                # insert at an indentation level the file uses
                cur = toks[i].start - ls
                offsets.update(ls + w for w in levels if w < cur)
        elif i == len(toks):
            offsets.add(len(text.rstrip()))
        far = i > hi
        vocab = [CLOSER[m.group(1)]] if far and m else INSERT_TOKENS
        for off in offsets:
            for tok in vocab:
                new = _pad(text, text[:off], text[off:], tok)
                out.append(_Cand(off, off, new, f"insert {tok!r}", i))
            if not far and abs(i - e) <= 3:
                for name in _global_names(toks, i, i, names):
                    new = _pad(text, text[:off], text[off:], name)
                    out.append(_Cand(off, off, new, "insert name", i,
                                     tags={"global_name": 1.0}))
                for name, ns in pick.best(i - 1, i):
                    new = _pad(text, text[:off], text[off:], name)
                    out.append(_Cand(off, off, new, "insert name", i,
                                     tags={"file_name": 1.0, "name_ns": ns}))
                for lit in literals:
                    new = _pad(text, text[:off], text[off:], lit)
                    out.append(_Cand(off, off, new, "insert literal", i,
                                     tags={"file_literal": 1.0}))
    # deletions and replacements
    for i in range(lo, closers_only_until or hi):
        t = toks[i]
        end = t.end
        line_start = text.rfind("\n", 0, t.start) + 1
        if not text[line_start : t.start].strip():  # first on its line: take the space too
            while end < len(text) and text[end] in " \t":
                end += 1
        # between two words a deletion keeps them apart (``quote(str`` -> ``quote str``,
        # not the new name ``quotestr``)
        gap = " " if (t.start > 0 and end < len(text) and WORD.match(text[t.start - 1])
                      and WORD.match(text[end])) else ""
        out.append(_Cand(t.start, end, gap, f"delete {t.text!r}", i))
        repl = CONFUSIONS.get(t.text, [])
        near_e = abs(i - e) <= 3
        named: list[tuple[str, dict[str, float]]] = []
        if near_e:
            named = [(x, {"file_name": 1.0, "name_ns": ns}) for x, ns in pick.best(i - 1, i + 1)]
            named += [(x, {"global_name": 1.0}) for x in _global_names(toks, i, i + 1, names)]
            named += [(x, {"file_literal": 1.0}) for x in literals]
        for r, tags in [(x, {}) for x in INSERT_TOKENS] + named:
            if r == t.text:
                continue
            new = _pad(text, text[: t.start], text[t.end :], r)
            tags = {**tags, "confusion": 1.0} if r in repl else tags
            out.append(_Cand(t.start, t.end, new, f"replace {t.text!r} with {r!r}", i,
                             tags=tags))
    # unterminated strings: close the quote at line end or before a closing bracket
    if "unterminated" in msg or "EOL" in msg:
        s = next((t for t in toks if t.start <= err.offset < t.end and t.kind == "string"), None)
        if s is None:
            s = next((t for t in toks[lo:hi] if t.kind == "string"), None)
        if s is not None:
            q = s.text.lstrip("rRbBuUfF")[:1]
            if "triple" in msg:
                q = q * 3
            body_end = s.end
            line_end = text.find("\n", s.start)
            body_end = line_end if line_end != -1 and "triple" not in msg else body_end
            for k in range(s.start + 1, body_end + 1):
                if k == body_end or text[k] in ")]},:":
                    out.append(_Cand(k, k, q, f"insert {q!r}", e, bonus=1.0))
    if "indent" in msg or "unindent" in msg:
        out.extend(_indent_candidates(text, err.line))
    elif toks[e].line == err.line:
        out.extend(c for c in _indent_candidates(text, err.line))
    return out


def may_balance(message: str, removed: str, inserted: str) -> bool:
    """False when the compiler reports an unbalanced bracket and an edit replacing
    ``removed`` with ``inserted`` touches no bracket or quote: the brackets stay
    unbalanced, so the edit cannot compile and is not worth compiling."""
    if BRACKET_ERROR.search(message) is None:
        return True
    return bool(BRACKET_OR_QUOTE.intersection(removed + inserted))


SPLIT_TOKENS = ("(", ".", ",", "[", ")", "=", ":", "*", "+", "-", "/", "%", "<", ">", "==")


def _split_candidates(toks: list[Token], lo: int, hi: int, e: int) -> list[_Cand]:
    """A lost operator between two names leaves one unknown word (``__str__self`` for
    ``__str__(self``, ``selfname`` for ``self.name``): split a name near the error that
    the file uses nowhere else into two the file (or the prior's common names) knows."""
    counts: dict[str, int] = {}
    for t in toks:
        if t.kind == "name":
            counts[t.text] = counts.get(t.text, 0) + 1
    common = default_prior().common
    out: list[_Cand] = []
    for i in range(max(lo, e - 3), min(hi, e + 2)):
        t = toks[i]
        if t.kind != "name" or counts.get(t.text, 0) > 1 or len(t.text) < 3:
            continue
        for k in range(1, len(t.text)):
            left, right = t.text[:k], t.text[k:]
            if not (left.isidentifier() and right.isidentifier()):
                continue
            known = [x in counts or x in common for x in (left, right)]
            if not all(known):
                continue
            for op in SPLIT_TOKENS:
                out.append(_Cand(t.start + k, t.start + k, op, f"insert {op!r}", i))
    return out


def _file_literals(toks: list[Token], e: int, n: int = 4) -> list[str]:
    """Short string and number literals of the file, nearest to the error first: a
    lost ``', '`` or ``2`` is most often one the file already uses."""
    out: list[str] = []
    for k in sorted(range(len(toks)), key=lambda k: abs(k - e)):
        t = toks[k]
        if t.kind in ("string", "number") and len(t.text) <= 12 and "\n" not in t.text and (
                t.text not in out and t.text not in ("0", "1")):
            out.append(t.text)
            if len(out) >= n:
                break
    return out


def _global_names(toks: list[Token], left: int, right: int, have: list[str]) -> list[str]:
    """Common identifiers (from the prior's training half) most likely between two tokens.

    A deleted ``__init__``, ``join`` or ``self`` is often absent from the rest of a
    short function: the file cannot propose it, but the prior knows what usually
    follows ``def`` or ``.`` and precedes ``(``. Names the file has are left to
    :class:`_NamePicker`.
    """
    prior = default_prior()
    common = prior.common
    ctx = [("self" if t.text == "self" else t.text if t.kind == "name" and t.text in common
            else t.abstract) for t in toks[max(0, left - 3) : left]]
    nxt = [t.text if t.kind == "name" and t.text in common else t.abstract
           for t in toks[right : right + 1]]
    seen = set(have)
    ranked = _ranked_common(tuple(ctx), tuple(nxt))
    return [w for w in ranked if w not in seen][:GLOBAL_NAMES]


@functools.lru_cache(maxsize=512)
def _followers(prev: str) -> frozenset[str]:
    """The prior's common names ever seen right after ``prev`` (the only ones worth
    scoring there)."""
    prior = default_prior()
    pre = prev + " "
    return frozenset(k[len(pre):] for k in prior.grams[2] if k.startswith(pre)
                     and k[len(pre):] in prior.common)


@functools.lru_cache(maxsize=4096)
def _ranked_common(ctx: tuple[str, ...], nxt: tuple[str, ...]) -> tuple[str, ...]:
    """The prior's common names, most likely first between ``ctx`` and ``nxt``
    (cached: the same abstract contexts recur across positions and files)."""
    prior = default_prior()
    words = list(_followers(ctx[-1] if ctx else "NEWLINE") or prior.common)
    probs = prior.probs_after(ctx, words)
    if nxt:
        after = prior.probs_before(ctx, words, nxt[0])
        probs = [p * q for p, q in zip(probs, after, strict=True)]
    scored = sorted(zip(probs, words, strict=True), reverse=True)
    return tuple(w for _, w in scored[: GLOBAL_NAMES + 64])


class _NamePicker:
    """Which of the file's identifiers to try between two tokens.

    The document is the best evidence for a missing name: names that follow the left
    token and precede the right one elsewhere in the file (``self.`` -> attributes the
    file uses after ``self.``; ``(`` ``,`` -> the usual first argument) come first,
    then frequent and nearby names (those on the error line count extra: ``self.x = other.x``).
    """

    def __init__(self, toks: list[Token], names: list[str], err_line: int) -> None:
        self.toks = toks
        self.names = names
        self.rank = {n: k for k, n in enumerate(names)}
        self.after: dict[str, dict[str, int]] = {}
        self.before: dict[str, dict[str, int]] = {}
        self.freq: dict[str, int] = {}
        for a, b in itertools.pairwise(toks):
            if b.kind == "name":
                d = self.after.setdefault(a.text, {})
                d[b.text] = d.get(b.text, 0) + 1
            if a.kind == "name":
                d = self.before.setdefault(b.text, {})
                d[a.text] = d.get(a.text, 0) + 1
        self.same_line: dict[str, int] = {}
        for t in toks:
            if t.kind == "name":
                self.freq[t.text] = self.freq.get(t.text, 0) + 1
                if t.line == err_line:  # ``self.x = other.x``, ``a.n == b.n``
                    self.same_line[t.text] = self.same_line.get(t.text, 0) + 1

    def best(self, left: int, right: int, n: int = NAMES) -> list[tuple[str, float]]:
        lt = self.toks[left].text if left >= 0 else "NEWLINE"
        rt = self.toks[right].text if 0 <= right < len(self.toks) else "NEWLINE"
        after = self.after.get(lt, {})
        before = self.before.get(rt, {})

        def score(name: str) -> float:
            return (2.0 * math.log1p(after.get(name, 0)) + 2.0 * math.log1p(before.get(name, 0))
                    + 0.5 * math.log1p(self.freq.get(name, 0))
                    + 1.0 * math.log1p(self.same_line.get(name, 0))
                    - 0.3 * math.log1p(self.rank[name]))

        scored = sorted(((x, score(x)) for x in self.names), key=lambda g: -g[1])[:n]
        mean = sum(g[1] for g in scored) / max(1, len(scored))
        return [(x, v - mean) for x, v in scored]


def _hint_bonus(msg: str, cand: _Cand, at_line_end: bool = False, err_offset: int = -1) -> float:
    new = cand.text.strip()
    b = 0.0
    m = re.search(r"expected '([^']+)'", msg)
    if m and new == m.group(1):
        b += 3.0
    if "forgot a comma" in msg and new == ",":
        b += 2.0
    if "Maybe you meant '==' or ':='" in msg and new == "==":
        b += 2.0
    m = re.search(r"'([(\[{])' was never closed", msg)
    if m and new == CLOSER[m.group(1)]:
        b += 2.0
        if at_line_end:  # the trailing closer is the one most often forgotten
            b += 1.0
    if m and cand.op.startswith("delete") and cand.start != err_offset:
        b -= 1.5  # the compiler named the unclosed bracket: deleting another is unlikely
    m = re.search(r"closing parenthesis '(.)' does not match opening parenthesis '(.)'", msg)
    if m and new == CLOSER.get(m.group(2)):
        b += 2.0
    m = re.search(r"unmatched '(.)'", msg)
    if m and cand.op.startswith("delete") and m.group(1) in cand.op:
        b += 1.0
    if ("indent" in msg) and cand.op.startswith("indent"):
        b += 2.0
        if "unindent does not match" in msg:
            # the author meant to dedent to an outer level, most likely the nearest
            b += 2.0 if cand.text_dedents else -2.0
    return b


def _window_lines(text: str, start: int, end: int, pad: int = 3) -> str:
    a = text.rfind("\n", 0, start)
    for _ in range(pad):
        if a <= 0:
            a = -1
            break
        a = text.rfind("\n", 0, a)
    b = end
    for _ in range(pad + 1):
        nb = text.find("\n", b + 1)
        if nb == -1:
            b = len(text)
            break
        b = nb
    return text[a + 1 : b]


def syntax_fixes(text: str, *, precision: str = "standard", max_fixes: int = 3,
                 scorer: Callable[[str], float] | None = None,
                 filename: str = "<file>", budget: float = 1.5,
                 collect: list[tuple[dict[str, float], str]] | None = None) -> list[Fix]:
    """Validated (compiling) single-edit repairs for the first syntax error, best first.

    ``scorer`` (e.g. the completion engine's ``score_text``: mean log-prob per token)
    breaks near-ties between candidates. Returns [] when the text compiles or nothing
    small compiles (declining is the right answer for deliberately odd code).
    ``budget`` bounds the seconds spent compiling candidates (nearest to the error
    first), so a huge file still gets an answer in time. ``collect``, when given,
    receives every compiling candidate's ranking features and fixed text (training
    data for the ranker).
    """
    err = compile_error(text, filename)
    if err is None:
        return []
    toks = lex(text)
    cs, ce, prefix = _chunk_bounds(text, err.line, toks)
    chunk_before = compile_error(prefix + text[cs:ce], parse_only=True)
    if chunk_before is not None and (
            chunk_before.line - prefix.count("\n") + text.count("\n", 0, cs) != err.line):
        chunk_before = None  # the block cut is not the one with this error: check whole files
    lines = text.split("\n")
    lo_line, hi_line = max(0, err.line), err.end_line + 1
    context = "\n".join(lines[:lo_line] + lines[hi_line:])
    model = LocalModel(context, default_prior())
    vocab = len({t.text for t in toks}) + 20
    seen: set[tuple[int, int, str]] = set()
    good: list[tuple[float, _Cand, str, str]] = []
    max_edit = {"lenient": 40, "standard": 30, "strict": 12}.get(precision, 30)
    ctx = _RankContext(text, toks, err, model, vocab)
    ctx.chunk = (cs, ce, prefix) if chunk_before is not None else None
    weights = ranker_weights()
    # In a large file, compiling the whole file per candidate dominates: when the rest
    # of the file compiles without the edited block, a candidate whose block compiles
    # is provisionally whole-file valid, and only the best few are compiled in full.
    rest_ok = (chunk_before is not None and len(text) > LARGE_FILE
               and compile_error(text[:cs] + text[ce:]) is None)
    e_idx = _err_index(toks, err)
    cands = sorted(_candidates(text, toks, err),
                   key=lambda c: abs(c.tok_index - e_idx) if c.tok_index >= 0 else 0)
    deadline = time.perf_counter() + budget
    passed: list[tuple[_Cand, str, str]] = []
    for c in cands:
        if time.perf_counter() > deadline:
            break  # nearest candidates first: the far ones are the least likely
        key = (c.start, c.end, c.text)
        if key in seen:
            continue
        seen.add(key)
        if len(c.text.strip()) > max_edit and not c.op.startswith("indent"):
            continue  # single tokens only; long inserted names are guesses
        if not may_balance(err.message, text[c.start : c.end], c.text):
            continue  # cannot compile: not worth a compile (1 ms each in a large file)
        new = text[: c.start] + c.text + text[c.end :]
        in_chunk = chunk_before is not None and cs <= c.start and c.end <= ce
        if in_chunk:
            chunk = prefix + new[cs : ce + len(c.text) - (c.end - c.start)]
            if compile_error(chunk, parse_only=True) is not None:
                continue
        full = None if in_chunk and rest_ok else compile_error(new)
        validation = "compiles"
        if full is not None:
            # Another, later error remains: accept only if this one is gone and the
            # remaining error lies beyond the edited statement block (an edit that
            # merely pushes the error further, e.g. an opened string, is no repair).
            if full.line <= err.end_line or chunk_before is None or not (
                    cs <= c.start and c.end <= ce) or full.offset < ce + len(c.text) - (
                    c.end - c.start):
                continue
            validation = "compiles-locally"
        passed.append((c, new, validation))
    ctx.set_window([c for c, _, _ in passed])
    scored: list[tuple[dict[str, float], _Cand, str, str]] = []
    for c, new, validation in passed:
        if time.perf_counter() > deadline + budget / 2 and len(scored) >= max_fixes:
            break  # nearest first: in a huge file the far ones are left unranked
        scored.append((ctx.features(c, new, validation), c, new, validation))
    _group_features([f for f, _, _, _ in scored])
    for feats, c, new, validation in scored:
        score = sum(weights.get(k, 0.0) * v for k, v in feats.items())
        good.append((score, c, new, validation))
        if collect is not None:
            collect.append((feats, new))
    if not good:
        return []
    good.sort(key=lambda g: -g[0])
    if rest_ok:  # confirm the provisional ones in full, best first
        kept: list[tuple[float, _Cand, str, str]] = []
        for g in good:
            if len(kept) >= max(max_fixes, 8):
                break
            if g[3] != "compiles" or compile_error(g[2]) is None:
                kept.append(g)
        good = kept
        if not good:
            return []
    if scorer is not None and len(good) > 1:
        top = good[:8]
        rescored = []
        for score, c, new, v in top:
            try:
                s = scorer(_window_lines(new, c.start, c.start + len(c.text), pad=6))
            except Exception:
                s = 0.0
            rescored.append((score + ENGINE_WEIGHT * s, c, new, v))
        good = sorted(rescored, key=lambda g: -g[0]) + good[8:]
    shown: set[tuple[int, str, tuple[str, ...]]] = set()
    distinct = []
    for g in good:
        ls = g[2].rfind("\n", 0, g[1].start) + 1
        le = g[2].find("\n", g[1].start + len(g[1].text))
        line = g[2][ls : len(g[2]) if le == -1 else le]
        same = (ls, line[: len(line) - len(line.lstrip())], tuple(t.text for t in lex(line)))
        if same not in shown:  # else the same code as a better-ranked fix, spaced differently
            shown.add(same)
            distinct.append(g)
    good = distinct
    if precision == "strict" and len(good) > 1 and good[0][0] - good[1][0] < 1.0:
        return []  # too close to call: decline
    fixes: list[Fix] = []
    problem = Problem(Span(err.line, err.col, err.end_line, err.end_col),
                      f"SyntaxError: {err.message}", "syntax", code="syntax-error")
    for score, c, new, validation in good[:max_fixes]:
        a = max(0, c.start - 64)  # the edit is local: compare a window, not the file
        b = c.end + 64
        s, e, t = edit_between(text[a:b], new[a : b + len(c.text) - (c.end - c.start)])
        s, e = s + a, e + a
        span = span_of(text, s, e)
        removed = text[s:e]
        what = _describe(c, removed, t)
        line_no = span.start_line + 1
        title = f"Fix syntax: {what} (line {line_no})"
        explanation = (
            f"Python reports `SyntaxError: {err.message}` at line {err.line + 1}, "
            f"column {err.col + 1}. {_gerund(what)} at line {line_no} makes the "
            + ("file compile" if validation == "compiles" else "statement compile "
               "(later errors remain)")
            + ("; it is the only small edit found that does." if len(good) == 1 else
               f"; among the {len(good)} small edits that compile, this one reads most "
               "like ordinary Python code and best matches the compiler's hint.")
        )
        fixes.append(Fix(span=span, new_text=t, fixed_source=new, operator=c.op,
                         edit_size=len(removed) + len(t), title=title,
                         explanation=explanation, validated=True, validation=validation,
                         score=round(score, 3), problem=problem))
    return fixes


GROUP_KEYS = ("lm",)  # scores compared across the candidates
GAP_CLIP = 8.0  # nats: beyond this a margin says nothing more


def _group_features(feats: list[dict[str, float]]) -> None:
    """Features relative to the other candidates of the same error (in place).

    A linear score sees each candidate alone; whether it is the best of its group under
    the language model, and by how much, is evidence the score alone misses (the same
    log-prob is a clear winner in one group and a near-miss in another).
    """
    if len(feats) < 2:
        return
    for key in GROUP_KEYS:
        vals = [f.get(key, 0.0) for f in feats]
        order = sorted(range(len(vals)), key=lambda k: -vals[k])
        best, second = vals[order[0]], vals[order[1]]
        for rank, k in enumerate(order):
            other = second if k == order[0] else best
            gap = max(-GAP_CLIP, min(GAP_CLIP, vals[k] - other))
            f = feats[k]
            f[f"gap_{key}"] = gap
            if rank == 0:
                f[f"top_{key}"] = 1.0
            elif rank < 3:
                f[f"top3_{key}"] = 1.0


# Default weights of the ranking features (a linear score, natural-log units). The
# shipped data/syntax_ranker.json, fitted on breaks of code outside both the prior's
# training files and the benchmark, overrides them.
DEFAULT_WEIGHTS: dict[str, float] = {
    "lm": 1.0, "channel": 1.0, "bonus": 1.0, "hint": 1.0, "dist": -DIST_PENALTY,
    "local_only": -LOCAL_ONLY_PENALTY, "global_name": -CHANNEL["name"] - 0.5,
    "file_name": -CHANNEL["name"], "name_ns": NAME_WEIGHT, "k_replace": -0.3,
    "confusion": 0.8,
}
RANKER_FILE = Path(__file__).with_name("data") / "syntax_ranker.json"
LARGE_FILE = 8000  # characters from which candidates are compiled per block, not per file
ROLE_PAD = 2  # lines either side of an edit whose names are checked against the file
WINDOW_REACH = 8  # lines from the error within which candidates share one LM window
NEAR = 4  # tokens next to an edit whose log-prob change is a feature of its own


@functools.cache
def ranker_weights() -> dict[str, float]:
    """The fitted ranking weights (the defaults if the data file is missing)."""
    try:
        data = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data["weights"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return dict(DEFAULT_WEIGHTS)


BINDERS = frozenset({"def", "class", "import", "as", "for", "global", "nonlocal"})


def _binds(toks: list[Token], k: int) -> bool:
    """Whether token ``k`` is a name being bound (after ``def``, ``import``, ``as``,
    ``for``... or before ``=``/``:=``). ``self.x = x`` binds no name ``x``: an attribute
    is never a binding. A cheap token scan, for text that does not parse."""
    if toks[k].kind != "name":
        return False
    prev = toks[k - 1].text if k else ""
    nxt = toks[k + 1].text if k + 1 < len(toks) else ""
    return prev in BINDERS or (nxt in ("=", ":=") and prev != ".")


def _roles(toks: list[Token]) -> list[tuple[str, str]]:
    """(name, role) of each identifier: attribute after ``.``, defined after
    ``def``/``class``, keyword argument before ``=`` inside brackets, else bare."""
    out = []
    depth = 0
    for k, t in enumerate(toks):
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth = max(0, depth - 1)
        if t.kind != "name":
            continue
        prev = toks[k - 1].text if k else ""
        nxt = toks[k + 1].text if k + 1 < len(toks) else ""
        if prev == ".":
            role = "attr"
        elif prev in ("def", "class"):
            role = prev
        elif nxt == "=" and depth > 0:
            role = "kwarg"
        else:
            role = "bare"
        out.append((t.text, role))
    return out


class _RankContext:
    """Ranking features of a compiling candidate, relative to the broken text.

    Every language-model score is a *difference* over the same lines of the fixed and
    the broken text, so candidates on different lines compare fairly. Name features
    check the names around the edit against how the rest of the file uses them
    (an identifier the file only uses after ``.`` is unlikely to stand alone).
    """

    def __init__(self, text: str, toks: list[Token], err: CompileError, model: LocalModel,
                 vocab: int) -> None:
        self.text = text
        self.toks = toks
        self.err = err
        self.model = model
        self.prior = default_prior()
        self.log_vocab = math.log(vocab)
        self.e = _err_index(toks, err)
        self.line_starts = [0]
        for ln in text.split("\n"):
            self.line_starts.append(self.line_starts[-1] + len(ln) + 1)
        self.counts: dict[str, int] = {}
        for t in toks:
            self.counts[t.text] = self.counts.get(t.text, 0) + 1
        self.in_string: dict[int, tuple[int, int]] = {}  # line -> the string's lines
        for t in toks:
            if t.kind == "string" and "\n" in t.text:
                span = (t.line, t.line + t.text.count("\n"))
                for ln in range(span[0], span[1] + 1):
                    self.in_string[ln] = span
        self._base: dict[tuple[int, int, int, int],
                         tuple[Any, float, float, float, float, float]] = {}
        self.chunk: tuple[int, int, str] | None = None
        self.window: tuple[int, int] | None = None  # shared LM window (lines), see set_window
        self.tok_starts = [t.start for t in toks]
        self._outside: dict[tuple[int, int], tuple[dict[tuple[str, str], int],
                                                   dict[str, int]]] = {}
        self._sites_outside: dict[tuple[int, int], tuple[dict[str, set[int]],
                                                         dict[str, list[DefSite]]]] = {}

    def set_window(self, cands: list[_Cand]) -> None:
        """One LM window (lines) covering the compiling candidates near the error."""
        lines = [ln for c in cands for ln in (self._line_of(c.start), self._line_of(c.end))
                 if abs(ln - self.err.line) <= WINDOW_REACH]
        if lines:
            self.window = (min(lines) - ROLE_PAD, max(lines) + ROLE_PAD)

    def _line_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.line_starts, offset) - 1)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one context per repair
    def _stack(self, line: int) -> list[int]:
        """Indentation widths of the blocks enclosing ``line`` (outermost first)."""
        lines = self.lines
        out: list[int] = []
        level: int | None = None
        for i in range(min(line, len(lines)) - 1, -1, -1):
            s = lines[i]
            if not s.strip() or s.lstrip().startswith("#"):
                continue
            w = len(s) - len(s.lstrip(" \t"))
            if level is None or w < level:
                out.append(w)
                level = w
                if w == 0:
                    break
        if not out or out[-1] != 0:
            out.append(0)
        return out[::-1]

    def _window_scores(self, window: str, edit_lines: str,
                       outside: dict[tuple[str, str], int], names_out: dict[str, int],
                       window_line: int) -> tuple[Any, float, float, float, float, float]:
        stream = token_stream(window, indents=self._stack(window_line))
        lm = (stream, self.model.logprobs(stream))
        ab = self.prior.logprob(["NEWLINE", *(a for a, _ in stream)])
        mismatch = novel = 0.0
        wt = lex(edit_lines)
        same = float(sum(1 for a, op, b in zip(wt, wt[1:], wt[2:], strict=False)
                         if a.kind == "name" and a.text == b.text and op.text in _SELF_OPS))
        for name, role in _roles(wt):
            if keyword.iskeyword(name) or name in _BUILTINS:
                continue
            if names_out.get(name, 0) == 0:
                novel += 1
            elif outside.get((name, role), 0) == 0 and not (
                    role in ("attr", "bare") and (outside.get((name, "def"), 0)
                                                  or outside.get((name, "class"), 0))):
                # a function or class the file defines is reached bare or as an
                # attribute (``helper(x)``, ``self.method()``, ``super().__init__()``)
                mismatch += 1
        return lm, ab, mismatch, novel, same, float(_flat_continuations(window))

    def features(self, c: _Cand, new: str, validation: str) -> dict[str, float]:
        kind = c.op.split(" ", 1)[0]
        f: dict[str, float] = dict(c.tags)
        la0, lb0 = self._line_of(c.start), self._line_of(c.end)
        # one LM window for all candidates when it covers this one (an unclosed
        # bracket's effect runs to the window's end: equal windows compare fairly)
        if self.window is not None and self.window[0] <= la0 and lb0 <= self.window[1]:
            la, lb = self.window
        else:
            la, lb = la0 - ROLE_PAD, lb0 + ROLE_PAD
        # the LM window never starts or ends inside a multi-line string
        la = max(0, la)
        la = self.in_string.get(la, (la, la))[0]
        lb = min(len(self.line_starts) - 2, lb)
        lb = min(len(self.line_starts) - 2, self.in_string.get(lb, (lb, lb))[1])
        ws, we = self.line_starts[la], self.line_starts[lb + 1] - 1
        # names on the edited line(s) are checked against the rest of the file
        rs, re_ = self.line_starts[la0], self.line_starts[lb0 + 1] - 1
        outside = self.toks_outside(rs, re_)
        base = self._base.get((la, lb, la0, lb0))
        if base is None:
            base = self._window_scores(self.text[ws:we], self.text[rs:re_], *outside, la)
            self._base[(la, lb, la0, lb0)] = base
        delta = len(c.text) - (c.end - c.start)
        fixed = self._window_scores(new[ws : we + delta], new[rs : re_ + delta], *outside, la)
        f["lm"] = sum(fixed[0][1]) - sum(base[0][1])
        # the edited tokens' own log-probs apart from their effect on the context: a
        # stray token is improbable where it stands; a restored one should fit
        (bs, bl), (fs, fl) = base[0], fixed[0]
        p = 0
        while p < min(len(bs), len(fs)) and bs[p] == fs[p]:
            p += 1
        q = 0
        while q < min(len(bs), len(fs)) - p and bs[-1 - q] == fs[-1 - q]:
            q += 1
        f["lm_rm"] = sum(bl[p : len(bl) - q])
        f["lm_ins"] = sum(fl[p : len(fl) - q])
        f["lm_ctx"] = sum(fl[len(fl) - q :]) - sum(bl[len(bl) - q :])
        f["lm_near"] = sum(fl[len(fl) - q : len(fl) - q + NEAR]) - sum(
            bl[len(bl) - q : len(bl) - q + NEAR])
        f["abs"] = fixed[1] - base[1]
        f["mismatch"] = fixed[2] - base[2]
        f["novel"] = fixed[3] - base[3]
        f["self_op"] = fixed[4] - base[4]
        f["flat_cont"] = fixed[5] - base[5]
        if kind == "delete":
            f["channel"] = -self.log_vocab - CHANNEL["delete"]
            f["k_delete"] = 1.0
        elif kind == "replace":
            f["channel"] = -self.log_vocab - CHANNEL["replace"]
            f["k_replace"] = 1.0
        elif kind == "indent":
            f["channel"] = -CHANNEL["indent"]
            f["k_indent"] = 1.0
        if kind != "indent":
            removed = self.text[c.start : c.end].strip()
            inserted = c.text.strip()
            if removed:
                rk = _tok_class(removed)
                f[f"rm_{rk}"] = 1.0
                f[f"{kind}_rm_{rk}"] = 1.0
                f["rm_elsewhere"] = math.log1p(self.counts.get(removed, 1) - 1)
                if rk == "name":
                    # used in this same role elsewhere: it fits where it stands
                    role = _fine_role(self._text_at(c.start - 1, -1), self._text_at(c.end, 1))
                    f["rm_role_seen"] = math.log1p(
                        max(0, self.fine_roles.get((removed, role), 0) - 1))
            if inserted:
                ik = _tok_class(inserted)
                f[f"ins_{ik}"] = 1.0
                f[f"{kind}_ins_{ik}"] = 1.0
                f["ins_elsewhere"] = math.log1p(self.counts.get(inserted, 0))
                if ik == "name":
                    f["ins_near"] = self._nearness(inserted, c.tok_index)
                    role = _fine_role(self._text_at(c.start - 1, -1), self._text_at(c.end, 1))
                    f["ins_role_seen"] = math.log1p(self.fine_roles.get((inserted, role), 0))
                    f["ins_same_line"] = float(self._same_line(inserted, c.start))
            f["nb_role"] = self._neighbour_roles(c)
            # a comma restored or a word dropped between two items: how likely each is
            # depends on the list (a parameter list, a call's arguments, a display)
            if (kind == "insert" and inserted == ",") or (
                    kind == "delete" and removed and _tok_class(removed) == "name"):
                where = self._bracket_context(c.start)
                if where:
                    f[f"{'comma' if inserted else 'rm_word'}_in_{where}"] = 1.0
            if removed and not inserted:
                # a token typed twice (``,,``, ``..``, ``((``): removing one copy is the
                # likeliest fix, and neither a stray word nor a lost one is
                if removed in (self._text_at(c.start - 1, -1), self._text_at(c.end, 1)):
                    # ``0 0`` or ``x x`` in a list may equally have lost a comma
                    f["dup_rm_word" if WORD.match(removed) else "dup_rm"] = 1.0
                ls = self.text.rfind("\n", 0, c.start) + 1
                le = self.text.find("\n", c.end)
                line = self.text[ls : len(self.text) if le == -1 else le]
                if not (line[: c.start - ls] + line[c.end - ls :]).strip():
                    f["empties_line"] = 1.0
        if c.bonus:
            f["bonus"] = c.bonus
        rest = self.text[c.end :].split("\n", 1)[0].split("#", 1)[0]
        f["hint"] = _hint_bonus(self.err.message, c, at_line_end=not rest.strip(),
                                err_offset=self.err.offset)
        dist = c.tok_index - self.e if c.tok_index >= 0 else 1
        f["dist"] = abs(dist)
        if abs(dist) <= 2:
            f[f"dist{abs(dist)}"] = 1.0
        if dist < 0:
            f["before"] = 1.0
        if validation != "compiles":
            f["local_only"] = 1.0
        if kind != "indent":
            self._pair_features(c, f)
        counts, bound = self._binding(c, new)
        f.update((name, value) for name, value in counts.items() if value)  # sparse
        if kind in ("insert", "replace") and c.text.strip() in bound:
            f["ins_bound"] = 1.0
        if kind != "indent":
            self._idiom_features(c, new, f, la0, lb0)
        self._call_features(new[ws : we + delta], ws, rs, re_, delta, f)
        return f

    @functools.cached_property
    def _sites(self) -> tuple[list[CallSite], list[DefSite]]:
        return call_sites(self.toks, self._brackets), def_sites(self.toks, self._brackets)

    def _call_features(self, window: str, ws: int, rs: int, re_: int, delta: int,
                       f: dict[str, float]) -> None:
        """Calls on the edited lines (characters [rs, re_) of the broken text, the
        fixed ``window`` starting at ``ws`` is ``delta`` characters longer) that pass
        a number of arguments the rest of the file never passes the same callee, and
        ``%`` formats whose tuple does not fill their placeholders."""
        got = self._sites_outside.get((rs, re_))
        if got is None:
            calls: dict[str, set[int]] = {}
            defs: dict[str, list[DefSite]] = {}
            for s in self._sites[0]:
                if not rs <= s.start < re_:
                    calls.setdefault(s.callee, set()).add(s.positional)
            for d in self._sites[1]:
                if not rs <= d.start < re_:
                    defs.setdefault(d.name, []).append(d)
            got = self._sites_outside[(rs, re_)] = (calls, defs)
        calls, defs = got
        wt = lex(window)
        match = matching_brackets(wt)
        edited = [s for s in call_sites(wt, match) if rs <= s.start + ws < re_ + delta]
        if bad := site_mismatches(edited, calls):
            f["site_arity"] = float(bad)
        if bad := call_def_mismatches(edited, defs):
            f["def_arity"] = float(bad)
        edited_defs = [d for d in def_sites(wt, match) if rs <= d.start + ws < re_ + delta]
        if bad := def_mismatches(edited_defs, calls):
            f["def_arity"] = f.get("def_arity", 0.0) + bad
        if bad := format_mismatches(wt, rs - ws, re_ + delta - ws, match):
            f["fmt_arity"] = float(bad)

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @functools.cached_property
    def shapes(self) -> dict[str, int]:
        """How many lines of the broken text have each token shape."""
        out: dict[str, int] = {}
        for s in self._shape_of_line.values():
            out[s] = out.get(s, 0) + 1
        return out

    @functools.cached_property
    def _shape_of_line(self) -> dict[int, str]:
        return line_shapes(self.toks)

    def _idiom_features(self, c: _Cand, new: str, f: dict[str, float], la0: int,
                        lb0: int) -> None:
        """Idioms a restored word completes, and whether the edited line takes a shape
        the file writes elsewhere.

        A lost name is often fixed by the line itself: ``self.x = x``, ``x=x``,
        ``values = list(values)``, ``super().__init__`` inside ``__init__``. Among edits the n-gram
        model finds equally likely, the one that recreates a line shape of the file
        (``def N(N, N, N):``, names -> N) is the likelier intent.
        """
        ra = self.line_starts[la0]
        delta = len(c.text) - (c.end - c.start)
        rb = self.line_starts[min(len(self.line_starts) - 1, lb0 + 1)] + delta
        region = lex(new[ra:rb])  # the fixed text of the edited line(s)
        texts = [t.text for t in region]
        lead = len(c.text) - len(c.text.lstrip())
        j = next((k for k, t in enumerate(region) if t.start == c.start - ra + lead), None)
        inserted = c.text.strip()
        if j is not None and inserted and texts[j] == inserted:
            if region[j].kind == "name":
                # ``f(x=x)`` copies a value under its own name; ``def f(x=x)`` would
                # read ``x`` from outside the function when it is defined
                if _mirrored(texts, j) and self._bracket_context(c.start) != "def":
                    f["ins_mirror"] = 1.0
                if _rebound(texts, j):
                    f["ins_rebind"] = 1.0
                nxt = texts[j + 1] if j + 1 < len(texts) else ""
                if j > 0 and texts[j - 1] == "." and nxt == "(" and (
                        inserted == self._enclosing_def(c.start)):
                    f["ins_defname"] = 1.0
            elif region[j].kind in ("number", "string") and sum(
                    1 for t in region if t.line == region[j].line and t.text == inserted) > 1:
                f["lit_same_line"] = 1.0
        old_shape = self._shape_of_line.get(la0)
        new_line = [t for t in region if t.line == 0]
        if old_shape is not None and new_line:
            ns = shape(new_line)
            gain = (math.log1p(self.shapes.get(ns, 0))
                    - math.log1p(self.shapes.get(old_shape, 1) - 1))
            if ns != old_shape and gain:
                f["shape_seen"] = gain

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one context per repair
    def _enclosing_def(self, offset: int) -> str:
        """The name of the innermost ``def`` whose body holds ``offset`` ("" if none)."""
        line = self._line_of(offset)
        lines = self.lines
        cur = lines[line]
        width = len(cur) - len(cur.lstrip(" \t"))
        for i in range(line - 1, -1, -1):
            s = lines[i]
            w = len(s) - len(s.lstrip(" \t"))
            if s.strip() and w < width:
                m = re.match(r"\s*(?:async\s+)?def\s+(\w+)", s)
                if m:
                    return m.group(1)
                if not s.lstrip().startswith(("#", ")", "]", "}")):
                    width = w
                if w == 0:
                    break
        return ""

    @functools.cached_property
    def _grams(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str, str], int]]:
        bi: dict[tuple[str, str], int] = {}
        tri: dict[tuple[str, str, str], int] = {}
        texts = [t.text for t in self.toks]
        for k in range(len(texts) - 1):
            bi[(texts[k], texts[k + 1])] = bi.get((texts[k], texts[k + 1]), 0) + 1
            if k + 2 < len(texts):
                g = (texts[k], texts[k + 1], texts[k + 2])
                tri[g] = tri.get(g, 0) + 1
        return bi, tri

    def _pair_features(self, c: _Cand, f: dict[str, float]) -> None:
        """Does the file write the edit's token between these neighbours elsewhere?

        ``conn.send`` after ``conn.`` on other lines, ``self._headers`` again: the
        concrete bigrams and trigrams the fixed text forms across the edit, counted in
        the file (a deletion joins its two neighbours into one pair).
        """
        bi, tri = self._grams
        k = bisect.bisect_right(self.tok_starts, c.start - 1)  # first token at/after start
        while k > 0 and self.toks[k - 1].end > c.start:
            k -= 1
        left = [t.text for t in self.toks[max(0, k - 2) : k]]
        r = bisect.bisect_left(self.tok_starts, c.end)
        right = [t.text for t in self.toks[r : r + 2]]
        ins = [t.text for t in lex(c.text)]
        seq = [*left, *ins, *right]
        a, b = len(left), len(left) + len(ins)  # the inserted tokens' span in seq
        pairs = [seq[j : j + 2] for j in range(max(0, a - 1), min(len(seq) - 1, b))]
        trips = [seq[j : j + 3] for j in range(max(0, a - 2), min(len(seq) - 2, b))]
        f["pair_seen"] = sum(math.log1p(bi.get((x, y), 0)) for x, y in pairs)
        f["tri_seen"] = sum(math.log1p(tri.get((x, y, z), 0)) for x, y, z in trips)
        # the pairs the edit breaks up: the broken text holds each once right here, so
        # only occurrences beyond that one count
        removed = [t.text for t in lex(self.text[c.start : c.end])]
        old = [*left, *removed, *right]
        a, b = len(left), len(left) + len(removed)
        pairs = [old[j : j + 2] for j in range(max(0, a - 1), min(len(old) - 1, b))]
        f["pair_lost"] = sum(math.log1p(max(0, bi.get((x, y), 0) - 1)) for x, y in pairs)

    def _nearness(self, name: str, at: int) -> float:
        """1 when the name also occurs right next to the edit, falling towards 0 with
        the token distance to its nearest other occurrence (recency: ``host = ...``
        on the line before is the likely lost ``host``)."""
        idx = self.name_at.get(name)
        if not idx:
            return 0.0
        k = bisect.bisect_left(idx, at)
        d = min(abs(idx[j] - at) for j in (k - 1, k) if 0 <= j < len(idx))
        return 1.0 / (1.0 + d / 8.0)

    @functools.cached_property
    def name_at(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for k, t in enumerate(self.toks):
            if t.kind == "name":
                out.setdefault(t.text, []).append(k)
        return out

    def _binding(self, c: _Cand, new: str) -> tuple[dict[str, float], frozenset[str]]:
        """Names the fixed code reads but never binds, binds but never reads, idle
        expression statements (a bare name or comparison that computes nothing), and
        the names bound in the block or file; also rebound builtins, names defined
        twice in one body and parameters the body never reads.

        ``thread = wrthread()`` binds the ``thread`` that the next line reads;
        ``thread.wrthread()`` leaves it unbound; ``places = 7`` is no idle ``places``.
        Counted on the edited statement block (names bound anywhere in the file count
        as bound) or, for a file small enough to parse per candidate, the whole file.
        Returns the counts by feature name and the names bound.
        """
        elsewhere = self.file_bound  # names the rest of the file binds
        if self.chunk is not None and self.chunk[0] <= c.start and c.end <= self.chunk[1]:
            cs, ce, prefix = self.chunk
            src = prefix + new[cs : ce + len(c.text) - (c.end - c.start)]
            elsewhere = self.visible_bound  # another function's locals are not in scope
        elif len(new) < 20000:
            src = new
            elsewhere = frozenset()  # the whole file is parsed: its bindings are all seen
        else:
            return {}, self.file_bound
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return {}, self.file_bound
        idle = 0
        defs: list[str] = [f"m:{b.name}" for b in tree.body if isinstance(
            b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        loads: set[str] = set()
        stores: set[str] = set()
        bound: set[str] = set()
        args: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
                args.append(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
                # the same name defined twice in one body (a lost def name guessed wrong)
                defs.extend(f"{id(node)}:{b.name}" for b in node.body if isinstance(
                    b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                bound.update(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.Expr) and isinstance(node.value, _IDLE):
                idle += not (isinstance(node.value, ast.Constant)
                             and isinstance(node.value.value, str | type(...)))
        arity = _arity_mismatches(tree)
        # ``self`` counts: ``def __ge__(other):`` with ``self`` in the body lost its self
        unbound = loads - stores - bound - elsewhere - _BUILTIN_NAMES
        unused = {n for n in stores - loads if not n.startswith("_")}
        # a parameter the body never reads (``isinstance(types.X)`` after deleting the
        # ``object`` argument leaves the ``object`` parameter idle)
        idle_args = sum(1 for a in args if a not in loads and a not in ("self", "cls")
                        and not a.startswith("_"))
        shadow = stores & _BUILTIN_NAMES  # ``list = ...``: rebinding a builtin is rare
        # a name the broken text binds (``def f(a_type typing)``) that the fix leaves
        # unbound lost its binding; other unbound names are mostly module-level names
        # a function shown alone cannot see, and deleting one is no repair
        lost = unbound & (self.file_bound | self.param_names)
        counts = {
            "unbound": float(len(unbound - lost)),
            "unbound_lost": float(len(lost)),
            # ``def __ge__(self other)`` minus ``self``: never a module-level name
            "unbound_self": float(bool(unbound & {"self", "cls"})),
            "unused": float(len(unused)),
            "idle_expr": float(idle),
            "shadow": float(len(shadow)),
            "dup_def": float(len(defs) - len(set(defs))),
            "unused_arg": float(idle_args),
            "arity": float(arity),
            "early_read": float(_use_before_bind(tree)),
        }
        return counts, frozenset(stores | bound) | self.file_bound

    @functools.cached_property
    def fine_roles(self) -> dict[tuple[str, str], int]:
        """How often each name occurs in each :func:`_fine_role` in the broken text."""
        out: dict[tuple[str, str], int] = {}
        for k, t in enumerate(self.toks):
            if t.kind == "name":
                prev = self.toks[k - 1].text if k else ""
                nxt = self.toks[k + 1].text if k + 1 < len(self.toks) else ""
                key = (t.text, _fine_role(prev, nxt))
                out[key] = out.get(key, 0) + 1
        return out

    def _text_at(self, offset: int, direction: int) -> str:
        """The token ending at/before ``offset`` (direction -1) or starting at/after it
        (+1), skipping whitespace; "" at the text's ends."""
        if direction < 0:
            k = bisect.bisect_right(self.tok_starts, offset) - 1
            while k >= 0 and self.toks[k].end > offset + 1:
                k -= 1
            return self.toks[k].text if k >= 0 else ""
        k = bisect.bisect_left(self.tok_starts, offset)
        return self.toks[k].text if k < len(self.toks) else ""

    def _bracket_context(self, pos: int) -> str | None:
        """What the innermost bracket open at character ``pos`` holds (see
        :func:`enclosing_bracket`)."""
        return enclosing_bracket(self.toks, bisect.bisect_left(self.tok_starts, pos) - 1,
                                 BRACKET_REACH)

    def _neighbour_roles(self, c: _Cand) -> float:
        """How much better the names right beside the edit fit their new roles.

        Deleting ``util`` from ``connection util .answer`` makes ``connection`` an
        object whose attribute is taken, as it is elsewhere in the file; deleting
        ``connection`` makes ``util`` one, which it never is elsewhere. Each
        neighbour scores log1p(uses elsewhere in the new role) minus the same in its
        old role.
        """
        k = bisect.bisect_right(self.tok_starts, c.start - 1)
        while k > 0 and self.toks[k - 1].end > c.start:
            k -= 1
        left = k - 1  # the token before the edit
        right = bisect.bisect_left(self.tok_starts, c.end)  # the token after it
        ins = [t.text for t in lex(c.text)]
        roles = self.fine_roles

        def text(j: int) -> str:
            return self.toks[j].text if 0 <= j < len(self.toks) else ""

        gain = 0.0
        for j, prev_new, next_new in (
                (left, text(left - 1), ins[0] if ins else text(right)),
                (right, ins[-1] if ins else text(left), text(right + 1))):
            if not 0 <= j < len(self.toks) or self.toks[j].kind != "name":
                continue
            name = self.toks[j].text
            old = _fine_role(text(j - 1), text(j + 1))
            new = _fine_role(prev_new, next_new)
            if new != old:
                gain += (math.log1p(roles.get((name, new), 0))
                         - math.log1p(roles.get((name, old), 1) - 1))
        return gain

    def _same_line(self, name: str, offset: int) -> int:
        """Occurrences of ``name`` on the line of ``offset`` (``self.x = x``)."""
        line = self._line_of(offset)
        a, b = self.line_starts[line], self.line_starts[line + 1]
        lo, hi = bisect.bisect_left(self.tok_starts, a), bisect.bisect_left(self.tok_starts, b)
        return sum(1 for t in self.toks[lo:hi] if t.text == name)

    @functools.cached_property
    def file_bound(self) -> frozenset[str]:
        """Names the whole file binds somewhere (cheap token scan)."""
        return frozenset(t.text for k, t in enumerate(self.toks) if _binds(self.toks, k))

    @functools.cached_property
    def visible_bound(self) -> frozenset[str]:
        """Names bound where the edited block can see them: by module-level statements,
        ``global`` declarations, and statements enclosing the block (less indented, in
        the same top-level block, before it). ``m`` bound in another function is no
        binding of the ``m`` this block reads."""
        assert self.chunk is not None
        cs, _ce, _prefix = self.chunk
        chunk_line = self.text.count("\n", 0, cs)
        chunk_indent = len(self.text[cs:].split("\n", 1)[0]) - len(
            self.text[cs:].split("\n", 1)[0].lstrip(" \t"))
        out: set[str] = set()
        depth = 0
        stmt_indent = 0  # indentation of the statement the token belongs to
        top_start = 0  # line of the current top-level statement
        last_line = -1
        for k, t in enumerate(self.toks):
            if t.line != last_line and depth == 0:
                stmt_indent = t.start - self.line_starts[t.line]
                if stmt_indent == 0:
                    top_start = t.line
            last_line = t.line
            if t.kind == "op" and t.text in "([{":
                depth += 1
            elif t.kind == "op" and t.text in ")]}":
                depth = max(0, depth - 1)
            if not _binds(self.toks, k):
                continue
            enclosing = (stmt_indent < chunk_indent and t.line < chunk_line
                         and top_start <= chunk_line)
            if stmt_indent == 0 or self.toks[k - 1].text == "global" or enclosing:
                out.add(t.text)
        return frozenset(out)

    @functools.cached_property
    def param_names(self) -> frozenset[str]:
        """Names standing as parameters in the file's ``def`` lines."""
        return parameter_names(self.toks, self._brackets)

    @functools.cached_property
    def _brackets(self) -> dict[int, int]:
        return matching_brackets(self.toks)

    @functools.cached_property
    def _role_counts(self) -> tuple[list[int], list[tuple[str, str]],
                                    dict[tuple[str, str], int], dict[str, int]]:
        idx = [k for k, t in enumerate(self.toks) if t.kind == "name"]
        roles = _roles(self.toks)
        by_role: dict[tuple[str, str], int] = {}
        by_name: dict[str, int] = {}
        for name, role in roles:
            by_role[(name, role)] = by_role.get((name, role), 0) + 1
            by_name[name] = by_name.get(name, 0) + 1
        return idx, roles, by_role, by_name

    def toks_outside(self, ws: int, we: int) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """How often each (name, role) and name occurs outside characters [ws, we)."""
        got = self._outside.get((ws, we))
        if got is not None:
            return got
        idx, roles, by_role, by_name = self._role_counts
        starts = self.tok_starts
        a, b = bisect.bisect_left(starts, ws), bisect.bisect_left(starts, we)
        out_r, out_n = dict(by_role), dict(by_name)
        for j in range(bisect.bisect_left(idx, a), bisect.bisect_left(idx, b)):
            name, role = roles[j]
            out_r[(name, role)] -= 1
            out_n[name] -= 1
        self._outside[(ws, we)] = (out_r, out_n)
        return out_r, out_n


_BUILTIN_NAMES = frozenset(dir(builtins))
_BUILTINS = _BUILTIN_NAMES | {"self", "cls"}
# expression statements that compute nothing (docstrings and ``...`` excepted)
_IDLE = (ast.Name, ast.Attribute, ast.Constant, ast.Compare, ast.BinOp, ast.Subscript,
         ast.Tuple, ast.BoolOp, ast.UnaryOp, ast.List, ast.Dict, ast.Set, ast.ListComp,
         ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.JoinedStr, ast.IfExp, ast.Lambda)
# ``x is x``, ``a - a``: an operator between one name and itself is rarely meant
_SELF_OPS = frozenset({"is", "==", "!=", "<", ">", "<=", ">=", "-", "/", "and", "or", "in"})


def _span(args: ast.arguments, method: bool) -> tuple[int, float]:
    """How many positional arguments a call may pass: (fewest, most)."""
    pos = len(args.posonlyargs) + len(args.args) - method
    return max(0, pos - len(args.defaults)), math.inf if args.vararg else max(0, pos)


@functools.cache
def _builtin_arity() -> dict[str, tuple[int, float]]:
    """Positional-argument ranges of the builtins whose signature Python exposes."""
    import inspect

    out: dict[str, tuple[int, float]] = {}
    for name in dir(builtins):
        obj = getattr(builtins, name)
        if not callable(obj) or (isinstance(obj, type) and issubclass(obj, BaseException)):
            continue
        try:
            sig = inspect.signature(obj)
        except (ValueError, TypeError):
            continue
        ps = list(sig.parameters.values())
        if any(p.kind is p.VAR_KEYWORD for p in ps) and not any(
                p.kind is p.VAR_POSITIONAL for p in ps) and len(ps) == 1:
            continue
        positional = [p for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        lo = sum(1 for p in positional if p.default is p.empty)
        hi = math.inf if any(p.kind is p.VAR_POSITIONAL for p in ps) else len(positional)
        out[name] = (lo, hi)
    return {**_UNSIGNED_ARITY, **out}


# builtins whose signature Python does not expose, from their documentation
_UNSIGNED_ARITY: dict[str, tuple[int, float]] = {
    "anext": (1, 2), "bool": (0, 1), "bytearray": (0, 3), "bytes": (0, 3),
    "classmethod": (1, 1), "dict": (0, 1), "dir": (0, 1), "filter": (2, 2),
    "frozenset": (0, 1), "getattr": (2, 3), "int": (0, 2), "iter": (1, 2),
    "map": (2, math.inf), "max": (1, math.inf), "min": (1, math.inf), "next": (1, 2),
    "range": (1, 3), "set": (0, 1), "slice": (1, 3), "staticmethod": (1, 1),
    "str": (0, 3), "super": (0, 2), "type": (1, 3), "vars": (0, 1), "zip": (0, math.inf),
}


def _arity_mismatches(tree: ast.AST) -> int:
    """Calls passing a number of positional arguments the callee cannot take:
    ``isinstance(path, bytes, bytes)``, a function of this code called with one
    argument too many. Only plain calls (no ``*``/``**``, no keywords) are checked,
    against builtins and against functions and methods defined once in ``tree``."""
    funcs: dict[str, list[tuple[int, float]]] = {}
    methods: dict[str, list[tuple[int, float]]] = {}
    in_class: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for b in node.body:
                if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    in_class.add(id(b))
                    if not b.decorator_list:
                        methods.setdefault(b.name, []).append(_span(b.args, True))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                not node.decorator_list and id(node) not in in_class):
            is_method = bool(node.args.args) and node.args.args[0].arg in ("self", "cls")
            (methods if is_method else funcs).setdefault(node.name, []).append(
                _span(node.args, is_method))
    known = _builtin_arity()
    bad = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.keywords or any(
                isinstance(a, ast.Starred) for a in node.args):
            continue
        f = node.func
        span: tuple[int, float] | None = None
        if isinstance(f, ast.Name):
            spans = funcs.get(f.id)
            span = spans[0] if spans and len(spans) == 1 else (
                None if spans else known.get(f.id))
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (
                f.value.id == "self"):
            spans = methods.get(f.attr)
            span = spans[0] if spans and len(spans) == 1 else None
        if span is not None and not span[0] <= len(node.args) <= span[1]:
            bad += 1
    return bad


def _scope_nodes(fn: ast.AST) -> list[ast.AST]:
    """The nodes of one function's own scope (nested functions, lambdas, classes and
    comprehensions are other scopes: only their own name binds here)."""
    out: list[ast.AST] = []
    stack = [*ast.iter_child_nodes(fn)]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _bind_first(first: dict[str, tuple[int, int]], name: str, at: tuple[int, int]) -> None:
    if name not in first or at < first[name]:
        first[name] = at


def _use_before_bind(tree: ast.AST) -> int:
    """Reads of a function's local name before its first binding: ``x = max(x, 1)``
    where nothing bound ``x`` before (a lost ``0`` guessed as the assigned name), or a
    use above the assignment. Python raises UnboundLocalError there, so the fix that
    creates one is rarely the intended one. Loops can read a later binding on their
    next pass; that rare case is left to the ranker's weight."""
    bad = 0
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs,
                                  fn.args.vararg, fn.args.kwarg) if a is not None}
        nodes = _scope_nodes(fn)
        declared = {n for node in nodes if isinstance(node, (ast.Global, ast.Nonlocal))
                    for n in node.names}
        first: dict[str, tuple[int, int]] = {}
        handled: set[int] = set()  # target names already bound after their value
        bind = functools.partial(_bind_first, first)
        for node in nodes:
            # a target is bound after the value it is assigned (``x = f(x)`` reads first)
            after = None
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value:
                after = (node.value.end_lineno or 0, node.value.end_col_offset or 0)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                after = (node.iter.end_lineno or 0, node.iter.end_col_offset or 0)
                targets = [node.target]
            if after is not None:
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            bind(n.id, after)
                            handled.add(id(n))
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and (
                    id(node) not in handled):
                bind(node.id, (node.lineno, node.col_offset))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bind(node.name, (node.lineno, node.col_offset))
            elif isinstance(node, ast.alias):
                bind((node.asname or node.name).split(".")[0], (0, 0))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bind(node.name, (node.lineno, node.col_offset))
            elif isinstance(node, ast.NamedExpr):
                bind(node.target.id, (node.lineno, node.col_offset))
        for node in nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (
                    node.id in first and node.id not in params and node.id not in declared
                    and (node.lineno, node.col_offset) < first[node.id]):
                bad += 1
    return bad


def _fine_role(prev: str, nxt: str) -> str:
    """A name's role from its neighbours: attribute, defined, called, an object whose
    attribute is taken, subscripted, assigned, or bare (``util .answer`` vs
    ``connection .answer``: which of two adjacent words fits where it stands)."""
    if prev == ".":
        return "attr"
    if prev in ("def", "class"):
        return prev
    return {"(": "call", ".": "obj", "[": "item", "=": "store"}.get(nxt, "bare")


def _flat_continuations(src: str) -> int:
    """Lines inside an open bracket that start no further right than their statement
    (and not with a closer).

    The token models never see layout inside brackets, so ``new_val = [`` fixed as
    ``[`` + ``i] = 0`` on the next line reads fine to them; people indent a
    continuation line, so one at the statement's own level is two statements glued.
    """
    lines = src.split("\n")
    depth = 0
    stmt_indent = 0
    last_line = -1
    bad = 0
    for tok in lex(src):
        if tok.line != last_line:
            text = lines[tok.line] if tok.line < len(lines) else ""
            width = len(text) - len(text.lstrip(" \t"))
            if depth == 0:
                stmt_indent = width
            elif width <= stmt_indent and not (tok.kind == "op" and tok.text in ")]}"):
                bad += 1
        last_line = tok.line + tok.text.count("\n")
        if tok.kind == "op" and tok.text in "([{":
            depth += 1
        elif tok.kind == "op" and tok.text in ")]}":
            depth = max(0, depth - 1)
    return bad


def _at(texts: list[str], k: int) -> str:
    """``texts[k]``, or "" off either end."""
    return texts[k] if 0 <= k < len(texts) else ""


def _mirrored(texts: list[str], j: int) -> bool:
    """Does ``texts[j]`` mirror the same name across ``=``: ``self.x = x``,
    ``x = self.x``, a keyword argument ``x=x``? (Copying a value under its own name is
    among the commonest lines of Python.)"""
    name = texts[j]
    at = functools.partial(_at, texts)
    plain = ("(", ".", "[")  # ``list = list(x)`` is no copy under the same name
    return ((at(j + 1) == "=" and at(j + 2) == name and at(j + 3) not in plain)
            or (at(j - 1) == "=" and at(j - 2) == name and at(j + 1) not in plain)
            or (at(j + 1) == "=" and at(j + 3) == "." and at(j + 4) == name)
            or (at(j - 1) == "." and at(j - 3) == "=" and at(j - 4) == name))


def _rebound(texts: list[str], j: int) -> bool:
    """Is ``texts[j]`` a name rebound from a call on itself: ``values = list(values)``,
    ``x = int(x)`` (either the target or the argument)?"""
    name = texts[j]
    at = functools.partial(_at, texts)
    return ((at(j + 1) == "=" and at(j + 3) == "(" and at(j + 4) == name)
            or (at(j - 1) == "(" and at(j - 3) == "=" and at(j - 4) == name))


def _tok_class(s: str) -> str:
    if keyword.iskeyword(s):
        return "kw"
    if s[:1].isalpha() or s[:1] == "_":
        return "name"
    if s[:1].isdigit():
        return "num"
    if s[:1] in "'\"" or s[:2].lower() in ("f'", 'f"', "r'", 'r"', "b'", 'b"'):
        return "str"
    return "op"


def _err_index(toks: list[Token], err: CompileError) -> int:
    return next((i for i, t in enumerate(toks) if t.end > err.offset), len(toks) - 1)


def _gerund(what: str) -> str:
    """``remove `x` `` -> ``Removing `x` ``: the edit as the subject of a sentence."""
    verb, _, rest = what.partition(" ")
    ing = {"insert": "Inserting", "remove": "Removing", "replace": "Replacing",
           "re-indent": "Re-indenting"}.get(verb, verb.capitalize())
    return f"{ing} {rest}"


def _describe(c: _Cand, removed: str, inserted: str) -> str:
    if c.op.startswith("indent"):
        return f"re-indent the line to {len(c.text)} spaces"
    if not removed:
        return f"insert `{inserted.strip()}`"
    if not inserted.strip():
        return f"remove `{removed.strip()}`"
    return f"replace `{removed.strip()}` with `{inserted.strip()}`"
