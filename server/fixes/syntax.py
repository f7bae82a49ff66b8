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

import itertools
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from tact.server.fixes.lexer import (
    LocalModel,
    Token,
    _prior_prob,
    default_prior,
    lex,
    token_stream,
)
from tact.server.fixes.types import Fix, Problem, Span, edit_between, span_of

INSERT_TOKENS = [":", ")", "]", "}", "(", "[", "{", ",", ".", "=", "==", "'", '"', "in",
                 "not", "and", "or", "is", "if", "else", "for", "return", "pass", "import",
                 "from", "as", "def", "class", "lambda", "while", "with", "+", "-", "*",
                 "/", "%", "**", "<", ">", "<=", ">=", "!=", "->", "None", "0", "1", ";",
                 "+=", "-=", "@", "yield", "del", "assert", "raise", "try", "except",
                 "True", "False", "..."]
GLOBAL_NAMES = 4  # common identifiers of the prior tried per position (names absent from the file)
WORD = re.compile(r"\w")
CONFUSIONS = {"=": ["=="], "==": ["="], ":": [";", ","], ";": [":"], ",": [".", ":"],
              ".": [","], "(": ["["], "[": ["("], ")": ["]", "}"], "]": [")"], "{": ["("],
              "}": [")"], "else": ["elif"], "elif": ["else"]}
CLOSER = {"(": ")", "[": "]", "{": "}"}
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


