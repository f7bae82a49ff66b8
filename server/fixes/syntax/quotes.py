"""A string whose opening or closing quote was lost: put the quote back where the string
ended (or began).

Python reports the quote that is left, as the start of a string running to the end of
its line. Either that quote opened the string and its closing partner is missing
(``print('refused:, name)``), or it closed a string whose opening is missing
(``f(name', x)``), or it is the opening of the *next* string because an earlier one lost
its closing quote (``("https, "wss")``). So every place on the line where a string can
start or end is a candidate: the edges of words, brackets and spaces.

Which one was meant shows in what each leaves as code and what it turns into text. Text
holds prose: words the code never uses as names. Code holds names the file knows
(bound or used elsewhere, builtins, everyday names). Code is spaced one way: a quote
sits against a bracket or after one space, never with the string's own spaces on the
outside. The best candidate that compiles is the fix; the one-token search scored these
with a token language model, which prefers long strings because it then pays for fewer
tokens.
"""

from __future__ import annotations

import builtins
import keyword
import re
import time

from tact.server.fixes.calls import open_brackets
from tact.server.fixes.lexer import Token, default_prior, lex
from tact.server.fixes.syntax.candidates import opening_quote, prefix_length
from tact.server.fixes.syntax.diagnose import CompileError, as_problem, compile_error
from tact.server.fixes.types import Fix, edit_between, span_of

_BUILTINS = frozenset(dir(builtins))
_WORD = re.compile(r"\w")
_NAME = re.compile(r"[A-Za-z_]\w*")
_STR_METHODS = frozenset(m for m in dir(str) if not m.startswith("_"))
_STATEMENT_WORDS = frozenset(keyword.kwlist) - {"True", "False", "None", "not", "in", "is",
                                                 "and", "or", "as"}
_NO_STRING_OPS = frozenset({"-", "/", "//", "**", "&", "|", "^", "~", "<<", ">>", "@"})
# Tokens after which a string would be a whole condition's first operand: of 136,261
# strings after one of these in 2,174 site-packages files, none is followed by ``and``
# and 11 by ``or`` (each after ``and``: the old ``c and 'a' or 'b'``, not listed here).
_CONDITION_STARTS = frozenset({"if", "elif", "while", "not", "return", "=", "(", ",",
                               "assert", ":", "lambda"})
MAX_COMPILES = 60
REACH_LINES = 2000  # lines on each side of a huge file's error whose names are read


def is_lost_quote(err: CompileError) -> bool:
    """A one-line string left open (a triple-quoted one is :mod:`.candidates`'s)."""
    return err.message.startswith("unterminated string literal")


def _stray_quote(text: str, err: CompileError) -> int | None:
    """The column of the quote left open on the error's line: the start of its last
    string if that never closes (Python may stop earlier on the line, ``return %s" % x``
    fails at ``%`` before the string is read, or point one column off), else where
    Python says."""
    ls, le = _line_bounds(text, err)
    line = text[ls:le]
    toks = lex(line)
    last = toks[-1] if toks else None
    if last is not None and last.kind == "string" and not _closed(last.text) and len(
            opening_quote(last.text)) == 1:
        return last.start + prefix_length(last.text)
    if is_lost_quote(err) and line[err.col : err.col + 1] in ("'", '"'):
        return err.col
    return None


def _line_bounds(text: str, err: CompileError) -> tuple[int, int]:
    ls = err.offset - err.col
    le = text.find("\n", ls)
    le = len(text) if le < 0 else le
    if text[le - 1 : le] == "\r":
        le -= 1
    return ls, le


def _places(line: str, stray: int) -> list[int]:
    """Where on the line a quote could go: anywhere but inside a word or the
    indentation (the line's end included, after its spaces: a string's own)."""
    indent = len(line) - len(line.lstrip())
    return [p for p in range(indent, len(line) + 1) if p not in (stray, stray + 1)
            and not (0 < p < len(line) and _WORD.match(line[p - 1]) and _WORD.match(line[p]))]


