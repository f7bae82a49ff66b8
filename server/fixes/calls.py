"""How many positional arguments each call passes, read from tokens.

Why this exists: a left-out comma and a stray word typed into an argument list
leave the same broken text. ``HTTPError(url, errcode, errmsg, headers None)`` may
have lost a comma or gained a ``None``; deleting the word and restoring the comma
both compile, and a language model prefers the shorter text. What the programmer
meant shows in how the same callee is called elsewhere in the file: five arguments
everywhere else means the comma. The same holds for a ``%`` format whose tuple must
fill every placeholder.

Why tokens and not :mod:`ast`: the file around a syntax error does not parse, and
the call sites that settle the question are usually far from the edited lines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tact.server.fixes.lexer import Token

_OPEN = {"(": ")", "[": "]", "{": "}"}
# a printf conversion: flags, width, precision, length, type (``%%`` is a literal %)
_CONVERSION = re.compile(r"%[-#0 +]*(?:\d+)?(?:\.\d+)?[hlL]?([diouxXeEfFgGcrsa%])")


@dataclass(frozen=True, slots=True)
class CallSite:
    callee: str  # dotted text: ``os.path.join``, ``self._map_async``, ``super``
    start: int  # character offset of the opening bracket
    positional: int  # positional arguments passed


def matching_brackets(toks: Sequence[Token]) -> dict[int, int]:
    """Token index of each opening bracket -> index of its closer (balanced pairs only)."""
    out: dict[int, int] = {}
    stack: list[int] = []
    for i, t in enumerate(toks):
        if t.kind != "op":
            continue
        if t.text in _OPEN:
            stack.append(i)
        elif t.text in (")", "]", "}"):
            # an unbalanced closer drops the openers it cannot match
            while stack and _OPEN[toks[stack[-1]].text] != t.text:
                stack.pop()
            if stack:
                out[stack.pop()] = i
    return out


def _arguments(toks: Sequence[Token], open_i: int, close_i: int,
               star: bool = False) -> list[list[Token]] | None:
    """The top-level comma-separated arguments between two brackets (None when the
    call unpacks ``*args``/``**kw`` or holds a generator: its count means nothing;
    ``star`` keeps them, for a parameter list)."""
    args: list[list[Token]] = [[]]
    depth = 0
    for t in toks[open_i + 1 : close_i]:
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
        elif t.kind == "op" and t.text in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and t.kind == "op" and t.text == ",":
            args.append([])
            continue
        elif depth == 0 and t.kind == "keyword" and t.text in ("for", "async"):
            return None
        args[-1].append(t)
    if not args[-1]:
        args.pop()  # ``f()`` or a trailing comma
    if any(not a for a in args):
        return None  # ``f(a,, b)``: broken, not countable
    if not star and any(a[0].text in ("*", "**") for a in args):
        return None
    return args


def call_sites(toks: Sequence[Token], match: dict[int, int] | None = None) -> list[CallSite]:
    """Every call ``name(...)`` or ``a.b.name(...)`` whose brackets balance."""
    match = matching_brackets(toks) if match is None else match
    out: list[CallSite] = []
    for i, t in enumerate(toks):
        if t.text != "(" or t.kind != "op" or i == 0 or i not in match:
            continue
        j = i - 1
        if toks[j].kind != "name":
            continue
        parts = [toks[j].text]
        while j >= 2 and toks[j - 1].text == "." and toks[j - 2].kind == "name":
            parts.append(toks[j - 2].text)
            j -= 2
        if j >= 1 and toks[j - 1].text in ("def", "class", "."):
            continue  # a definition, or a call on an expression (``f(x).g(y)``)
        args = _arguments(toks, i, match[i])
        if args is None:
            continue
        positional = sum(1 for a in args if not (
            len(a) >= 2 and a[0].kind == "name" and a[1].text == "="))
        out.append(CallSite(".".join(reversed(parts)), t.start, positional))
    return out


@dataclass(frozen=True, slots=True)
class DefSite:
    name: str
    start: int  # character offset of the ``def`` keyword
    fewest: int  # positional arguments a call must pass (``self`` not counted)
    most: float  # ... and may pass (inf with ``*args``)


def _definitions(toks: Sequence[Token], match: dict[int, int]
                 ) -> Iterator[tuple[int, list[list[Token]]]]:
    """(index of ``def``, its parameters) for every ``def name(...)`` whose brackets
    balance."""
    for i in range(len(toks) - 2):
        if not (toks[i].text == "def" and toks[i].kind == "keyword"
                and toks[i + 1].kind == "name" and toks[i + 2].text == "(" and i + 2 in match):
            continue
        params = _arguments(toks, i + 2, match[i + 2], star=True)
        if params is not None:
            yield i, params


def parameter_names(toks: Sequence[Token], match: dict[int, int] | None = None
                    ) -> frozenset[str]:
    """Names standing as parameters in ``def`` lines: every word of a parameter before
    its annotation or default, so ``typing`` in the broken ``def f(a_type typing):``
    counts (the comma may be what is missing)."""
    match = matching_brackets(toks) if match is None else match
    out: set[str] = set()
    for _, params in _definitions(toks, match):
        for p in params:
            for t in p:
                if t.text in ("=", ":"):
                    break
                if t.kind == "name":
                    out.add(t.text)
    return frozenset(out)


def open_brackets(toks: Sequence[Token], k: int, reach: int = 400) -> Iterator[int]:
    """Indices of the brackets still open just after token ``k``, innermost first
    (looking at most ``reach`` tokens back)."""
    depth = 0
    for j in range(k, max(-1, k - reach), -1):
        t = toks[j]
        if t.kind != "op":
            continue
        if t.text in (")", "]", "}"):
            depth += 1
        elif t.text in _OPEN:
            if depth:
                depth -= 1
            else:
                yield j


def enclosing_bracket(toks: Sequence[Token], k: int, reach: int = 400) -> str | None:
    """What the innermost bracket open just after token ``k`` holds: ``def``
    (parameters), ``call`` (arguments), ``subscript`` or ``display`` (None at top
    level, or beyond ``reach`` tokens back)."""
    j = next(open_brackets(toks, k, reach), None)
    return None if j is None else bracket_kind(toks, j)


def bracket_kind(toks: Sequence[Token], j: int) -> str:
    """What the bracket at token ``j`` holds: ``def`` (parameters), ``call``
    (arguments), ``subscript`` or ``display`` (a grouping ``(`` included)."""
    t = toks[j]
    before = toks[j - 1] if j else None
    after_word = before is not None and (
        before.kind in ("name", "string") or before.text in (")", "]"))
    if t.text == "(" and after_word:
        defining = j >= 2 and toks[j - 2].text == "def" and before.kind == "name"
        return "def" if defining else "call"
    if t.text == "[" and after_word:
        return "subscript"
    return "display"


def def_sites(toks: Sequence[Token], match: dict[int, int] | None = None) -> list[DefSite]:
    """Every ``def name(...)`` whose brackets balance, with how many positional
    arguments a call passes it (a first ``self``/``cls`` is the bound object)."""
    match = matching_brackets(toks) if match is None else match
    out: list[DefSite] = []
    for i, params in _definitions(toks, match):
        fewest, most = 0, 0.0
        for k, p in enumerate(params):
            if p[0].text == "*":
                if len(p) > 1:
                    most = math.inf  # ``*args``; a bare ``*`` ends the positional ones
                break
            if p[0].text in ("**", "/"):
                continue
            if k == 0 and p[0].text in ("self", "cls"):
                continue
            most += 1
            if not any(t.text == "=" for t in p):
                fewest += 1
        out.append(DefSite(toks[i + 1].text, toks[i].start, fewest, most))
    return out


def def_mismatches(edited: Sequence[DefSite], calls: dict[str, set[int]]) -> int:
    """Functions defined on the edited lines that no call elsewhere in the file could
    reach with the arguments it passes (``def f(self, a)`` called as ``self.f(x, y)``
    everywhere)."""
    bad = 0
    for d in edited:
        if d.name.startswith("__"):
            continue  # ``__init__`` is called through its class, by another name
        counts = {n for callee, ns in calls.items()
                  if callee == d.name or callee.endswith("." + d.name) for n in ns}
        if counts and not any(d.fewest <= n <= d.most for n in counts):
            bad += 1
    return bad


def call_def_mismatches(edited: Sequence[CallSite], defs: dict[str, list[DefSite]]) -> int:
    """Calls on the edited lines that pass a number of positional arguments the one
    function of that name defined elsewhere in the file cannot take."""
    bad = 0
    for s in edited:
        name = s.callee.rsplit(".", 1)[-1]
        found = defs.get(name)
        if found and len(found) == 1 and not name.startswith("__") and (
                "." not in s.callee or s.callee.startswith("self.")) and not (
                found[0].fewest <= s.positional <= found[0].most):
            bad += 1
    return bad


def site_mismatches(edited: Sequence[CallSite], elsewhere: dict[str, set[int]]) -> int:
    """Calls on the edited lines that pass a number of positional arguments the
    callee never gets elsewhere, where every other call of it agrees on one number."""
    bad = 0
    for s in edited:
        seen = elsewhere.get(s.callee)
        if seen is not None and len(seen) == 1 and s.positional not in seen:
            bad += 1
    return bad


def format_mismatches(toks: Sequence[Token], lo: int, hi: int,
                      match: dict[int, int] | None = None) -> int:
    """``'%s: %d' % (a, b, c)`` starting within characters [lo, hi): a format string
    whose conversions the tuple after ``%`` does not fill one for one."""
    match = matching_brackets(toks) if match is None else match
    bad = 0
    for i in range(1, len(toks) - 2):
        t = toks[i]
        if not (t.text == "%" and t.kind == "op" and toks[i + 1].text == "("
                and toks[i - 1].kind == "string" and lo <= toks[i - 1].start < hi):
            continue
        if i >= 2 and toks[i - 2].kind == "string":
            continue  # implicit concatenation: the format is longer than one token
        literal = toks[i - 1].text
        if "%(" in literal or "*" in literal or i + 1 not in match:
            continue
        after = match[i + 1] + 1
        if after < len(toks) and toks[after].kind == "op" and toks[after].text in ("[", ".", "("):
            continue  # ``% (a, b)[0]``: not the tuple itself
        args = _arguments(toks, i + 1, match[i + 1])
        if args is None:
            continue
        inner = toks[i + 2 : match[i + 1]]
        if len(args) == 1 and not any(x.text == "," for x in inner):
            continue  # ``'%s' % (x)``: a parenthesised value, not a tuple
        wanted = sum(1 for m in _CONVERSION.finditer(literal) if m.group(1) != "%")
        if wanted and wanted != len(args):
            bad += 1
    return bad


def positional_after_keyword(toks: Sequence[Token], closer: int) -> tuple[int, int] | None:
    """Characters of the first positional argument after a keyword argument in the call
    whose closing bracket starts at character ``closer``.

    CPython reports "positional argument follows keyword argument" at the call's
    closing bracket; the slip (``encode==codec.encode`` typed for ``encode=...``) is
    the argument itself, and that is where a fix and the diagnostic belong.
    """
    match = matching_brackets(toks)
    opener = next((o for o, c in match.items() if toks[c].start == closer), None)
    if opener is None:
        return None
    args = _arguments(toks, opener, match[opener], star=True)
    keyword_seen = False
    for a in args or ():
        if a[0].text == "**" or (len(a) >= 2 and a[0].kind == "name" and a[1].text == "="):
            keyword_seen = True
        elif keyword_seen and a[0].text != "*":
            return a[0].start, a[-1].end
    return None
