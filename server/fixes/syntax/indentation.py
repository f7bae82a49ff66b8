"""Indentation mistakes: a line moved in or out of its block, a body left unindented,
tabs mixed with spaces.

A block's lines share one indentation, so a line that left its block shows against its
neighbours. The compiler reports where the indentation stopped making sense, which is
often the line *after* the one that moved (``unexpected indent`` on the line after a
line pushed out of its block; ``unindent does not match`` on the line after a
docstring pushed in). So the candidates are one statement line near the error, moved to
an indentation its neighbours write, and, when no single line will do, a run of lines
moved together (a body never indented, a pasted block indented too far).

Each candidate is ranked by how well the moved line then sits between its statement
neighbours: the same indentation as the line before (or one unit under a header), and
the same as the line after (or a block that ends there); never after a ``return`` in
its own block, on the file's grid, moved by a slip or a level rather than further, a
function's closing ``return`` at the function's level. The first that compiles is
the fix. The one-token search cannot rank these: its language model reads tokens, not
layout, and inserting a keyword in front of a pushed-in line (``return    x``) compiles
too.
"""

from __future__ import annotations

import ast
import itertools
import time
from collections import Counter
from dataclasses import dataclass

from tact.server.fixes.calls import parameter_names
from tact.server.fixes.lexer import lex
from tact.server.fixes.syntax.diagnose import CompileError, as_problem, compile_error
from tact.server.fixes.types import Fix, edit_between, span_of

INDENT_MESSAGES = ("unexpected indent", "expected an indented block", "unindent does not match",
                   "unexpected unindent", "inconsistent use of tabs",
                   # a line pulled out of its function or loop
                   "'return' outside function", "'yield' outside function",
                   "'await' outside function", "'break' outside loop",
                   "'continue' not properly in loop")
REACH = 3  # statement lines before the error line that may be the one that moved
MAX_COMPILES = 40
_LEAVES = frozenset({"return", "raise", "continue", "break"})  # the block ends here
_CLAUSES = frozenset({"else", "elif", "except", "finally"})  # they continue a block above


@dataclass(slots=True)
class Line:
    """A statement's first physical line: ``no`` (0-based), its leading whitespace,
    whether it opens a block (its statement ends with ``:``) and its first word."""

    no: int
    lead: str
    header: bool
    first: str

    @property
    def width(self) -> int:
        return _width(self.lead)


def _width(lead: str) -> int:
    return len(lead.expandtabs(8))


def is_indentation_error(err: CompileError, text: str | None = None) -> bool:
    """Whether ``err`` is a matter of indentation: an indentation message, or (given the
    ``text``) ``invalid syntax`` at a clause (``else:``, ``except``...) that begins its
    line, which a line moved out of the ``if`` or ``try`` above leaves without one."""
    if any(m in err.message for m in INDENT_MESSAGES):
        return True
    if text is None or err.message != "invalid syntax":
        return False
    lines = text.split("\n", err.line + 1)
    line = lines[err.line] if err.line < len(lines) else ""
    word = line[err.col :].split(":", 1)[0].split(" ", 1)[0]
    return word in _CLAUSES and not line[: err.col].strip()


def statement_lines(text: str, in_strings: set[int] | None = None) -> list[Line]:
    """The first physical line of every statement, in order (continuation lines inside
    brackets, after a backslash or inside a multi-line string are not statements).
    ``in_strings``, when given, receives the lines inside a multi-line string (after
    its first), whose leading space is the string's, not indentation."""
    lines = text.split("\n")
    out: list[Line] = []
    depth = 0
    last_line = -1  # the line the previous token ended on
    for t in lex(text):
        if in_strings is not None and t.kind == "string":
            in_strings.update(range(t.line + 1, t.line + 1 + text.count("\n", t.start, t.end)))
        if t.line > last_line and depth == 0 and not (
                last_line >= 0 and lines[last_line].rstrip().endswith("\\")):
            raw = lines[t.line]
            out.append(Line(t.line, raw[: len(raw) - len(raw.lstrip(" \t"))], False, t.text))
        if t.kind == "op":
            depth += t.text in "([{"
            depth = max(0, depth - (t.text in ")]}"))
        if out and depth == 0:
            out[-1].header = t.text == ":"
        last_line = t.line + text.count("\n", t.start, t.end)
    return out


