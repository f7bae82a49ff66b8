"""Every small token edit worth compiling near a syntax error.

Around the position the compiler reports: each single-token insertion, deletion and
replacement (keywords, operators, closers, the file's names and literals, the
prior's common names), openers and closers far back or ahead for bracket errors,
split words, closed strings and re-indented lines. Which of them compile, and which
is meant, is for :mod:`.search` and :mod:`.features`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from dataclasses import dataclass, field

from tact.server.fixes.calls import open_brackets
from tact.server.fixes.lexer import Token, default_prior, lex
from tact.server.fixes.syntax.diagnose import CompileError

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
# A quote placed further from the stray one turns more code into string content, which
# the token LM (paying for fewer tokens) rewards: each token swallowed beyond the nearest
# place costs this much (nats: more than the LM gains per token it no longer scores,
# about 1 to 1.2, and the group features that come with ranking first).
SWALLOW_COST = 2.0
TUPLE_COST = 2.0  # nats: a closer that makes the statement a one-element tuple
_LINE_END_COMMA = re.compile(r"[ \t]*,[ \t]*(#[^\r\n]*)?(\r?\n|$)")
BRACKET_ERROR = re.compile(r"was never closed|^unmatched '|does not match opening")
BRACKET_OR_QUOTE = frozenset("()[]{}'\"")
NAMES = 16  # identifiers tried for insertion/replacement near the error
# operators a joined word may be split by (``__str__self`` for a lost ``(``)
SPLIT_TOKENS = ("(", ".", ",", "[", ")", "=", ":", "*", "+", "-", "/", "%", "<", ">", "==")


@dataclass(slots=True)
class Candidate:
    """One edit: replace ``text[start:end]`` with ``text``; ``op`` names it for the
    explanation and the ranker, ``tok_index`` is the token it sits at."""

    start: int
    end: int
    text: str
    op: str
    tok_index: int
    bonus: float = 0.0
    text_dedents: bool = False  # an indentation edit to less than the previous line
    tags: dict[str, float] = field(default_factory=dict)  # generation-time ranking features


def _pad(text: str, before: str, after: str, new: str) -> str:
    """``new`` with a space on a side where it would otherwise join a word of the text
    (``return`` + ``x`` -> ``return x``, not the new name ``returnx``)."""
    if WORD.match(new[:1] or " ") and before[-1:] and WORD.match(before[-1:]):
        new = " " + new
    if WORD.match(new[-1:] or " ") and after[:1] and WORD.match(after[:1]):
        new = new + " "
    return new


def _indent_candidates(text: str, line_no: int) -> list[Candidate]:
    """Re-indent the error line or a neighbour to each level the file uses around it;
    ``text_dedents`` marks the dedent to the nearest enclosing level (the one an
    "unindent does not match" most often means)."""
    lines = text.split("\n")
    out: list[Candidate] = []
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
            out.append(Candidate(start, start + cur, " " * t, f"indent to {t}", -1,
                                 bonus=-0.5 * abs(t - cur) / 4,
                                 text_dedents=t in outer and abs(t - cur) == nearest))
    return out


def _back_to_indent(lines: list[str], line: int, reach: int) -> int:
    """The first line after ``line`` (within ``reach``) indented no deeper than it."""
    base = len(lines[line]) - len(lines[line].lstrip(" \t"))
    k = line + 1
    while k < len(lines) and k - line < reach and (
            not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip(" \t")) > base):
        k += 1
    return k


def error_index(toks: list[Token], err: CompileError) -> int:
    """The token at (or first after) the compiler's error position: the search's centre."""
    return next((i for i, t in enumerate(toks) if t.end > err.offset), len(toks) - 1)


def generate(text: str, toks: list[Token], err: CompileError) -> list[Candidate]:
    """Every edit worth compiling for ``err``, unfiltered and unranked (duplicates
    included: :func:`~tact.server.fixes.syntax.search.syntax_fixes` drops them)."""
    if not toks:
        return []
    e = error_index(toks, err)
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
    if m:  # the missing closer may be far after the opening bracket: up to the line that
        # comes back to the opener's indentation, where a bracket's lines end (a long
        # list closed on its own line), or eight lines on
        last_line = _back_to_indent(lines, toks[e].line, reach=60)
        last_line = max(toks[e].line + 8, last_line)
        hi2 = e
        while hi2 + 1 < len(toks) and toks[hi2 + 1].line <= last_line:
            hi2 += 1
        closers_only_until = hi2 + 1
    # the unclosed bracket opens the statement's expression: closing it before a comma
    # that ends the line (``xs = [1,\n 2],``) turns the statement into a tuple
    outermost = bool(m) and next(open_brackets(toks, e - 1, reach=40), None) is None
    out: list[Candidate] = []
    m2 = re.search(r"unmatched '([)\]}])'", msg)
    if m2:  # the lost opener may be far before the unmatched closer, in the same statement
        opener = {v: k for k, v in CLOSER.items()}[m2.group(1)]
        first = e
        while first > 0 and e - first < 40 and toks[first - 1].line >= toks[e].line - 3:
            first -= 1
        for i in range(first, lo):
            t = toks[i]
            out.append(Candidate(t.start, t.start, _pad(text, text[: t.start], text[t.start :],
                                                        opener), f"insert {opener!r}", i))
            out.append(Candidate(t.start, t.end, _pad(text, text[: t.start], text[t.end :], opener),
                                 f"replace {t.text!r} with {opener!r}", i))
            if t.kind == "op" and t.text in ")]}":
                # or an earlier closer is the stray one (``f(a) )b`` for ``f(a) and b``)
                gap = " " if (t.start > 0 and t.end < len(text) and WORD.match(text[t.start - 1])
                              and WORD.match(text[t.end])) else ""
                out.append(Candidate(t.start, t.end, gap, f"delete {t.text!r}", i))
                for r in INSERT_TOKENS:
                    if r != t.text:
                        out.append(Candidate(t.start, t.end,
                                             _pad(text, text[: t.start], text[t.end :], r),
                                             f"replace {t.text!r} with {r!r}", i))
    # an opener still open at the error (within 40 tokens and three lines) may have
    # lost its closer far before it (``callable(f or callable(g(x)):``, reported at ``:``)
    # (or on the line the compiler names: ``')' does not match '[' on line 11``)
    m3 = re.search(r"does not match opening parenthesis '.' on line (\d+)", msg)
    first_line = min(toks[e].line - 3, int(m3.group(1)) - 1 if m3 else toks[e].line)
    for j in itertools.takewhile(lambda j: toks[j].line >= first_line,
                                 open_brackets(toks, e - 1, reach=40)):
        closer = CLOSER[toks[j].text]
        for i in range(j + 1, lo):
            off = toks[i - 1].end
            out.append(Candidate(off, off, _pad(text, text[:off], text[off:], closer),
                                 f"insert {closer!r}", i))
    out.extend(_split_candidates(toks, lo, hi, e))
    out.extend(_glued_number_candidates(text, toks, lo, hi, msg))
    names: list[str] = []
    # candidate names: nearest first, then the rest of the file (bounded)
    near = sorted(range(len(toks)), key=lambda k: abs(k - e))
    for k in near[:400]:
        t = toks[k]
        if t.kind == "name" and t.text not in names:
            names.append(t.text)
    pick = _NamePicker(toks, names, err.line)
    literals = _file_literals(toks, e)
    # an unterminated string (or an f-string with an open field) holds what the programmer
    # typed: it is closed (below), never dropped, and no other word is turned into a string
    open_string = None
    if "unterminated" in msg:
        open_string = next((t for t in toks if t.kind == "string"
                            and t.start <= err.offset < t.end), None)
    elif msg.startswith("f-string"):  # reported at or just after the f-string
        open_string = next((t for t in reversed(toks) if t.kind == "string"
                            and t.start <= err.offset and _is_fstring(t.text)), None)
    if open_string is not None:
        insert_tokens = [x for x in INSERT_TOKENS if x not in ("'", '"')]
        literals = [x for x in literals if x != open_string.text]
    else:
        insert_tokens = INSERT_TOKENS
    # insertions
    for i in range(lo, (closers_only_until or hi) + 1):
        offsets = set()
        if i > 0:
            offsets.add(toks[i - 1].end)
        if i < len(toks):
            offsets.add(toks[i].start)
            ls = text.rfind("\n", 0, toks[i].start) + 1
            if not text[ls : toks[i].start].strip():
                # a missing first word (``return``, ``def``...) left its one space
                # behind: insert at an indentation level the file uses (a line pushed
                # in further is a matter of indentation, not ``return    x``)
                cur = toks[i].start - ls
                offsets.update(ls + w for w in levels if w == cur - 1)
        elif i == len(toks):
            offsets.add(len(text.rstrip()))
        far = i > hi
        vocab = [CLOSER[m.group(1)]] if far and m else insert_tokens
        for off in offsets:
            for tok in vocab:
                new = _pad(text, text[:off], text[off:], tok)
                bonus = -TUPLE_COST if m and tok == CLOSER[m.group(1)] and outermost and (
                    _LINE_END_COMMA.match(text, off)) else 0.0
                out.append(Candidate(off, off, new, f"insert {tok!r}", i, bonus=bonus))
            if not far and abs(i - e) <= 3:
                for name in _global_names(toks, i, i, names):
                    new = _pad(text, text[:off], text[off:], name)
                    out.append(Candidate(off, off, new, "insert name", i,
                                         tags={"global_name": 1.0}))
                for name, ns in pick.best(i - 1, i):
                    new = _pad(text, text[:off], text[off:], name)
                    out.append(Candidate(off, off, new, "insert name", i,
                                         tags={"file_name": 1.0, "name_ns": ns}))
                for lit in literals:
                    new = _pad(text, text[:off], text[off:], lit)
                    out.append(Candidate(off, off, new, "insert literal", i,
                                         tags={"file_literal": 1.0}))
    # deletions and replacements
    for i in range(lo, closers_only_until or hi):
        t = toks[i]
        if t is open_string:
            continue
        end = t.end
        line_start = text.rfind("\n", 0, t.start) + 1
        if not text[line_start : t.start].strip():  # first on its line: take the space too
            while end < len(text) and text[end] in " \t":
                end += 1
        # between two words a deletion keeps them apart (``quote(str`` -> ``quote str``,
        # not the new name ``quotestr``)
        gap = " " if (t.start > 0 and end < len(text) and WORD.match(text[t.start - 1])
                      and WORD.match(text[end])) else ""
        out.append(Candidate(t.start, end, gap, f"delete {t.text!r}", i))
        repl = CONFUSIONS.get(t.text, [])
        near_e = abs(i - e) <= 3
        named: list[tuple[str, dict[str, float]]] = []
        if near_e:
            named = [(x, {"file_name": 1.0, "name_ns": ns}) for x, ns in pick.best(i - 1, i + 1)]
            named += [(x, {"global_name": 1.0}) for x in _global_names(toks, i, i + 1, names)]
            named += [(x, {"file_literal": 1.0}) for x in literals]
        for r, tags in [(x, {}) for x in insert_tokens] + named:
            if r == t.text:
                continue
            new = _pad(text, text[: t.start], text[t.end :], r)
            tags = {**tags, "confusion": 1.0} if r in repl else tags
            out.append(Candidate(t.start, t.end, new, f"replace {t.text!r} with {r!r}", i,
                                 tags=tags))
    # unterminated strings: close the quote at line end or before a closing bracket
    if "unterminated" in msg or "EOL" in msg:
        s = next((t for t in toks if t.start <= err.offset < t.end and t.kind == "string"), None)
        if s is None:
            s = next((t for t in toks[lo:hi] if t.kind == "string"), None)
        if s is not None:
            q = opening_quote(s.text)[:1] * (3 if "triple" in msg else 1)
            body_end = s.end
            line_end = text.find("\n", s.start)
            body_end = line_end if line_end != -1 and "triple" not in msg else body_end
            if text[body_end - 1 : body_end] == "\r":  # a CRLF line ends before its \r
                body_end -= 1
            if "triple" in msg:
                out.extend(_close_docstring(text, s, q, e))
            else:
                # its closing quote lost: close it at the line's end or before a closer,
                # comma, colon, `` % `` or `` + ``, the nearest first (a string seldom
                # swallows the code after it)
                closes = [k for k in range(s.start + 1, body_end + 1) if k == body_end
                          or text[k] in ")]},:" or text[k : k + 3] in (" % ", " + ")]
                # the open string is one token: lex once what it would swallow
                inside = [closes[0] + t.start for t in lex(text[closes[0] : body_end])]
                for k in closes:
                    out.append(Candidate(k, k, q, f"insert {q!r}", e,
                                         bonus=_swallowed(bisect.bisect_left(inside, k))))
            # or its opening quote lost (``f(name', x)``): the quote closes a string that
            # began after an operator, a bracket or a keyword earlier on the line
            k = next((j for j, t in enumerate(toks) if t is s), e)
            opens = [toks[j] for j in range(k - 1, max(0, k - 12), -1)
                     if toks[j].line == s.line == toks[j - 1].line
                     and (toks[j - 1].kind == "keyword" or (
                         toks[j - 1].kind == "op" and toks[j - 1].text not in ").]}"))]
            for t in opens:  # each earlier place swallows more of the line
                out.append(Candidate(t.start, t.start, q, f"insert {q!r}", e,
                                     bonus=_swallowed(_tokens_between(toks, t, opens[0]))))
    if msg.startswith("f-string: expecting '}'") and open_string is not None:
        s = open_string  # ``f"{name"``: close the field before the closing quote
        q = opening_quote(s.text)
        out.append(Candidate(s.end - len(q), s.end - len(q), "}", "insert '}'", e, bonus=1.0))
    if "indent" in msg or toks[e].line == err.line:
        out.extend(_indent_candidates(text, err.line))
    return out


# A line of code, not of prose: a block header ending in ``:``, a simple statement's
# keyword, an assignment or a call standing alone.
_CODE_LINE = re.compile(
    r"\s*((async\s+)?(if|elif|while|for|def|class|with|try|else|except|finally)\b.*:\s*(#.*)?"
    r"|(return|raise|yield|assert|del|import|pass|break|continue|global|nonlocal)\b.*"
    r"|from\s+\S+\s+import\b.*|@\w.*"
    r"|[A-Za-z_][\w.]*(\[[^\]]*\])?\s*([-+*/%&|^]|//|\*\*)?=[^=].*"
    r"|[A-Za-z_][\w.]*\(.*\)\s*)$")


def prefix_length(text: str) -> int:
    """How many characters of a string token come before its opening quote (``f``,
    ``rb``...)."""
    return len(text) - len(text.lstrip("rRbBuUfF"))


def opening_quote(text: str) -> str:
    """The quote a string token opens with (``'``, ``\"``, or a triple one), after its
    prefix."""
    body = text[prefix_length(text) :]
    return body[:3] if body[:3] in ('"""', "'''") else body[:1]


def _is_fstring(text: str) -> bool:
    return "f" in text[: prefix_length(text)].lower()


def _close_docstring(text: str, s: Token, q: str, e: int) -> list[Candidate]:
    """Where an unclosed triple-quoted string (a docstring being written) ends: at the
    end of the line before its first line of code (``return x``, ``def g():``), which
    the string now swallows to the end of the file. Closing at the file's end instead
    compiles too, and a token LM even prefers it."""
    out: list[Candidate] = []
    first: int | None = None
    pos = text.find("\n", s.start)
    while pos != -1:
        nxt = text.find("\n", pos + 1)
        if _CODE_LINE.match(text, pos + 1, len(text) if nxt == -1 else nxt):
            first = pos - (text[pos - 1 : pos] == "\r")  # the end of the line before
            out.append(Candidate(first, first, q, f"insert {q!r}", e, bonus=1.0))
            break
        pos = nxt
    end = len(text.rstrip())
    out.append(Candidate(end, end, q, f"insert {q!r}", e, bonus=1.0 if first is None else
                         _swallowed(len(lex(text[first:end])))))
    return out


def _swallowed(tokens: int) -> float:
    """The bonus of a quote whose string swallows ``tokens`` code tokens more than the
    nearest place would: 1 for the nearest, less by SWALLOW_COST for each token more."""
    return 1.0 - SWALLOW_COST * tokens


def _tokens_between(toks: list[Token], a: Token, b: Token) -> int:
    return sum(1 for t in toks if a.start <= t.start < b.start)


def may_balance(message: str, removed: str, inserted: str) -> bool:
    """False when the compiler reports an unbalanced bracket and an edit replacing
    ``removed`` with ``inserted`` touches no bracket or quote: the brackets stay
    unbalanced, so the edit cannot compile and is not worth compiling."""
    if BRACKET_ERROR.search(message) is None:
        return True
    return bool(BRACKET_OR_QUOTE.intersection(removed + inserted))


def _split_candidates(toks: list[Token], lo: int, hi: int, e: int) -> list[Candidate]:
    """A lost operator between two names leaves one unknown word (``__str__self`` for
    ``__str__(self``, ``selfname`` for ``self.name``): split a name near the error that
    the file uses nowhere else into two the file (or the prior's common names) knows."""
    counts: dict[str, int] = {}
    for t in toks:
        if t.kind == "name":
            counts[t.text] = counts.get(t.text, 0) + 1
    common = default_prior().common
    out: list[Candidate] = []
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
                out.append(Candidate(t.start + k, t.start + k, op, f"insert {op!r}", i))
    return out


def _glued_number_candidates(text: str, toks: list[Token], lo: int, hi: int, msg: str
                              ) -> list[Candidate]:
    """A lost token between a number and a name leaves them glued, one token no
    token-level edit can split: a closer lost between an index and an attribute
    (``args[0].x`` -> ``args[0.x``: offer the closer before the dot), or an operator
    lost with no space around it (``b[0:n]`` -> ``b[0n]``, "invalid decimal literal":
    offer each operator that splits two words between the digits and the name)."""
    out: list[Candidate] = []
    decimal = "invalid decimal literal" in msg
    for i in range(max(0, lo), min(hi, len(toks))):
        t = toks[i]
        if t.kind != "number":
            continue
        m = _GLUED_NUMBER.match(text, t.start)
        if m:
            for closer in ("]", ")"):
                out.append(Candidate(m.end(), m.end(), closer, f"insert {closer!r}", i))
        m = _DIGITS_THEN_NAME.match(text, t.start) if decimal else None
        if m:
            for op in SPLIT_TOKENS:
                out.append(Candidate(m.end(), m.end(), op, f"insert {op!r}", i))
    return out


_GLUED_NUMBER = re.compile(r"\d+(?=\.[A-Za-z_])")
_DIGITS_THEN_NAME = re.compile(r"\d+(?=[A-Za-z_])")


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
        """The ``n`` likeliest names between tokens ``left`` and ``right``, each with its
        score minus the mean of the ``n`` (the ranker's ``name_ns``: relative, since
        the raw evidence grows with the size of the file)."""
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
