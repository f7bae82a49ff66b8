"""Positions to string offsets without re-splitting the whole document.

pygls converts an LSP position by splitting the entire document into lines on every
call, and applies an incremental edit by rewriting it line by line: a few
milliseconds per keystroke on a 5,000-line file, paid twice per edit before any
suggestion work starts. Here a position costs one bounded ``split`` up to its line,
and an edit one string splice. Documents with line separators other than ``\\n``
(``\\r``, form feeds, Unicode line separators) take pygls's own path, so the result
always agrees with pygls.
"""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.workspace import TextDocument

# Characters str.splitlines() treats as line breaks, other than "\n".
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_ASCII_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def simple_lines(source: str) -> bool:
    """True when ``\\n`` is the document's only line separator."""
    if source.isascii():
        return not any(ch in source for ch in _ASCII_OTHER_BREAKS)
    return _OTHER_BREAKS.search(source) is None


def _simple_document(document: TextDocument) -> bool:
    """``simple_lines`` of the document's text, remembered per text (a regex over a
    large non-ASCII file costs half a millisecond, twice per keystroke otherwise)."""
    source = document.source
    cached = getattr(document, "_tact_simple", None)
    if cached is not None and cached[0] is source:
        return cached[1]
    result = simple_lines(source)
    document._tact_simple = (source, result)  # type: ignore[attr-defined]
    return result


def _column(line: str, character: int, encoding: str) -> int:
    """Code points in ``line`` covered by ``character`` client units."""
    if line.isascii() or encoding == types.PositionEncodingKind.Utf32:
        return min(character, len(line))
    units = 0
    for index, ch in enumerate(line):
        if units >= character:
            return index
        if encoding == types.PositionEncodingKind.Utf8:
            units += len(ch.encode("utf-8"))
        else:
            units += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def offset_at(document: TextDocument, position: types.Position) -> int:
    """Index into ``document.source`` of an LSP position (client units)."""
    if not _simple_document(document):
        return document.offset_at_position(position)
    return _offset(document.source, position, document.position_codec.encoding)


def _offset(source: str, position: types.Position, encoding: str) -> int:
    line = max(0, position.line)
    if line == 0:
        start = 0
    else:
        parts = source.split("\n", line)
        if len(parts) <= line:  # past the last line: the end of the document
            return len(source)
        start = len(source) - len(parts[-1])
    end = source.find("\n", start)
    text = source[start : len(source) if end < 0 else end]
    return start + _column(text, max(0, position.character), encoding)


def apply_change(
    document: TextDocument, change: types.TextDocumentContentChangeEvent
) -> tuple[int, int, str]:
    """Apply one content change; return its (start, end, text) in pre-change offsets."""
    source = document.source
    if isinstance(change, types.TextDocumentContentChangePartial):
        if _simple_document(document):
            encoding = document.position_codec.encoding
            start = _offset(source, change.range.start, encoding)
            end = max(start, _offset(source, change.range.end, encoding))
            document._source = source[:start] + change.text + source[end:]
            # Removing text cannot add a separator: only the inserted text is checked.
            document._tact_simple = (document._source, simple_lines(change.text))  # type: ignore[attr-defined]
            return start, end, change.text
        start = document.offset_at_position(change.range.start)
        end = max(start, document.offset_at_position(change.range.end))
        document.apply_change(change)
        return start, end, change.text
    document.apply_change(change)
    return 0, len(source), change.text