def _unit(stmts: list[Line], skip: range) -> str:
    """The file's indentation step: what its headers' bodies add (four spaces unless
    the file says otherwise; a tab when it indents with tabs). The statements in
    ``skip``, around the error, are not asked: one of them moved."""
    steps: Counter[str] = Counter()
    for k, (a, b) in enumerate(itertools.pairwise(stmts)):
        if k in skip or k + 1 in skip:
            continue
        if a.header and b.lead.startswith(a.lead) and len(b.lead) > len(a.lead):
            steps[b.lead[len(a.lead):]] += 1
    return steps.most_common(1)[0][0] if steps else "    "


def _fits(stmts: list[Line], k: int, lead: str, unit: str) -> int:
    """How well statement ``k`` sits between its neighbours at indentation ``lead``:
    2 for each neighbour it agrees with (the same block, or one unit under a header
    before it, or a header over a body one unit deeper), 1 for a plausible edge (it
    closes blocks the line before opened; the block ends after it)."""
    w = _width(lead)
    score = 0 if w % _width(unit) == 0 else -2  # a width off the file's grid
    if k > 0:
        prev = stmts[k - 1]
        if prev.header:
            score += 2 if lead == prev.lead + unit else 0
        elif lead == prev.lead:
            score += 2
        elif w < prev.width and w in _levels(stmts, k):
            score += 1
    if k + 1 < len(stmts):
        nxt = stmts[k + 1]
        if stmts[k].header:
            score += 2 if nxt.lead == lead + unit else (1 if nxt.width > w else 0)
        elif nxt.lead == lead:
            score += 2
        elif nxt.width < w:
            score += 1
    else:
        score += 1
    return score


def _owner(stmts: list[Line], k: int) -> Line | None:
    """The ``def`` (or ``async def``) that statement ``k`` sits in, by indentation."""
    return next((s for s in reversed(stmts[:k]) if s.first in ("def", "async")
                 and s.width < stmts[k].width), None)


def _closing_return(stmts: list[Line], k: int, lead: str, unit: str) -> bool:
    """Whether statement ``k`` is a ``return`` that ends its function and ``lead`` is the
    function's own level: where a function's last ``return`` most often stands (not in
    the last block before it)."""
    if stmts[k].first != "return":
        return False
    owner = _owner(stmts, k)
    if owner is None or lead != owner.lead + unit:
        return False
    return k + 1 == len(stmts) or stmts[k + 1].width <= owner.width


def _unreachable(stmts: list[Line], k: int, lead: str) -> int:
    """How many statements around ``k`` (moved to ``lead``) would follow a ``return``,
    ``raise``, ``continue`` or ``break`` in its own block, where nothing runs."""
    def lead_of(i: int) -> str:
        return lead if i == k else stmts[i].lead

    return sum(1 for i in range(max(0, k - 2), min(len(stmts) - 1, k + 2))
               if stmts[i].first in _LEAVES and lead_of(i + 1) == lead_of(i))


def _levels(stmts: list[Line], k: int) -> set[int]:
    """The indentation widths open at statement ``k``: the enclosing blocks' levels."""
    out = {0}
    level = None
    for s in reversed(stmts[:k]):
        if level is None or s.width < level:
            out.add(s.width)
            level = s.width
    return out


@dataclass(slots=True)
class _Move:
    rank: tuple[float, ...]
    first: int  # statement index
    last: int  # statement index (inclusive) of a run
    lead: str  # the new leading whitespace of the first line
    what: str


def _reads_parameters(stmts: list[Line], k: int, lines: list[str]) -> bool:
    """Whether statement ``k``'s first line reads a parameter of the ``def`` it sits in
    (``self._aifc = 1``): moved out of the function, it would read a name that is not
    there."""
    owner = _owner(stmts, k)
    if owner is None:
        return False
    body = next(s.no for s in stmts if s.no > owner.no)  # the def may span lines
    params = parameter_names(lex("\n".join(lines[owner.no : body])))
    return any(t.kind == "name" and t.text in params for t in lex(lines[stmts[k].no]))


