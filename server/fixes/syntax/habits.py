"""Habits from other languages and from Python 2 that Python rejects, written the way
Python says them: ``a && b`` -> ``a and b``, ``a || b`` -> ``a or b``, ``!x`` ->
``not x``, ``i++`` -> ``i += 1``, ``===`` -> ``==``, ``else if`` -> ``elif``,
``print x`` -> ``print(x)``, ``def f:`` -> ``def f():``, ``// note`` -> ``# note``,
``x not is None`` -> ``x is not None``, ``while (n = f()):`` -> ``while (n := f()):``,
``if x = 1:`` -> ``if x == 1:``, and a misspelt keyword (``retrun``, ``whlie``) -> the
keyword.

The one-token search cannot make most of these (two tokens become one word), and
where it can, another edit often compiles too and reads as well to a language model
(``a & b`` for ``a && b``, ``retrun = x`` for ``retrun x``). A habit says what was
meant. Every rule rewrites tokens of the line Python stopped at, never inside a string
or a comment (the lexer gives neither as tokens). A file written with the habit
throughout is mended line by line, as the compiler reaches each; the rewrite is offered
when the file then compiles, or when the error left is past every rewritten line
(another mistake, reported on its own: the fix compiles locally).
"""

from __future__ import annotations

import itertools
import keyword
import re
import time
from collections import Counter
from collections.abc import Callable

from tact.server.fixes.calls import bracket_kind
from tact.server.fixes.lexer import Token, lex
from tact.server.fixes.syntax.diagnose import CompileError, as_problem, compile_error
from tact.server.fixes.types import Fix, edit_between, span_of

MAX_LINES = 20  # lines mended at most in one fix
Edit = tuple[int, int, str, str]  # (start, end, new text, what the habit was)
_KEYWORDS = sorted(k for k in keyword.kwlist if len(k) >= 2 and k.islower())


def _c_operators(toks: list[Token], text: str) -> list[Edit]:
    """``&&``, ``||``, ``!x``, ``===``, ``!==``, ``x++``/``x--`` (C, Java, JavaScript)."""
    out: list[Edit] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        adjacent = nxt is not None and nxt.start == t.end
        if t.text in ("&", "|") and adjacent and nxt.text == t.text:
            word = "and" if t.text == "&" else "or"
            out.append((t.start, nxt.end, _spaced(text, t.start, nxt.end, word),
                        f"`{t.text * 2}` is `{word}`"))
            i += 2
            continue
        if t.text == "!" and nxt is not None and nxt.text != "=":
            out.append((t.start, nxt.start, "not ", "`!` is `not`"))
        elif t.text in ("==", "!=") and adjacent and nxt.text == "=":
            out.append((t.start, nxt.end, t.text, f"`{t.text}=` is `{t.text}`"))
            i += 2
            continue
        elif (t.text in ("+", "-") and adjacent and nxt.text == t.text and i > 0
              and toks[i - 1].kind == "name" and toks[i - 1].end == t.start
              and (i + 2 >= len(toks) or toks[i + 2].line != t.line)):
            out.append((t.start, nxt.end, f" {t.text}= 1", f"`{t.text * 2}` is `{t.text}= 1`"))
            i += 2
            continue
        i += 1
    return out


def _spaced(text: str, start: int, end: int, word: str) -> str:
    before = " " if start > 0 and not text[start - 1].isspace() else ""
    after = " " if end < len(text) and not text[end].isspace() else ""
    return before + word + after


def _statement_words(toks: list[Token], text: str) -> list[Edit]:
    """``else if`` / ``elseif`` / ``elsif`` -> ``elif``; ``def f:`` -> ``def f():``;
    ``// note`` -> ``# note``; ``not is`` / ``in not`` -> ``is not`` / ``not in``."""
    out: list[Edit] = []
    first = toks[0]
    if first.text in ("elseif", "elsif"):
        out.append((first.start, first.end, "elif", f"`{first.text}` is `elif`"))
    if first.text == "else" and len(toks) > 1 and toks[1].text == "if":
        out.append((first.start, toks[1].end, "elif", "`else if` is `elif`"))
    if first.text == "//":
        out.append((first.start, first.end, "#", "`//` starts a comment as `#`"))
    if (first.text in ("def", "async") and len(toks) > 2
            and toks[-1].text == ":" and toks[-2].kind == "name" and toks[-3].text == "def"):
        out.append((toks[-2].end, toks[-2].end, "()", "a function lists its parameters"))
    for a, b in itertools.pairwise(toks):
        if (a.text, b.text) in (("not", "is"), ("in", "not")):
            out.append((a.start, b.end, f"{b.text} {a.text}", f"`{a.text} {b.text}` is "
                        f"`{b.text} {a.text}`"))
    return out