def _score(fixed: list[Token], known: frozenset[str], own: frozenset[str], line: str
           ) -> float:
    """How much the fixed line reads as code with text in its strings (higher is
    better): names outside the strings that the file, Python or everyday code knows
    (``known``), none of the file's own names (``own``) inside them as code, and code
    spaced and shaped as code is (no string called, subtracted or glued to a word)."""
    score = 0.0
    for k, t in enumerate(fixed):
        prev = fixed[k - 1] if k else None
        nxt = fixed[k + 1] if k + 1 < len(fixed) else None
        if t.text == "%" and line[t.start - 1 : t.start] == " " and _WORD.match(
                line[t.end : t.end + 1]):
            score -= 1.5  # `` %s``: a format's conversion left outside its string
        if t.kind == "name" and t.text not in known and (prev is None or prev.text != "."):
            score -= 2.0  # code naming what the file and everyday code never name
        if t.kind != "string":
            continue
        body = _body(t.text)
        score -= 2.0 * len(_code_words(body, own))
        if _unbalanced(body):
            score -= 2.0  # ``cc_args[':0] = [-g']``
        first = body.split(" ", 1)[0]
        if k == 0 and first in _STATEMENT_WORDS and len(body) > len(first):
            score -= 2.0  # ``'return hello'``: a statement swallowed whole
        before, after = line[: t.start], line[t.end :]
        gap = len(after) - len(after.lstrip(" "))
        if body.strip():
            if body[:1] == " " and before.strip() and before[-1:] not in " ([{":
                score -= 1.5  # ``f(x,' y')``: the string took the space after the comma
            if body[-1:] == " " and after[:1] not in ".,)]} " and after:
                score -= 1.5  # ``"< "+ x``: the string took the space before the ``+``
        if before[-1:] == " " and before.rstrip(" ")[-1:] in ("(", "[", "{"):
            score -= 1.0  # ``f( "x")``: code puts no space after an opening bracket
        if (_WORD.match(before[-1:] or " ") and t.text[:1] in "'\"") or (
                _WORD.match(after[:1] or " ")):
            score -= 1.5  # a quote against a word: ``built-'in module``
        if len(before) - len(before.rstrip(" ")) > 1 and before.strip():
            score -= 1.0  # two spaces before a string
        if gap and not after.strip():
            score -= 1.5  # a string's trailing space left outside it at the line's end
        elif gap > 1:
            score -= 1.0
        if gap and after.lstrip()[:1] == ".":
            score -= 1.5  # ``',' .join``: a method is called without a space
        if nxt is not None and (nxt.text in ("(", "[") or nxt.kind == "string"):
            # a string called, indexed (7 of 175,319 string literals in 2,174
            # site-packages files), or two strings side by side on one line
            score -= 3.0
        if nxt is not None and nxt.text == "." and k + 2 < len(fixed) and (
                fixed[k + 2].text not in _STR_METHODS):
            score -= 3.0  # ``'pickle'.find_class``: no method of a string
        if nxt is not None and nxt.text in ("and", "or") and (
                prev is None or prev.text in _CONDITION_STARTS):
            score -= 3.0  # ``if "closed in x and "y" in z``: a string is no condition
        operand = prev is not None and prev.text in _NO_STRING_OPS | {"%"} and not (
            nxt is not None and nxt.text in (".", "["))  # ``% ' '.join(x)`` is no operand
        if operand or (nxt is not None and nxt.text in _NO_STRING_OPS):
            score -= 3.0  # ``'utf'-8``, ``x % '0'``: arithmetic no string takes
    return score


def _body(s: str) -> str:
    """A one-line string token's text between its quotes."""
    body = s[prefix_length(s) :]
    return body[1:-1] if _closed(s) else body[1:]


def _code_words(body: str, known: frozenset[str]) -> list[str]:
    """Names of ``known`` in a string's text sitting as code sits: after ``.``, ``(``,
    ``[``, ``=``, ``,``, ``+`` or ``%`` inside the text, or before ``.``, ``(``, ``[``,
    ``=``, ``,``, ``)``, ``%`` or ``+`` (``self.name``, ``f(x)``, ``% (a, b)``), and any
    keyword argument (``shape="square, visible=False``); prose keeps its words apart."""
    out = []
    for m in _NAME.finditer(body):
        w = m.group()
        left = body[: m.start()].rstrip(" ")
        right = body[m.end() :].lstrip(" ")
        if keyword.iskeyword(w):
            continue
        if w not in known and not (right[:1] == "=" and right[1:2] != "="):
            continue
        if (left and left[-1] in ".([=,+%") or (right and right[0] in ".([=,)%+"):
            out.append(w)
        elif right[:1] == "=" and right[1:2] != "=" and left[-1:] in (",", "("):
            out.append(w)  # a keyword argument: ``shape="square, visible=False``
    return out


def _unbalanced(body: str) -> bool:
    depth = 0
    for ch in body:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0:
            return True
    return False


