"""Characters a paste brings in that Python rejects, and the ASCII each stands for.

Code copied from a web page, a document, a chat or a slide often arrives with
typographic quotes (``“x”``), no-break or zero-width spaces, en dashes for minus signs
and full-width punctuation. Python stops at the first one with "invalid character" or
"invalid non-printable character", and a one-token search cannot mend a pair of quotes.

The repair follows the compiler, one character at a time: a character is replaced
where the compiler reports it, so the same characters inside a string or a comment
(a docstring may well quote “like this”) are left as they are. An opening typographic
quote takes its closing partner on the same line with it, and a reported blank the
run of pasted blanks around it (an indentation half mended is a new error). A null
byte, which Python refuses even inside a string, is dropped, or written ``\x00``
inside a string so that the string keeps its value.
"""

from __future__ import annotations

import re
import time

from tact.server.fixes.lexer import lex
from tact.server.fixes.syntax.diagnose import CompileError, as_problem, compile_error
from tact.server.fixes.types import Fix, span_of

MAX_STEPS = 400  # characters replaced at most (one compile each)

_SPACE, _QUOTE2, _QUOTE1, _DASH = " ", '"', "'", "-"
ASCII_FOR: dict[str, str] = {
    **dict.fromkeys("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                    "\u2009\u200a\u202f\u205f\u3000", _SPACE),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\x00\u00ad", ""),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u301d\u301e", _QUOTE2),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4", _QUOTE1),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63", _DASH),
    "\u00d7": "*", "\u00f7": "/", "\u2026": "...", "\u2264": "<=", "\u2265": ">=",
    "\u2260": "!=", "\u2192": "->",
    # full-width ASCII (an East Asian input method left on): U+FF01..U+FF5E
    **{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
}
_OPENERS = {"\u201c": "\u201d\u201c\u2033", "\u201e": "\u201c\u201d",
            "\u00ab": "\u00bb", "\u301d": "\u301e",
            "\u2018": "\u2019\u2018", "\u201a": "\u2018\u2019"}
_REPORTS = re.compile(r"invalid (non-printable )?character|null bytes")


def is_typography_error(err: CompileError) -> bool:
    """Whether Python stopped at a character this module knows how to replace."""
    return _REPORTS.search(err.message) is not None


def _reported_char(text: str, err: CompileError) -> int | None:
    """Offset of the character the compiler reports (:mod:`.diagnose` places a null
    byte, which Python reports without a position)."""
    for i in (err.offset, err.offset - 1, err.offset + 1):
        if 0 <= i < len(text) and text[i] in ASCII_FOR:
            return i
    return None


def typography_fix(text: str, err: CompileError, filename: str = "<file>", *,
                   budget: float = 1.5) -> Fix | None:
    """One fix replacing every pasted character the compiler trips over (``err`` is the
    first error), or None.

    Shown only when the result compiles, or when the error left over lies past every
    replaced character (another mistake, reported on its own next).
    """
    if not is_typography_error(err):
        return None
    first = err
    chars = list(text)  # one element per original character: offsets stay valid
    changed: dict[int, str] = {}  # original offset -> the character replaced there
    deadline = time.perf_counter() + budget
    while err is not None and is_typography_error(err) and len(changed) < MAX_STEPS:
        current = "".join(chars)
        at = _reported_char(current, err)
        if at is None or time.perf_counter() > deadline:
            return None
        i = _original_offset(chars, at)
        opener = chars[i]
        if opener == "\x00" and any(t.kind == "string" and t.start <= at < t.end
                                    for t in lex(current)):
            _replace(chars, changed, i, "\\x00")  # inside a string: keep the value
            err = compile_error("".join(chars), filename)
            continue
        _replace(chars, changed, i)
        if ASCII_FOR[opener] in ("", _SPACE) and opener != "\x00":
            # the whole run of pasted blanks: an indentation half mended is another error
            for step in (-1, 1):
                j = i + step
                while 0 <= j < len(chars) and ASCII_FOR.get(chars[j], "x") in ("", _SPACE) \
                        and chars[j] not in " \t\n\x00" and j not in changed:
                    _replace(chars, changed, j)
                    j += step
        if opener in _OPENERS:  # its closing partner on the same line
            j = i + 1
            while j < len(chars) and chars[j] != "\n" and chars[j] not in _OPENERS[opener]:
                j += 1
            if j < len(chars) and chars[j] != "\n":
                _replace(chars, changed, j)
        err = compile_error("".join(chars), filename)
    if not changed or (err is not None and (
            is_typography_error(err) or err.line <= text.count("\n", 0, max(changed)))):
        return None
    return _as_fix(text, "".join(chars), changed, first, err is None)


def _original_offset(chars: list[str], offset: int) -> int:
    """The element of ``chars`` (original offsets) holding ``offset`` of its join."""
    if all(len(c) == 1 for c in chars):
        return offset
    n = 0
    for i, c in enumerate(chars):
        if n + len(c) > offset:
            return i
        n += len(c)
    return len(chars) - 1


def _replace(chars: list[str], changed: dict[int, str], i: int,
             new: str | None = None) -> None:
    changed[i] = chars[i]
    chars[i] = ASCII_FOR.get(chars[i], "") if new is None else new


def _as_fix(text: str, new: str, changed: dict[int, str], err: CompileError,
            compiles: bool) -> Fix:
    a, b = min(changed), max(changed) + 1
    replaced = new[a : b + len(new) - len(text)]
    kinds: dict[str, int] = {}
    for ch in changed.values():
        what = f"`{ch}` (U+{ord(ch):04X})" if ch.isprintable() and ch.strip() else \
            f"U+{ord(ch):04X}"
        kinds[what] = kinds.get(what, 0) + 1
    listed = ", ".join(f"{n} × {k}" if n > 1 else k for k, n in kinds.items())
    n = len(changed)
    line_no = text.count("\n", 0, a) + 1
    plural = "s" if n > 1 else ""
    title = (f"Fix syntax: remove {n} invisible character{plural} (line {line_no})"
             if not replaced.strip() and len(new) < len(text) else
             f"Fix syntax: replace {n} pasted character{plural} with ASCII (line {line_no})")
    explanation = (
        f"Python reports `SyntaxError: {err.message}` at line {err.line + 1}, column "
        f"{err.col + 1}: {listed} came from a paste or a word processor (typographic "
        "quotes, no-break or zero-width spaces, dashes, full-width forms). Replacing "
        + ("it" if n == 1 else "each one the compiler reports") + " with the ASCII it "
        "stands for makes the "
        + ("file compile" if compiles else "statement compile (later errors remain)")
        + "; the same characters inside strings and comments are left alone.")
    problem = as_problem(err)
    return Fix(span=span_of(text, a, b), new_text=replaced, fixed_source=new,
               operator="ascii for pasted characters",
               edit_size=sum(len(v) + len(ASCII_FOR.get(v, "")) for v in changed.values()),
               title=title, explanation=explanation, validated=True,
               validation="compiles" if compiles else "compiles-locally", score=0.0,
               problem=problem)