def _assignment_in_condition(toks: list[Token], text: str, err: CompileError) -> list[Edit]:
    """C's ``while ((n = read()) > 0)``: Python suggests ``==`` or ``:=``; in a condition,
    an ``=`` right after ``(name`` that keeps what a call returns is an assignment inside
    it, which Python spells ``:=``. ``if not (first = second)`` keeps no call's result:
    it compares (:func:`_comparison_in_condition`)."""
    if "':='" not in err.message or toks[0].text not in ("if", "elif", "while"):
        return []  # a condition's habit, not a slip elsewhere
    return [(t.start, t.end, ":=", "an assignment inside an expression is `:=`")
            for k, (a, b, t) in enumerate(zip(toks, toks[1:], toks[2:], strict=False))
            if a.text == "(" and b.kind == "name" and t.text == "="
            and _grouping(toks, k)  # ``f(key=1)`` is a call's keyword
            and _calls_before_close(toks, k + 3)]


def _grouping(toks: list[Token], k: int) -> bool:
    """Whether the ``(`` at ``k`` groups an expression rather than opening a call."""
    return bracket_kind(toks, k) == "display"


def _calls_before_close(toks: list[Token], k: int) -> bool:
    """Whether a call opens between token ``k`` and the ``)`` that closes the bracket
    ``k`` stands in."""
    depth = 0
    for j in range(k, len(toks)):
        w = toks[j].text
        if w == "(" and j > k and bracket_kind(toks, j) == "call":
            return True
        depth += w in "([{"
        depth -= w in ")]}"
        if depth < 0:
            return False
    return False


_NAME_CHAR = re.compile(r"[A-Za-z_]")
_COMPARISONS = frozenset({"==", "!=", "<=", ">="})
_CONDITION_WORDS = frozenset({"if", "elif", "while", "return", "assert", "and", "or", "not"})


def _comparison_in_condition(toks: list[Token], text: str, err: CompileError,
                             line_start: int) -> list[Edit]:
    """``if x = 1:``, ``return a = b``: an ``=`` where a condition or a returned value
    is read compares, as ``==`` (the compiler's own suggestion, or the place it stopped).
    A call's keyword argument (``f(key=1)``) and an assignment before the condition
    (``y = a if b else c``) are not conditions: the walk back from the ``=`` stops at the
    bracket, comma, colon or ``=`` that begins its expression."""
    out: list[Edit] = []
    for k, t in enumerate(toks):
        if t.text != "=" or not ("'=='" in err.message or t.start + line_start == err.offset):
            continue
        if _NAME_CHAR.match(text[t.start - 1 : t.start]) and _NAME_CHAR.match(
                text[t.end : t.end + 1]):
            continue  # ``self=name``: a slip for ``self.name`` as likely as for ``==``
        depth = 0
        for j in range(k - 1, -1, -1):
            w = toks[j].text
            depth += w in ")]}"
            if w in "([{" and toks[j].kind == "op":
                if depth == 0:
                    if w == "(" and _grouping(toks, j):
                        continue  # ``if not (a = b)``: the condition reads on
                    break
                depth -= 1
            if depth:
                continue
            if w in (",", ":", "=", "lambda") or (w.endswith("=") and w not in _COMPARISONS):
                break  # an assignment's ``=``, ``+=``...; ``a == b = c`` reads on
            if w in _CONDITION_WORDS:
                out.append((t.start, t.end, "==", "a comparison is `==` (`=` assigns)"))
                break
    return out


def _print_statement(toks: list[Token], text: str, err: CompileError) -> list[Edit]:
    """Python 2's ``print x``, which Python names in its message."""
    first = toks[0]
    if "Missing parentheses in call to 'print'" not in err.message or first.text != "print" \
            or len(toks) < 2 or toks[1].text == "(":
        return []  # (Python 2's ``exec code in ns`` is ``exec(code, ns)``: not a wrap)
    end = len(text.rstrip()) if toks[-1].end >= len(text.rstrip()) else toks[-1].end
    rest = text[toks[1].start : end].rstrip().rstrip(",")
    return [(first.start, end, f"{first.text}({rest})",
             f"Python 3's `{first.text}` is a function")]


