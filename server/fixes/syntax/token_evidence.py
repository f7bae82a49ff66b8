"""Evidence read from tokens, for text that does not parse: which names a line
binds, in which role a name stands, idioms that copy a name across ``=``, and
continuation lines the token models cannot see.
"""

from __future__ import annotations

import functools
import keyword

from tact.server.fixes.calls import bracket_kind
from tact.server.fixes.lexer import Token, lex

BINDERS = frozenset({"def", "class", "import", "as", "for", "global", "nonlocal"})


def binds(toks: list[Token], k: int) -> bool:
    """Whether token ``k`` is a name being bound (after ``def``, ``import``, ``as``,
    ``for``... or before ``=``/``:=``). ``self.x = x`` binds no name ``x``: an attribute
    is never a binding. A cheap token scan, for text that does not parse."""
    if toks[k].kind != "name":
        return False
    prev = toks[k - 1].text if k else ""
    nxt = toks[k + 1].text if k + 1 < len(toks) else ""
    return prev in BINDERS or (nxt in ("=", ":=") and prev != ".")


def binding_indices(toks: list[Token]) -> frozenset[int]:
    """Indices of the names ``toks`` bind: those :func:`binds` finds, and the other
    names of a target list (``for name, param in``, ``key, value = item``) or of an
    import that it misses because they follow a comma. A cheap token scan, for text
    that does not parse (``for name param in`` still binds both)."""
    out = {k for k in range(len(toks)) if binds(toks, k)}
    k = 0
    depth = 0
    while k < len(toks):
        t = toks[k]
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth = max(0, depth - 1)
        if t.text == "for" and t.kind == "keyword":
            j = k + 1
            while j < len(toks) and toks[j].text not in ("in", ":") and toks[j].line == t.line:
                if _target_name(toks, j):
                    out.add(j)
                j += 1
            k = j
            continue
        if t.text == "import" and t.kind == "keyword":
            j = k + 1  # ``import linecache reprlib`` binds both words
            while j < len(toks) and toks[j].line == t.line and toks[j].text != ";":
                if toks[j].kind == "name" and toks[j - 1].text != ".":
                    out.add(j)
                j += 1
            k = j
            continue
        if t.text == "=" and t.kind == "op" and depth == 0:  # not ``f(a, key=b)``
            j = k - 1  # back over ``a, (b, c)`` on the same line
            while j >= 0 and toks[j].line == t.line and (
                    toks[j].kind == "name" or toks[j].text in (",", "(", ")", "*")):
                if _target_name(toks, j):
                    out.add(j)
                j -= 1
        k += 1
    return frozenset(out)


def _target_name(toks: list[Token], j: int) -> bool:
    """Whether token ``j`` is a bare name in a target list (no attribute, call or
    subscript of it)."""
    if toks[j].kind != "name":
        return False
    prev = toks[j - 1].text if j else ""
    nxt = toks[j + 1].text if j + 1 < len(toks) else ""
    return prev != "." and nxt not in (".", "(", "[")


def name_roles(toks: list[Token]) -> list[tuple[str, str]]:
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


def fine_role(prev: str, nxt: str) -> str:
    """A name's role from its neighbours: attribute, defined, called, an object whose
    attribute is taken, subscripted, assigned, or bare (``util .answer`` vs
    ``connection .answer``: which of two adjacent words fits where it stands)."""
    if prev == ".":
        return "attr"
    if prev in ("def", "class"):
        return prev
    return {"(": "call", ".": "obj", "[": "item", "=": "store"}.get(nxt, "bare")


def flat_continuations(src: str) -> int:
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


def mirrored(texts: list[str], j: int) -> bool:
    """Does ``texts[j]`` mirror the same name across ``=``: ``self.x = x``,
    ``x = self.x``, a keyword argument ``x=x``? (Copying a value under its own name is
    among the commonest lines of Python.)"""
    name = texts[j]
    at = functools.partial(_at, texts)
    # ``list = list(x)`` is no copy under the same name, nor is ``x = x = y`` (a stray
    # ``=`` in front of ``x = y`` read as a lost ``x``)
    plain = ("(", ".", "[", "=")
    return ((at(j + 1) == "=" and at(j + 2) == name and at(j + 3) not in plain)
            or (at(j - 1) == "=" and at(j - 2) == name and at(j + 1) not in plain)
            or (at(j + 1) == "=" and at(j + 3) == "." and at(j + 4) == name)
            or (at(j - 1) == "." and at(j - 3) == "=" and at(j - 4) == name))


def rebound(texts: list[str], j: int) -> bool:
    """Is ``texts[j]`` a name rebound from a call on itself: ``values = list(values)``,
    ``x = int(x)`` (either the target or the argument)?"""
    name = texts[j]
    at = functools.partial(_at, texts)
    return ((at(j + 1) == "=" and at(j + 3) == "(" and at(j + 4) == name)
            or (at(j - 1) == "(" and at(j - 3) == "=" and at(j - 4) == name))


def token_class(s: str) -> str:
    """``kw``, ``name``, ``num``, ``str`` or ``op``: what kind of token an edit removed
    or inserted (from its text alone)."""
    if keyword.iskeyword(s):
        return "kw"
    if s[:1].isalpha() or s[:1] == "_":
        return "name"
    if s[:1].isdigit():
        return "num"
    if s[:1] in "'\"" or s[:2].lower() in ("f'", 'f"', "r'", 'r"', "b'", 'b"'):
        return "str"
    return "op"


def one_line_trailing_commas(toks: list[Token]) -> int:
    """Commas right before the closer of a call, a ``def``'s parameters or a list of
    several items that opens and closes on one line (``f(a, b, )``, ``def f(x, ):``).

    Code written on one line almost never ends its list with a comma (97 in 726,000
    brackets of site-packages); a one-item tuple ``(x,)`` is the exception. A fix that
    turns a word into the closer (``def f(self, attrs:`` -> ``def f(self, ):``) makes
    one.
    """
    stack: list[tuple[int, int]] = []  # (index of the opener, commas inside it)
    out = 0
    for k, t in enumerate(toks):
        if t.kind != "op":
            continue
        if t.text in "([{":
            stack.append((k, 0))
        elif t.text == "," and stack:
            stack[-1] = (stack[-1][0], stack[-1][1] + 1)
        elif t.text in ")]}" and stack:
            o, commas = stack.pop()
            if toks[k - 1].text != "," or toks[o].line != t.line:
                continue
            out += commas > 1 or bracket_kind(toks, o) != "display"
    return out
