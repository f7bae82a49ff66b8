"""Stage 0: what the provider and the gate see of the document at the cursor.

The request carries a bounded window (``PREFIX_CHARS`` before and ``SUFFIX_CHARS``
after the cursor, the prefix starting at a line start) so a 5,000-line file costs the
same as a 50-line one; the engine learns the whole document separately through
``update_document``. Document-level facts (line number, size) are kept on the
context so features do not depend on the window.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urlparse

from tact.models.engine.provider import CompletionRequest

PREFIX_CHARS = 6000
SUFFIX_CHARS = 1500
# Documents larger than this (characters) or containing NUL bytes get no suggestions.
MAX_DOCUMENT_CHARS = 2_000_000

# LSP languageId -> tact language.
LANGUAGE_IDS = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "typescript",
    "go": "go",
    "rust": "rust",
}
EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
}


def language_of(language_id: str | None, uri: str) -> str | None:
    """The tact language of a document, from its languageId or else its extension."""
    if language_id and language_id in LANGUAGE_IDS:
        return LANGUAGE_IDS[language_id]
    ext = posixpath.splitext(urlparse(uri).path)[1].lower()
    return EXTENSIONS.get(ext)


def unsuitable(text: str) -> str | None:
    """Why a document gets no suggestions (too large, binary), or None if it is fine."""
    if len(text) > MAX_DOCUMENT_CHARS:
        return f"{len(text):,} characters is over the {MAX_DOCUMENT_CHARS:,} limit"
    if "\x00" in text:
        return "it looks binary (contains NUL characters)"
    return None


@dataclass(frozen=True, slots=True)
class Context:
    request: CompletionRequest
    offset: int  # cursor, as an index into the document text
    line: int  # zero-based line of the cursor
    line_prefix: str  # text on the cursor's line before the cursor
    line_suffix: str  # text on the cursor's line after the cursor
    line_above: str
    line_below: str
    document_chars: int
    document_lines: int

    @property
    def language(self) -> str:
        return self.request.language


def build_context(text: str, offset: int, uri: str, language: str, max_lines: int) -> Context:
    """The bounded view of ``text`` around ``offset`` (an index into ``text``)."""
    offset = max(0, min(offset, len(text)))
    start = max(0, offset - PREFIX_CHARS)
    if start > 0:  # begin the window at a line start so indentation is intact
        newline = text.find("\n", start, offset)
        start = newline + 1 if newline >= 0 else start
    prefix = text[start:offset]
    suffix = text[offset : offset + SUFFIX_CHARS]

    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    above_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1 if line_start > 0 else 0
    line_above = text[above_start : line_start - 1] if line_start > 0 else ""
    if line_end < len(text):
        below_end = text.find("\n", line_end + 1)
        line_below = text[line_end + 1 : len(text) if below_end < 0 else below_end]
    else:
        line_below = ""
    request = CompletionRequest(
        uri=uri, language=language, prefix=prefix, suffix=suffix, max_lines=max_lines
    )
    return Context(
        request=request,
        offset=offset,
        line=text.count("\n", 0, offset),
        line_prefix=text[line_start:offset],
        line_suffix=text[offset:line_end],
        line_above=line_above,
        line_below=line_below,
        document_chars=len(text),
        document_lines=text.count("\n") + 1,
    )
