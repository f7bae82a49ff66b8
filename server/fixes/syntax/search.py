"""The repair search: candidates from :mod:`.candidates` are compiled (per statement
block in a large file, within a time budget), given features by :mod:`.features`,
scored by :mod:`.ranker` and turned into validated fixes with an explanation.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from typing import Any

from tact.server.fixes.lexer import LocalModel, Token, default_prior, lex
from tact.server.fixes.syntax.candidates import Candidate, error_index, generate, may_balance
from tact.server.fixes.syntax.diagnose import CompileError, as_problem, compile_error
from tact.server.fixes.syntax.features import RankContext
from tact.server.fixes.syntax.habits import habit_fix
from tact.server.fixes.syntax.indentation import indentation_fix, is_indentation_error
from tact.server.fixes.syntax.quotes import is_lost_quote, quote_fix
from tact.server.fixes.syntax.ranker import group_features, ranker_weights
from tact.server.fixes.syntax.ranker import score as linear_score
from tact.server.fixes.syntax.typography import is_typography_error, typography_fix
from tact.server.fixes.types import Fix, Span, edit_between, span_of

ENGINE_WEIGHT = 2.0  # weight of the engine's mean log-prob per token
LARGE_FILE = 8000  # characters from which candidates are compiled per block, not per file
# From this size the search reads only the top-level statements within HUGE_REACH lines
# of the error: lexing and modelling a whole 1 MB file costs seconds, compiling it once
# a fraction of one.
HUGE_FILE = 300_000
_MAKES_FILE, _MAKES_STATEMENT = "file compile", "statement compile (later errors remain)"
HUGE_REACH = 1500
# Lines that begin a top-level definition, import or assignment: a column-0 line of a docstring or
# of a bracketed expression rarely looks like one (and a cut that changes the error is
# caught: the whole file is searched then).
_STATEMENT = re.compile(
    r"(@|def |async def |class |import |from \S+ import |if __name__\b|[A-Za-z_]\w* = )")


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


def _window_lines(text: str, start: int, end: int, _pad: int = 3) -> str:
    a = text.rfind("\n", 0, start)
    for _ in range(_pad):
        if a <= 0:
            a = -1
            break
        a = text.rfind("\n", 0, a)
    b = end
    for _ in range(_pad + 1):
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
    if is_typography_error(err):  # pasted quotes, spaces, dashes: one fix mends them all
        pasted = typography_fix(text, err, filename, budget=budget)
        if pasted is not None:
            return [pasted]
    meant = _meant(text, err, filename, budget)
    if meant is not None and len(text) > HUGE_FILE:
        return [meant]  # the search would only add alternatives, at seconds a file
    if meant is not None:
        found = _fixes(text, err, precision=precision, max_fixes=max_fixes, scorer=scorer,
                       filename=filename, budget=budget, collect=collect)
        return [meant, *(f for f in found if f.fixed_source != meant.fixed_source)][:max_fixes]
    return _fixes(text, err, precision=precision, max_fixes=max_fixes, scorer=scorer,
                  filename=filename, budget=budget, collect=collect)


def _meant(text: str, err: CompileError, filename: str, budget: float) -> Fix | None:
    """The fix of a mistake whose kind says what was meant, which goes ahead of whatever
    else compiles: a line moved out of its block, a string's lost quote, a habit from
    another language."""
    if is_indentation_error(err, text):
        moved = indentation_fix(text, err, filename, budget=budget)
        if moved is not None or is_indentation_error(err):
            return moved
    quoted = quote_fix(text, err, filename, budget=budget)
    if quoted is not None or is_lost_quote(err):
        return quoted
    return habit_fix(text, err, filename, budget=budget)


def _fixes(text: str, err: CompileError, *, precision: str, max_fixes: int,
           scorer: Callable[[str], float] | None, filename: str, budget: float,
           collect: list[tuple[dict[str, float], str]] | None) -> list[Fix]:
    """The search's fixes, in the statements around the error of a huge file."""
    if len(text) > HUGE_FILE:
        fixes = _fixes_in_excerpt(text, err, precision=precision, max_fixes=max_fixes,
                                  scorer=scorer, filename=filename, budget=budget,
                                  collect=collect)
        if fixes is not None:
            return fixes
    return _search(text, err, precision=precision, max_fixes=max_fixes, scorer=scorer,
                   budget=budget, collect=collect)