def _single_moves(stmts: list[Line], e: int, unit: str, err: CompileError,
                  lines: list[str]) -> list[_Move]:
    """One statement line near the error moved to an indentation a neighbour writes:
    the reported line, the few before it, the one after it, and the line that opened the
    level a dedent cannot find (``unindent does not match``: a header pushed in, the
    lines of its body in between). For a header with no indented body, the line under
    it or the header itself, the line under it first on a tie (a header moved out of
    its block would take every line after it into its own)."""
    out: list[_Move] = []
    step = _width(unit)
    block = "expected an indented block" in err.message
    near = {k for k in (e - 1, e) if k >= 0} if block else set(
        range(max(0, e - REACH), min(len(stmts), e + 2)))
    if "unindent does not match" in err.message:
        last = next((k for k in range(e - 1, -1, -1) if stmts[k].width <= stmts[e].width), -1)
        near.add(last + 1)
        if last >= 0 and stmts[last].width < stmts[e].width:
            near.add(last)  # or the header was pulled out (``try:`` at 0, ``except`` at 4)
    for k in sorted(near):
        s = stmts[k]
        leads = {x.lead for x in stmts[max(0, k - 1) : k + 2]}
        if k > 0 and stmts[k - 1].header:
            leads.add(stmts[k - 1].lead + unit)
        leads |= {x.lead for x in stmts[:k] if x.width in _levels(stmts, k)}
        # in a fixed order (a set's order changes from run to run): on a tie the
        # shallower, a statement after a block as likely as the block's last
        for lead in sorted(leads - {s.lead}, key=lambda x: (_width(x), x)):
            moved = abs(_width(lead) - s.width)
            # a line moves by a slip (less than a level) or by a level, seldom further
            far = 0.0 if moved <= step else 1.0 + (moved - step) / step
            fit = (_fits(stmts, k, lead, unit) - far - 2 * _unreachable(stmts, k, lead)
                   + 1.5 * _closing_return(stmts, k, lead, unit))
            owner = _owner(stmts, k)
            if owner is not None and _width(lead) <= owner.width and _reads_parameters(
                    stmts, k, lines):
                fit -= 2  # out of its function, away from the parameters it reads
            # ties go to the earlier line (one pushed out of its block shows as an
            # unexpected indent on the line after it), but to a header's body
            out.append(_Move((fit, -moved, k == e if block else -k), k, k, lead,
                             f"re-indent line {s.no + 1} to {_describe(lead)}"))
    return out


def _run_moves(stmts: list[Line], e: int, unit: str, err: CompileError) -> list[_Move]:
    """A run of lines moved together: a body written under its header but never
    indented, or a block pasted one level too deep."""
    s = stmts[e]
    out: list[_Move] = []
    last = e
    while last + 1 < len(stmts) and stmts[last + 1].width >= s.width:
        last += 1
    if "expected an indented block" in err.message and e > 0:
        lead = stmts[e - 1].lead + unit
        out.append(_Move((0,), e, last, lead, f"indent lines {s.no + 1}-"
                         f"{stmts[last].no + 1} under line {stmts[e - 1].no + 1}"))
    elif "unexpected indent" in err.message and e > 0 and not stmts[e - 1].header:
        lead = stmts[e - 1].lead
        out.append(_Move((0,), e, last, lead, f"re-indent lines {s.no + 1}-"
                         f"{stmts[last].no + 1} to {_describe(lead)}"))
    return out


def _describe(lead: str) -> str:
    if lead and set(lead) == {"\t"}:
        return f"{len(lead)} tab{'s' * (len(lead) != 1)}"
    return f"{len(lead)} space{'s' * (len(lead) != 1)}" if set(lead) <= {" "} else \
        f"{_width(lead)} columns"


def _apply(text: str, stmts: list[Line], move: _Move, in_strings: set[int]) -> str:
    """``text`` with the move's lines re-indented: the first to ``move.lead``, the rest
    of a run (and every physical line between, but a multi-line string's) by the same
    shift."""
    lines = text.split("\n")
    a = stmts[move.first].no
    b = stmts[move.last + 1].no if move.last + 1 < len(stmts) else len(lines)
    old = stmts[move.first].lead
    for i in range(a, b if move.last > move.first else a + 1):
        ln = lines[i]
        if i == a or (ln.startswith(old) and ln.strip() and i not in in_strings):
            lines[i] = move.lead + ln[len(old):]
    return "\n".join(lines)