def compile_error(text: str, filename: str = "<file>") -> CompileError | None:
    """Python's own verdict on ``text`` (None when it compiles)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return _locate(text, exc)
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


def _chunk_bounds(text: str, line: int) -> tuple[int, int, str]:
    """Character range of the statement block around ``line`` and a compile prefix."""
    lines = text.split("\n")

    def indent(i: int) -> int | None:
        s = lines[i]
        if not s.strip() or s.lstrip().startswith("#"):
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
    prefix = ""
    if end - start > 150:  # narrow to the innermost def/class around the line
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
    names: list[str] = []
    # candidate names: nearest first, then the rest of the file (bounded)
    near = sorted(range(len(toks)), key=lambda k: abs(k - e))
    for k in near[:400]:
        t = toks[k]
        if t.kind == "name" and t.text not in names:
            names.append(t.text)
    pick = _NamePicker(toks, names, err.line)
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
                    out.append(_Cand(off, off, new, "insert name", i, bonus=-CHANNEL["name"]))
                for name, ns in pick.best(i - 1, i):
                    new = _pad(text, text[:off], text[off:], name)
                    out.append(_Cand(off, off, new, "insert name", i,
                                     bonus=-CHANNEL["name"] + NAME_WEIGHT * ns))
    # deletions and replacements
    for i in range(lo, closers_only_until or hi):
        t = toks[i]
        end = t.end
        line_start = text.rfind("\n", 0, t.start) + 1
        if not text[line_start : t.start].strip():  # first on its line: take the space too
            while end < len(text) and text[end] in " \t":
                end += 1
        out.append(_Cand(t.start, end, "", f"delete {t.text!r}", i))
        repl = CONFUSIONS.get(t.text, [])
        near_e = abs(i - e) <= 3
        named = pick.best(i - 1, i + 1) if near_e else []
        if near_e:
            named += [(x, -1.0) for x in _global_names(toks, i, i + 1, names)]
        for r, ns in [(x, None) for x in INSERT_TOKENS] + named:
            if r == t.text:
                continue
            new = _pad(text, text[: t.start], text[t.end :], r)
            bonus = 0.5 if r in repl else -0.3
            if ns is not None:
                bonus += NAME_WEIGHT * ns
            out.append(_Cand(t.start, t.end, new, f"replace {t.text!r} with {r!r}", i,
                             bonus=bonus))
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
    scored = []
    for w in common:
        if w in seen:
            continue
        p = _prior_prob(prior, [*ctx, w])
        if nxt:
            p *= _prior_prob(prior, [*ctx[-2:], w, nxt[0]])
        scored.append((p, w))
    scored.sort(reverse=True)
    return [w for _, w in scored[:GLOBAL_NAMES]]


class _NamePicker:
    """Which of the file's identifiers to try between two tokens.

    The document is the best evidence for a missing name: names that follow the left
    token and precede the right one elsewhere in the file (``self.`` -> attributes the
    file uses after ``self.``; ``(`` ``,`` -> the usual first argument) come first,
    then frequent and nearby names. Lines with the error are left out of the counts.
    """

    def __init__(self, toks: list[Token], names: list[str], err_line: int) -> None:
        self.toks = toks
        self.names = names
        self.rank = {n: k for k, n in enumerate(names)}
        self.after: dict[str, dict[str, int]] = {}
        self.before: dict[str, dict[str, int]] = {}
        self.freq: dict[str, int] = {}
        for a, b in itertools.pairwise(toks):
            if a.line == err_line or b.line == err_line:
                continue
            if b.kind == "name":
                d = self.after.setdefault(a.text, {})
                d[b.text] = d.get(b.text, 0) + 1
            if a.kind == "name":
                d = self.before.setdefault(b.text, {})
                d[a.text] = d.get(a.text, 0) + 1
        for t in toks:
            if t.kind == "name" and t.line != err_line:
                self.freq[t.text] = self.freq.get(t.text, 0) + 1

    def best(self, left: int, right: int, n: int = NAMES) -> list[tuple[str, float]]:
        lt = self.toks[left].text if left >= 0 else "NEWLINE"
        rt = self.toks[right].text if 0 <= right < len(self.toks) else "NEWLINE"
        after = self.after.get(lt, {})
        before = self.before.get(rt, {})

        def score(name: str) -> float:
            return (2.0 * math.log1p(after.get(name, 0)) + 2.0 * math.log1p(before.get(name, 0))
                    + 0.5 * math.log1p(self.freq.get(name, 0))
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
                 filename: str = "<file>") -> list[Fix]:
    """Validated (compiling) single-edit repairs for the first syntax error, best first.

    ``scorer`` (e.g. the completion engine's ``score_text``: mean log-prob per token)
    breaks near-ties between candidates. Returns [] when the text compiles or nothing
    small compiles (declining is the right answer for deliberately odd code).
    """
    err = compile_error(text, filename)
    if err is None:
        return []
    toks = lex(text)
    cs, ce, prefix = _chunk_bounds(text, err.line)
    chunk_before = compile_error(prefix + text[cs:ce])
    lines = text.split("\n")
    lo_line, hi_line = max(0, err.line), err.end_line + 1
    context = "\n".join(lines[:lo_line] + lines[hi_line:])
    model = LocalModel(context, default_prior())
    vocab = len({t.text for t in toks}) + 20
    channel = {"insert": 0.0, "delete": -math.log(vocab) - CHANNEL["delete"],
               "replace": -math.log(vocab) - CHANNEL["replace"], "indent": -CHANNEL["indent"]}
    seen: set[tuple[int, int, str]] = set()
    good: list[tuple[float, _Cand, str, str]] = []
    max_edit = {"lenient": 40, "standard": 30, "strict": 12}.get(precision, 30)
    for c in _candidates(text, toks, err):
        key = (c.start, c.end, c.text)
        if key in seen:
            continue
        seen.add(key)
        if len(c.text.strip()) > max_edit and not c.op.startswith("indent"):
            continue  # single tokens only; long inserted names are guesses
        new = text[: c.start] + c.text + text[c.end :]
        if chunk_before is not None and cs <= c.start and c.end <= ce:
            chunk = prefix + new[cs : ce + len(c.text) - (c.end - c.start)]
            if compile_error(chunk) is not None:
                continue
        full = compile_error(new)
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
        window = _window_lines(new, c.start, c.start + len(c.text))
        lp = model.logprob(token_stream(window))
        dist = abs(c.tok_index - _err_index(toks, err)) if c.tok_index >= 0 else 1
        kind = c.op.split(" ", 1)[0]
        rest = text[c.end :].split("\n", 1)[0].split("#", 1)[0]
        hint = _hint_bonus(err.message, c, at_line_end=not rest.strip(), err_offset=err.offset)
        score = lp + channel.get(kind, 0.0) + c.bonus + hint - DIST_PENALTY * dist
        if validation != "compiles":
            score -= LOCAL_ONLY_PENALTY
        good.append((score, c, new, validation))
    if not good:
        return []
    good.sort(key=lambda g: -g[0])
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
    if precision == "strict" and len(good) > 1 and good[0][0] - good[1][0] < 1.0:
        return []  # too close to call: decline
    fixes: list[Fix] = []
    problem = Problem(Span(err.line, err.col, err.end_line, err.end_col),
                      f"SyntaxError: {err.message}", "syntax", code="syntax-error")
    for score, c, new, validation in good[:max_fixes]:
        s, e, t = edit_between(text, new)
        span = span_of(text, s, e)
        removed = text[s:e]
        what = _describe(c, removed, t)
        line_no = span.start_line + 1
        title = f"Fix syntax: {what} (line {line_no})"
        explanation = (
            f"Python reports `SyntaxError: {err.message}` at line {err.line + 1}, "
            f"column {err.col + 1}. {what[0].upper() + what[1:]} at line {line_no} makes the "
            + ("file compile" if validation == "compiles" else "statement compile "
               "(later errors remain)")
            + f"; among the {len(good)} small edits that compile, this one reads most like "
            "ordinary Python code and best matches the compiler's hint."
        )
        fixes.append(Fix(span=span, new_text=t, fixed_source=new, operator=c.op,
                         edit_size=len(removed) + len(t), title=title,
                         explanation=explanation, validated=True, validation=validation,
                         score=round(score, 3), problem=problem))
    return fixes


def _err_index(toks: list[Token], err: CompileError) -> int:
    return next((i for i, t in enumerate(toks) if t.end > err.offset), len(toks) - 1)


def _describe(c: _Cand, removed: str, inserted: str) -> str:
    if c.op.startswith("indent"):
        return f"re-indent the line to {len(c.text)} spaces"
    if not removed:
        return f"insert `{inserted.strip()}`"
    if not inserted.strip():
        return f"remove `{removed.strip()}`"
    return f"replace `{removed.strip()}` with `{inserted.strip()}`"