def _statement_start(lines: list[str], i: int) -> bool:
    """Whether line ``i`` begins a top-level definition, import or assignment (a safe
    place to cut)."""
    prev = lines[i - 1] if i > 0 else ""
    return (_STATEMENT.match(lines[i]) is not None and not prev.startswith("@")
            and not prev.rstrip().endswith("\\"))


def _excerpt_bounds(text: str, err: CompileError) -> tuple[int, int, int] | None:
    """(start, end, first line) of whole top-level statements around the error, about
    HUGE_REACH lines on each side, or None when that is the whole file anyway."""
    lines = text.split("\n")
    s = max(0, err.line - HUGE_REACH)
    while s > 0 and not _statement_start(lines, s):
        s -= 1
    while s > 0 and lines[s - 1].startswith("@"):
        s -= 1
    e = min(len(lines), err.end_line + 1 + HUGE_REACH)
    while e < len(lines) and not _statement_start(lines, e):
        e += 1
    if s == 0 and e >= len(lines):
        return None
    a = sum(len(x) + 1 for x in lines[:s])
    b = min(len(text), sum(len(x) + 1 for x in lines[:e]))
    return a, b, s


def _fixes_in_excerpt(text: str, err: CompileError, *, filename: str,
                      **search: Any) -> list[Fix] | None:
    """Fixes of a huge file's error found in the statements around it, as fixes of the
    whole file; None when no clean excerpt has the same error (search the whole file).

    Top-level statements compile independently, so when the text before and after the
    excerpt compiles on its own, an edit that makes the excerpt compile makes the file
    compile. Otherwise each fix is compiled whole: one that leaves only an error past the
    excerpt is kept as compiling locally (the file has another mistake), any other is
    dropped, and with none left the whole file is searched.
    """
    bounds = _excerpt_bounds(text, err)
    if bounds is None:
        return None
    a, b, line0 = bounds
    part = text[a:b]
    perr = compile_error(part, filename)
    if perr is None or perr.message != err.message or perr.line + line0 != err.line:
        return None  # the cut changed what the compiler sees (a string cut in two?)
    rest_ok = compile_error(text[:a] + "\n" + text[b:]) is None
    out: list[Fix] = []
    for f in _search(part, perr, line0=line0, **search):
        new = text[:a] + f.fixed_source + text[b:]
        moved: dict[str, Any] = {"span": _shift(f.span, line0), "fixed_source": new}
        if not rest_ok and f.validation == "compiles":
            left = compile_error(new)
            if left is not None and left.offset < a + len(f.fixed_source):
                continue  # the edit's own statements still fail
            if left is not None:
                moved["validation"] = "compiles-locally"
                moved["explanation"] = f.explanation.replace(_MAKES_FILE, _MAKES_STATEMENT)
        if f.problem is not None:
            moved["problem"] = dataclasses.replace(f.problem, span=_shift(f.problem.span, line0))
        out.append(dataclasses.replace(f, **moved))
    return out or None


def _shift(span: Span, lines: int) -> Span:
    return Span(span.start_line + lines, span.start_char, span.end_line + lines, span.end_char)