def quote_fix(text: str, err: CompileError, filename: str = "<file>", *,
              budget: float = 1.0) -> Fix | None:
    """The lost quote put back, or None (no string left open on the error's line, or no
    place compiles)."""
    stray = _stray_quote(text, err)
    if stray is None:
        return None
    ls, le = _line_bounds(text, err)
    line = text[ls:le]
    q = line[stray]
    other = lex(_around(text, ls, le))
    own = frozenset(t.text for t in other if t.kind == "name") | _BUILTINS
    known = own | frozenset(w for w in default_prior().common if len(w) > 1)  # not ``%r``'s
    # a line of text alone (ending in closers or a comma at most) where text is expected
    whole = re.fullmatch(r"[\s)\]},]*(#.*)?", line[stray + 1 :]) is not None and (
        _continues_strings(text, ls) or _docstring_place(text, ls))
    places = _places(line, stray)
    start = _text_column(text, ls, line) if whole else -1
    if whole:
        places = sorted({*places, start})
    options = [(q, p) for p in places]
    other_quote = '"' if q == "'" else "'"
    if line[stray + 1 :].count(other_quote) % 2:
        # ``ValueError(Can't mix paths")``: the quote Python reports is an apostrophe in
        # the text; the string's own opening quote, the other kind, is the one lost
        options += [(other_quote, p) for p in places if p < stray]
    scored = []
    for quote, p in options:
        fixed = line[:p] + quote + line[p:]
        toks = lex(fixed)
        if any(t.kind == "string" and t.end == len(fixed) and t.start < len(fixed)
               and not _closed(t.text) for t in toks):
            continue  # still open
        bonus = 2.0 if p == start else 0.0
        scored.append((_score(toks, known, own, fixed) + bonus - 0.01 * abs(p - stray),
                       p, quote))
    scored.sort(reverse=True)
    deadline = time.perf_counter() + budget
    for n, (_, p, quote) in enumerate(scored):
        if n >= MAX_COMPILES or time.perf_counter() > deadline:
            break
        new = text[: ls + p] + quote + text[ls + p :]
        if compile_error(new, filename) is None:
            return _as_fix(text, new, err, quote, p > stray)
    return None


def _text_column(text: str, ls: int, line: str) -> int:
    """Where a line of text alone opens its string: at its first character, or one
    column before it where the line above holds a string starting there (``"... with"``
    over `` " @runtime protocols"``: the space is the string's own)."""
    indent = len(line) - len(line.lstrip())
    above = text[_lines_back(text, ls, 1) : ls].rstrip("\r\n")
    strings = [t for t in lex(above) if t.kind == "string"]
    if strings and strings[-1].start == indent - 1 and line[indent - 1 : indent] == " ":
        return indent - 1
    return indent


def _lines_back(text: str, pos: int, n: int) -> int:
    """The start of the line ``n`` lines before the one holding ``pos`` (or 0)."""
    start = text.rfind("\n", 0, pos) + 1
    for _ in range(n):
        if start <= 0:
            return 0
        start = text.rfind("\n", 0, start - 1) + 1
    return start


def _lines_on(text: str, pos: int, n: int) -> int:
    """The end of the line ``n`` lines after the one holding ``pos`` (or the text's)."""
    end = pos
    for _ in range(n + 1):
        end = text.find("\n", end + 1)
        if end < 0:
            return len(text)
    return end


def _around(text: str, ls: int, le: int, reach: int = REACH_LINES) -> str:
    """The text within ``reach`` lines of the line [ls, le), without that line: where
    the names that tell code from text are looked up (all of it in a file of ordinary
    size; lexing a whole huge file would take most of the budget)."""
    return text[_lines_back(text, ls, reach) : ls] + text[le : _lines_on(text, le, reach - 1)]


def _continues_strings(text: str, ls: int) -> bool:
    """Whether the line at ``ls`` continues a bracket whose previous line ends with a
    string: then it is most likely one more piece of that text, from its first column."""
    # a bracket open this far back is the one the line continues
    before = text[_lines_back(text, ls, 200) : ls]
    if before.rstrip()[-1:] not in ("'", '"'):
        return False
    toks = lex(before)
    return bool(toks) and toks[-1].kind == "string" and next(
        open_brackets(toks, len(toks) - 1), None) is not None


_HEADER = re.compile(r"\s*((async\s+)?def\s|class\s|\)).*:\s*(#.*)?$")


def _docstring_place(text: str, ls: int) -> bool:
    """Whether the line at ``ls`` is the first of a function's or class's body, where a
    line of text is its docstring."""
    prev = text[_lines_back(text, ls, 50) : ls].rstrip().rsplit("\n", 1)[-1]
    return _HEADER.match(prev) is not None


def _closed(s: str) -> bool:
    """Whether a one-line string token ends with its closing quote."""
    body = s[prefix_length(s) :]
    return len(body) >= 2 and body[-1] == body[0] and not body.endswith("\\" + body[0])


def _as_fix(text: str, new: str, err: CompileError, q: str, closing: bool) -> Fix:
    s, e, t = edit_between(text, new)
    span = span_of(text, s, e)
    where = "closing" if closing else "opening"
    explanation = (
        f"Python reports `SyntaxError: {err.message}` at line {err.line + 1}: the string "
        f"there lost its {where} quote. Put back where the string's text "
        f"{'ends' if closing else 'begins'} and its code resumes, the file compiles.")
    return Fix(span=span, new_text=t, fixed_source=new, operator=f"insert {q!r}",
               edit_size=len(t), title=f"Fix syntax: insert the lost `{q}` "
               f"(line {span.start_line + 1})", explanation=explanation, validated=True,
               validation="compiles", score=0.0, problem=as_problem(err))
