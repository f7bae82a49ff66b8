"""The simulated programmer's acceptance rule (stated in README).

Given a shown suggestion and the text the programmer is about to type:

* **full accept** when the suggestion is exactly the upcoming text and ends at the
  end of a line (a one-line suggestion equal to the rest of the line, or several
  lines that all match). The programmer accepts (``tact.accept``) and skips past it.
* **partial accept** otherwise, when the longest common prefix of the suggestion and
  the upcoming text, cut back to a word boundary of both, is at least ``min_chars``
  (4) characters and at least half of the suggestion's first line: mostly right, so
  the programmer accepts that much word by word (``tact/didPartiallyAcceptCompletion``)
  and skips past it. A suggestion that is right only in its first few characters is
  ignored, as people do.
* otherwise the programmer ignores it and keeps typing; the server infers the rejection.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_PARTIAL_CHARS = 4


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # "full" | "partial" | "none"
    chars: int = 0  # characters of the suggestion accepted


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _inside_word(text: str, i: int) -> bool:
    return 0 < i < len(text) and _is_word(text[i - 1]) and _is_word(text[i])


def judge(suggestion: str, upcoming: str, min_chars: int = MIN_PARTIAL_CHARS) -> Verdict:
    if not suggestion.strip():
        return Verdict("none")
    if upcoming.startswith(suggestion):
        end = len(suggestion)
        if end == len(upcoming) or upcoming[end] in "\r\n":
            return Verdict("full", end)
    common = 0
    limit = min(len(suggestion), len(upcoming))
    while common < limit and suggestion[common] == upcoming[common]:
        common += 1
    # Cut back to a word boundary of both texts: word-by-word accepting never stops
    # inside an identifier or number of either.
    while common > 0 and (_inside_word(upcoming, common) or _inside_word(suggestion, common)):
        common -= 1
    first_line = len(suggestion.split("\n", 1)[0])
    if common >= min_chars and common * 2 >= first_line and suggestion[:common].strip():
        return Verdict("partial", common)
    return Verdict("none")
