"""Documents as per-line token segments, so an edit recounts only what it touched.

Why per line: an editor sends the whole text on every keystroke; re-tokenising and
recounting a 5,000-line file each time would cost hundreds of milliseconds. Instead we
find the changed line range by comparing old and new text (C-speed string compares),
re-tokenise just those lines (plus the next non-blank line, whose newline token encodes
the indentation change relative to them), and subtract/add the n-grams whose window
overlaps the change. Counts stay exactly the sum of the stored segments' n-grams, so
removing a document restores the model to what it was before it was added.
"""

from __future__ import annotations

from collections.abc import Callable

from tact.models import syntax
from tact.models.engine.ngram import BOS

# A region of more lines than this is simply re-tokenised as a whole document.
_MAX_REGION_LINES = 400

Segments = list[list[str]]
Counter = Callable[[list[str], int, int], None]  # (seq, start, delta)


def segment_text(text: str, language: str) -> Segments:
    """The whole text's tokens grouped by the line they belong to."""
    n_lines = text.count("\n") + 1
    tokens, lines, _ = syntax.tokenize_with_lines(text, language)
    segments: Segments = [[] for _ in range(n_lines)]
    for tok, line in zip(tokens, lines, strict=True):
        segments[min(line, n_lines - 1)].append(tok)
    return segments


def flat_with_padding(segments: Segments, order: int) -> list[str]:
    """BOS padding plus every token: the sequence whose n-grams a document counts."""
    seq = [BOS] * (order - 1)
    for seg in segments:
        seq.extend(seg)
    return seq


def _tokens_before(segments: Segments, line: int, k: int) -> list[str]:
    """The last k tokens before ``line`` (BOS-padded at the start of the file)."""
    out: list[str] = []
    i = line - 1
    while i >= 0 and len(out) < k:
        seg = segments[i]
        if seg:
            out[:0] = seg[-(k - len(out)) :]
        i -= 1
    if len(out) < k:
        out[:0] = [BOS] * (k - len(out))
    return out


def _tokens_from(segments: Segments, line: int, k: int) -> list[str]:
    """The first k tokens from ``line`` on (fewer at the end of the file)."""
    out: list[str] = []
    i = line
    n = len(segments)
    while i < n and len(out) < k:
        out.extend(segments[i][: k - len(out)])
        i += 1
    return out


def _indent_before(lines_text: str, line_start: int) -> str:
    """Indentation of the nearest non-blank line ending before offset ``line_start``."""
    end = line_start - 1
    while end > 0:
        start = lines_text.rfind("\n", 0, end) + 1
        line = lines_text[start:end]
        if line.strip():
            return line[: len(line) - len(line.lstrip(" \t"))]
        end = start - 1
    return ""


_CHUNK = 2048


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix: equal chunks first (cheap slices), then bisection
    inside the first differing chunk. Avoids copying whole texts per keystroke."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + _CHUNK] == b[i : i + _CHUNK]:
        i += _CHUNK
    if i >= n:
        return n
    lo, hi = i, min(i + _CHUNK, n)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[i:mid] == b[i:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most ``limit`` (same chunked method)."""
    la, lb = len(a), len(b)
    i = 0
    while i < limit:
        step = min(_CHUNK, limit - i)
        if a[la - i - step : la - i] != b[lb - i - step : lb - i]:
            break
        i += step
    if i >= limit:
        return limit
    lo, hi = i, min(i + _CHUNK, limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - i] == b[lb - mid : lb - i]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _continues(segment: list[str]) -> bool:
    """The line starts inside a token of an earlier line (a multi-line string): every
    other line after the first starts with its newline token."""
    return not segment or not segment[0].startswith("\n")


class Document:
    """One document's text and token segments, counted into one or more models."""

    def __init__(self, uri: str, language: str, order: int) -> None:
        self.uri = uri
        self.language = language
        self.order = order
        self.text = ""
        self.segments: Segments = [[]]

    def replace_all(self, text: str, counters: list[Counter]) -> None:
        """Count a whole new text (removing the old one's n-grams first)."""
        self.remove(counters)
        self.text = text
        self.segments = segment_text(text, self.language)
        seq = flat_with_padding(self.segments, self.order)
        for count in counters:
            count(seq, self.order - 1, +1)

    def remove(self, counters: list[Counter]) -> None:
        if any(self.segments):
            seq = flat_with_padding(self.segments, self.order)
            for count in counters:
                count(seq, self.order - 1, -1)
        self.text = ""
        self.segments = [[]]

    def update(self, text: str, counters: list[Counter]) -> None:
        """Move to a new version of the text, recounting only the changed lines."""
        old = self.text
        if text == old:
            return
        if not any(self.segments):
            self.replace_all(text, counters)
            return
        p = _common_prefix(old, text)
        q = _common_suffix(old, text, min(len(old), len(text)) - p)
        first = old.count("\n", 0, p)
        end_old = old.count("\n", 0, len(old) - q) + 1
        end_new = text.count("\n", 0, len(text) - q) + 1
        start_off = text.rfind("\n", 0, p) + 1
        line_end = text.find("\n", len(text) - q)
        line_end = len(text) if line_end < 0 else line_end
        segments = self.segments
        # Start where the token covering the change starts (a docstring's first line).
        up = 0
        while first > 0 and _continues(segments[first]) and start_off > 0 and up < 200:
            up += 1
            first -= 1
            start_off = text.rfind("\n", 0, start_off - 1) + 1
        # Extend through the lines that continue a token of the region, then through the
        # next non-blank line (its newline token is relative to our last line) and its
        # own continuation lines.
        extra = 0
        seen_code = False
        while line_end < len(text) and extra < 200 and end_old + extra < len(segments):
            cont = _continues(segments[end_old + extra])
            if seen_code and not cont:
                break
            nxt = text.find("\n", line_end + 1)
            nxt = len(text) if nxt < 0 else nxt
            seen_code = seen_code or bool(text[line_end + 1 : nxt].strip())
            line_end = nxt
            extra += 1
        end_old += extra
        end_new += extra
        if end_new - first > _MAX_REGION_LINES or end_old > len(self.segments):
            self.replace_all(text, counters)
            return
        region = text[start_off:line_end]
        new_segments = self._segment_region(region, text, start_off, first, end_new - first)
        k = self.order - 1
        before = _tokens_before(self.segments, first, k)
        after = _tokens_from(self.segments, end_old, k)
        old_region = [t for seg in self.segments[first:end_old] for t in seg]
        new_region = [t for seg in new_segments for t in seg]
        old_seq = before + old_region + after
        new_seq = before + new_region + after
        for count in counters:
            count(old_seq, k, -1)
            count(new_seq, k, +1)
        self.segments[first:end_old] = new_segments
        self.text = text

    def _segment_region(
        self, region: str, text: str, start_off: int, first: int, n_lines: int
    ) -> Segments:
        segments: Segments = [[] for _ in range(n_lines)]
        if first == 0:
            tokens, lines, _ = syntax.tokenize_with_lines(region, self.language)
            offset = 0
        else:
            indent = _indent_before(text, start_off)
            tokens, lines, _ = syntax.tokenize_with_lines(
                "\n" + region, self.language, indent=indent
            )
            offset = -1
        for tok, line in zip(tokens, lines, strict=True):
            idx = min(max(line + offset, 0), n_lines - 1)
            segments[idx].append(tok)
        return segments