def _keyword_typo(toks: list[Token], text: str, counts: Callable[[str], int]
                  ) -> list[Edit]:
    """A word written once in the file, one slip from a keyword (a letter left out,
    doubled or swapped with its neighbour): ``retrun``, ``whlie``, ``improt``."""
    out: list[Edit] = []
    for t in toks:
        if t.kind != "name" or len(t.text) < 3:
            continue
        near = [k for k in _KEYWORDS if one_slip(t.text, k)]
        if len(near) == 1 and counts(t.text) == 1:
            out.append((t.start, t.end, near[0], f"`{t.text}` is `{near[0]}` misspelt"))
    return out


def one_slip(typed: str, word: str) -> bool:
    """Whether ``typed`` is ``word`` with one letter left out, doubled, added or two
    neighbours swapped (a transposition counts once, unlike in Levenshtein distance)."""
    if typed == word:
        return False
    if len(typed) == len(word):
        diff = [i for i in range(len(word)) if typed[i] != word[i]]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and (
            typed[diff[0]] == word[diff[1]] and typed[diff[1]] == word[diff[0]])
    if abs(len(typed) - len(word)) != 1:
        return False
    short, long_ = (typed, word) if len(typed) < len(word) else (word, typed)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


Rule = Callable[[list[Token], str], list[Edit]]
_RULES: tuple[Rule, ...] = (_c_operators, _statement_words)


def line_edits(text: str, err: CompileError, counts: Callable[[str], int]) -> list[Edit]:
    """Every habit's rewrite on the line Python stopped at, none overlapping another."""
    ls = err.offset - err.col
    le = text.find("\n", ls)
    le = len(text) if le < 0 else le
    toks = lex(text[ls:le])
    if not toks:
        return []
    edits = [e for rule in _RULES for e in rule(toks, text[ls:le])]
    edits += _print_statement(toks, text[ls:le], err)
    edits += _assignment_in_condition(toks, text[ls:le], err)
    edits += _comparison_in_condition(toks, text[ls:le], err, ls)
    edits += _keyword_typo(toks, text[ls:le], counts)
    edits = sorted(((a + ls, b + ls, new, why) for a, b, new, why in edits),
                   key=lambda e: e[0])
    kept: list[Edit] = []
    for e in edits:
        if not kept or e[0] >= kept[-1][1]:
            kept.append(e)  # overlapping rewrites: the first one wins
    return kept


def _apply(text: str, edits: list[Edit]) -> str:
    out, last = [], 0
    for a, b, new, _ in edits:
        out += [text[last:a], new]
        last = b
    return "".join(out) + text[last:]


def habit_fix(text: str, err: CompileError, filename: str = "<file>", *,
              budget: float = 1.0) -> Fix | None:
    """One fix rewriting each habit the compiler stops at (``err`` is the first), line
    by line, or None."""
    first, new, whys = err, text, []
    names: list[Counter[str]] = []

    def counts(word: str) -> int:
        """How often the file's code writes ``word``: a regex over the text first, and
        only if it also shows up elsewhere (perhaps in a string or a comment) a lex."""
        if len(re.findall(rf"\b{re.escape(word)}\b", text)) <= 1:
            return 1
        if not names:
            names.append(Counter(t.text for t in lex(text) if t.kind == "name"))
        return names[0][word]

    deadline = time.perf_counter() + budget
    for _ in range(MAX_LINES):
        edits = line_edits(new, err, counts)
        if not edits or time.perf_counter() > deadline:
            break
        nxt = _apply(new, edits)
        nerr = compile_error(nxt, filename)
        if nerr is not None and (nerr.line, nerr.col) <= (err.line, err.col):
            break  # the rewrite did not get past this line
        new, err = nxt, nerr
        whys += [why for *_, why in edits if why not in whys]
        if err is None:
            break
    if new == text or (err is not None and err.line <= first.line):
        return None
    return _as_fix(text, new, first, whys, err is None)


def _as_fix(text: str, new: str, err: CompileError, whys: list[str], compiles: bool) -> Fix:
    s, e, t = edit_between(text, new)
    span = span_of(text, s, e)
    line_no = span.start_line + 1
    title = f"Fix syntax: {whys[0]}" + (f" (and {len(whys) - 1} more)" if len(whys) > 1
                                         else "") + f" (line {line_no})"
    explanation = (
        f"Python reports `SyntaxError: {err.message}` at line {err.line + 1}, column "
        f"{err.col + 1}, where the code says what Python spells another way: "
        f"{'; '.join(whys)}. Spelt the Python way, the "
        + ("file compiles." if compiles else "statement compiles (later errors remain)."))
    problem = as_problem(err)
    return Fix(span=span, new_text=t, fixed_source=new, operator="python idiom",
               edit_size=(e - s) + len(t), title=title, explanation=explanation,
               validated=True, validation="compiles" if compiles else "compiles-locally",
               score=0.0, problem=problem)
