"""The fast position/edit path agrees with pygls on every kind of document, for
positions inside the document (beyond a line's end pygls counts the newline too,
where LSP says to clamp to the line's length; ours clamps)."""

from __future__ import annotations

import random

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec
from tact.server.lsp.offsets import apply_change, offset_at, simple_lines

DOCS = [
    "",
    "x = 1\n",
    "def f():\n    return 'héllo'\n\n",
    "emoji = '😋'  # wide\nnext = 2\nlast",
    "crlf = 1\r\nsecond = 2\r\n",
    "form\x0cfeed\nline\u2028sep\n",
]


def doc(text: str, encoding: types.PositionEncodingKind = types.PositionEncodingKind.Utf16):
    return TextDocument("file:///t.py", text, position_codec=PositionCodec(encoding))


def units(text: str, encoding: types.PositionEncodingKind) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def valid_positions(text: str, encoding: types.PositionEncodingKind) -> list[types.Position]:
    out = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n")):
        for i in range(len(line) + 1):
            out.append(types.Position(line=number, character=units(line[:i], encoding)))
    return out


def test_offsets_match_pygls() -> None:
    for text in DOCS:
        if not simple_lines(text):
            continue  # those take pygls's own path
        for encoding in types.PositionEncodingKind:
            d = doc(text, encoding)
            for pos in valid_positions(text, encoding):
                expected = d.offset_at_position(
                    types.Position(line=pos.line, character=pos.character)
                )
                assert offset_at(d, pos) == expected, (text, encoding, pos)


def test_edits_match_pygls() -> None:
    rng = random.Random(4)
    for text in DOCS:
        if not text:
            continue
        fast, slow = doc(text), doc(text)
        for _ in range(40):
            spots = valid_positions(fast.source, types.PositionEncodingKind.Utf16)
            a, b = sorted(
                rng.sample(spots, 2) if len(spots) > 1 else spots * 2,
                key=lambda p: (p.line, p.character),
            )
            new_text = rng.choice(["", "z", "ab\n", "😋", "\n    "])
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start=a, end=b), text=new_text
            )
            start, end, inserted = apply_change(fast, change)
            assert start <= end and inserted == new_text
            slow.apply_change(change)
            assert fast.source == slow.source, (text, change)


def test_simple_lines() -> None:
    assert simple_lines("a\nb") and simple_lines("é\n😋")
    assert not simple_lines("a\r\nb") and not simple_lines("a\u2028b")