def _search(text: str, err: CompileError, *, precision: str, max_fixes: int,
            scorer: Callable[[str], float] | None, budget: float,
            collect: list[tuple[dict[str, float], str]] | None, line0: int = 0) -> list[Fix]:
    """The search of :func:`syntax_fixes` for the error ``err`` of ``text`` (an excerpt
    of a file from its line ``line0``: the messages count lines in the file)."""
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
    good: list[tuple[float, Candidate, str, str]] = []
    max_edit = {"lenient": 40, "standard": 30, "strict": 12}.get(precision, 30)
    ctx = RankContext(text, toks, err, model, vocab)
    ctx.chunk = (cs, ce, prefix) if chunk_before is not None else None
    weights = ranker_weights()
    # In a large file, compiling the whole file per candidate dominates: when the rest
    # of the file compiles without the edited block, a candidate whose block compiles
    # is provisionally whole-file valid, and only the best few are compiled in full.
    rest_ok = (chunk_before is not None and len(text) > LARGE_FILE
               and compile_error(text[:cs] + text[ce:]) is None)
    e_idx = error_index(toks, err)
    cands = sorted(generate(text, toks, err),
                   key=lambda c: abs(c.tok_index - e_idx) if c.tok_index >= 0 else 0)
    deadline = time.perf_counter() + budget
    passed: list[tuple[Candidate, str, str]] = []
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
    scored: list[tuple[dict[str, float], Candidate, str, str]] = []
    for c, new, validation in passed:
        if time.perf_counter() > deadline + budget / 2 and len(scored) >= max_fixes:
            break  # nearest first: in a huge file the far ones are left unranked
        scored.append((ctx.features(c, new, validation), c, new, validation))
    group_features([f for f, _, _, _ in scored])
    for feats, c, new, validation in scored:
        good.append((linear_score(feats, weights), c, new, validation))
        if collect is not None:
            collect.append((feats, new))
    if not good:
        return []
    good.sort(key=lambda g: -g[0])
    if rest_ok:  # confirm the provisional ones in full, best first
        kept: list[tuple[float, Candidate, str, str]] = []
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
                s = scorer(_window_lines(new, c.start, c.start + len(c.text), _pad=6))
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
    problem = as_problem(err)
    for score, c, new, validation in good[:max_fixes]:
        a = max(0, c.start - 64)  # the edit is local: compare a window, not the file
        b = c.end + 64
        s, e, t = edit_between(text[a:b], new[a : b + len(c.text) - (c.end - c.start)])
        s, e = s + a, e + a
        span = span_of(text, s, e)
        removed = text[s:e]
        what = _describe(c, *_whole_words(text, s, e, t))
        line_no = span.start_line + 1 + line0
        title = f"Fix syntax: {what} (line {line_no})"
        explanation = (
            f"Python reports `SyntaxError: {err.message}` at line {err.line + 1 + line0}, "
            f"column {err.col + 1}. {_gerund(what)} at line {line_no} makes the "
            + (_MAKES_FILE if validation == "compiles" else _MAKES_STATEMENT)
            + ("; it is the only small edit found that does." if len(good) == 1 else
               f"; among the {len(good)} small edits that compile, this one reads most "
               "like ordinary Python code and best matches the compiler's hint.")
        )
        fixes.append(Fix(span=span, new_text=t, fixed_source=new, operator=c.op,
                         edit_size=len(removed) + len(t), title=title,
                         explanation=explanation, validated=True, validation=validation,
                         score=round(score, 3), problem=problem))
    return fixes


def _whole_words(text: str, s: int, e: int, t: str) -> tuple[str, str]:
    """The removed and inserted text of the edit ``text[s:e] -> t`` widened to whole
    words: ``esle`` -> ``else`` is no "replace `sl` with `ls`"."""
    def word(chars: str) -> bool:
        return all(ch.isalnum() or ch == "_" for ch in chars)

    removed = text[s:e]
    ws, we = s, e
    if word(removed[:1] + t[:1]) and (removed or t):
        while ws > 0 and word(text[ws - 1]):
            ws -= 1
    if word(removed[-1:] + t[-1:]) and (removed or t):
        while we < len(text) and word(text[we]):
            we += 1
    return text[ws:we], text[ws:s] + t + text[e:we]


def _gerund(what: str) -> str:
    """``remove `x` `` -> ``Removing `x` ``: the edit as the subject of a sentence."""
    verb, _, rest = what.partition(" ")
    ing = {"insert": "Inserting", "remove": "Removing", "replace": "Replacing",
           "re-indent": "Re-indenting"}.get(verb, verb.capitalize())
    return f"{ing} {rest}"


def _describe(c: Candidate, removed: str, inserted: str) -> str:
    if c.op.startswith("indent"):
        return f"re-indent the line to {len(c.text)} spaces"
    if not removed:
        return f"insert `{inserted.strip()}`"
    if not inserted.strip():
        return f"remove `{removed.strip()}`"
    return f"replace `{removed.strip()}` with `{inserted.strip()}`"