def _word_lost(stmts: list[Line], e: int, lines: list[str]) -> bool:
    """Whether statement ``e`` sits one space deeper than the line before it (or one of
    the blocks open there) and reads as a statement that lost its first word."""
    w = stmts[e].width - 1
    if w != stmts[e - 1].width and w not in _levels(stmts, e):
        return False
    owner = _owner(stmts, e)
    if owner is not None and w <= owner.width:
        return False  # a word lost there would leave the function: not ``return``
    end = stmts[e + 1].no if e + 1 < len(stmts) else len(lines)
    ends_block = e + 1 == len(stmts) or stmts[e + 1].width < w
    return _lost_first_word("\n".join(lines[stmts[e].no : end]), ends_block)


def _lost_first_word(statement: str, ends_block: bool) -> bool:
    """Whether ``statement``, one space too deep, is as likely a statement whose first
    word was lost with the space after it (``return x`` -> `` x``): an expression doing
    nothing (``x``, ``a.b``, ``x + 1``), or a call ending its block, whose value a lost
    ``return`` would have given back. The token search weighs those two readings."""
    try:  # in brackets, so its continuation lines may sit anywhere
        value = ast.parse(f"(\n{statement.strip()}\n)", mode="eval").body
    except SyntaxError:
        return False  # not an expression
    if isinstance(value, ast.Call):
        return ends_block
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return False  # a docstring, or text standing alone
    return not isinstance(value, (ast.Await, ast.Yield, ast.YieldFrom))


def indentation_fix(text: str, err: CompileError, filename: str = "<file>", *,
                    budget: float = 1.0) -> Fix | None:
    """The re-indentation that best restores the file's blocks and makes it compile, or
    None (declined to the token search: not an indentation error, no move compiles, or
    the error is as likely a lost first word as a moved line)."""
    if not is_indentation_error(err, text):
        return None
    in_strings: set[int] = set()
    stmts = statement_lines(text, in_strings)
    e = next((k for k, s in enumerate(stmts) if s.no >= err.line), None)
    if e is None or stmts[e].no != err.line:
        return None
    lines = text.split("\n")
    if "expected an indented block" in err.message and e > 0 and any(
            not ln.strip() and ln for ln in lines[stmts[e - 1].no + 1 : err.line]):
        return None  # an indented blank line: the body itself was lost (``pass``)
    if ("unexpected indent" in err.message or "unindent does not match" in err.message) and (
            e > 0 and _word_lost(stmts, e, lines)):
        return None  # ``     x``: a lost ``return`` as likely as a stray space
    unit = _unit(stmts, range(e - REACH - 1, e + 2))
    moves = sorted(_single_moves(stmts, e, unit, err, lines), key=lambda m: m.rank,
                   reverse=True)
    moves += _run_moves(stmts, e, unit, err)
    deadline = time.perf_counter() + budget
    for n, move in enumerate(moves):
        if n >= MAX_COMPILES or time.perf_counter() > deadline:
            break
        new = _apply(text, stmts, move, in_strings)
        if new == text or compile_error(new, filename) is not None:
            continue
        return _as_fix(text, new, err, move.what)
    return None


def _as_fix(text: str, new: str, err: CompileError, what: str) -> Fix:
    s, e, t = edit_between(text, new)
    span = span_of(text, s, e)
    kind = ("TabError" if "tabs" in err.message else "SyntaxError" if "outside" in err.message
            or "not properly" in err.message else "IndentationError")
    explanation = (
        f"Python reports `{kind}: {err.message}` at line {err.line + 1}. "
        f"A block's lines share one indentation: to {what[0].lower()}{what[1:]} puts it "
        "back in line with its neighbours, and the file compiles.")
    lead = new.split("\n")[span.start_line]
    width = len(lead) - len(lead.lstrip(" \t"))
    return Fix(span=span, new_text=t, fixed_source=new, operator=f"indent to {width}",
               edit_size=(e - s) + len(t), title=f"Fix indentation: {what}",
               explanation=explanation, validated=True, validation="compiles",
               score=0.0, problem=as_problem(err))
