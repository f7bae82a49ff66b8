"""Bounded text windows around the cursor and their tree-sitter parse.

Features must cost well under a millisecond on a 5,000-line document, so nothing here
looks further than a few thousand characters from the cursor. Parsing an arbitrary
window can be slow when it starts in the middle of a string (tree-sitter's error
recovery), so the prefix window starts at a *safe* line: one that begins at column 0
with a letter or ``@`` (a top-level statement in Python and most languages).

Parsers are not thread-safe, so each thread keeps its own (``threading.local``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

# How far the prefix window reaches back at most, and the suffix window forward.
PREFIX_WINDOW_CHARS = 800
SUFFIX_WINDOW_CHARS = 250
# How far before the window we count triple quotes to tell whether it starts in a string.
STRING_LOOKBACK_CHARS = 8000
_ANCHORS = ("\ndef ", "\nclass ", "\n    def ", "\nasync def ", "\n    async def ")

_local = threading.local()


@cache
def _language(language: str) -> Any | None:
    """The tree-sitter Language for a tact language id, or None if unsupported."""
    try:
        import tree_sitter as ts

        if language == "python":
            import tree_sitter_python as mod

            return ts.Language(mod.language())
        if language == "javascript":
            import tree_sitter_javascript as mod

            return ts.Language(mod.language())
        if language == "typescript":
            import tree_sitter_typescript as mod

            return ts.Language(mod.language_typescript())
        if language == "go":
            import tree_sitter_go as mod

            return ts.Language(mod.language())
        if language == "rust":
            import tree_sitter_rust as mod

            return ts.Language(mod.language())
    except ImportError:  # grammar missing: syntactic features fall back to "unknown"
        return None
    return None


def parser_for(language: str) -> Any | None:
    """This thread's parser for ``language`` (None when there is no grammar)."""
    parsers: dict[str, Any] = getattr(_local, "parsers", None) or {}
    _local.parsers = parsers
    if language not in parsers:
        lang = _language(language)
        if lang is None:
            parsers[language] = None
        else:
            import tree_sitter as ts

            parsers[language] = ts.Parser(lang)
    return parsers[language]


def prefix_window(prefix: str) -> tuple[str, bool]:
    """(the tail of ``prefix``, at most PREFIX_WINDOW_CHARS and starting at a line
    start outside any triple-quoted string; whether that whole tail lies inside one
    long string). Quote marks before the window are counted with C-speed str.count.
    """
    if len(prefix) <= PREFIX_WINDOW_CHARS:
        return prefix, False
    start = len(prefix) - PREFIX_WINDOW_CHARS
    tail = prefix[start:]
    # Count quote marks from a statement start before the window (a top-level or
    # method `def`/`class` line is almost never inside a docstring), not from an
    # arbitrary point that might itself be inside a string.
    lo = max(0, start - STRING_LOOKBACK_CHARS)
    anchor = max(prefix.rfind(a, lo, start) for a in _ANCHORS)
    lookback = prefix[anchor if anchor >= 0 else lo : start]
    for mark in ('"""', "'''"):
        if lookback.count(mark) % 2:
            end = tail.find(mark)
            if end < 0:  # the whole window is inside one long string
                return tail, True
            tail = tail[end + 3 :]
    nl = tail.find("\n")
    return (tail[nl + 1 :] if 0 <= nl < len(tail) - 1 else tail), False


def suffix_window(suffix: str) -> str:
    """The head of ``suffix`` (at most SUFFIX_WINDOW_CHARS), ending at a line end."""
    if len(suffix) <= SUFFIX_WINDOW_CHARS:
        return suffix
    head = suffix[:SUFFIX_WINDOW_CHARS]
    nl = head.rfind("\n")
    return head[: nl + 1] if nl > 0 else head


def _lead(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


@dataclass(frozen=True, slots=True)
class CodeWindow:
    """The text around the cursor, prepared for a cheap parse.

    ``before``/``after`` are the raw windows (for text features). ``code_before`` /
    ``code_after`` are what gets parsed: starting at a statement at the window's
    lowest indentation, dedented to column 0 and cut where the code dedents further.
    Starting a parse mid-block or mid-docstring sends tree-sitter into error recovery
    that costs milliseconds; this keeps a parse near a tenth of that.
    ``dedent`` is how many leading whitespace characters were removed per line.
    ``in_string``: the cursor is inside a triple-quoted string (nothing to parse).
    """

    before: str
    after: str
    code_before: str
    code_after: str
    dedent: int
    in_string: bool


def code_window(prefix: str, suffix: str) -> CodeWindow:
    """Bounded windows around the cursor (see :class:`CodeWindow`)."""
    before, in_string = prefix_window(prefix)
    after = suffix_window(suffix)
    if not in_string and (before.count('"""') % 2 or before.count("'''") % 2):
        in_string = True
    if in_string:
        return CodeWindow(before, after, "", "", 0, True)
    lines = before.split("\n")
    cursor_line = lines[-1]
    indents = [_lead(ln) for ln in lines[:-1] if ln.strip()]
    if cursor_line.strip():
        indents.append(_lead(cursor_line))
    m = min(indents) if indents else 0
    first = 0
    if m or len(before) < len(prefix):
        fallback = -1
        for i, ln in enumerate(lines[:-1]):
            if ln.strip() and _lead(ln) == m:
                ch = ln[m]
                if ch.isalpha() or ch in "_@":
                    first = i
                    break
                if fallback < 0:
                    fallback = i
        else:
            first = max(fallback, 0)
    kept = lines[first:]
    if m:
        kept = [ln[min(m, _lead(ln)) :] for ln in kept]
    code_before = "\n".join(kept)
    after_lines = after.split("\n")
    code_after_lines = [after_lines[0]]
    for ln in after_lines[1:]:
        if ln.strip() and _lead(ln) < m:
            break
        code_after_lines.append(ln[min(m, _lead(ln)) :] if m else ln)
    return CodeWindow(before, after, code_before, "\n".join(code_after_lines), m, False)


def dedent_insertion(text: str, dedent: int) -> str:
    """A suggestion's text dedented like the window it is inserted into (its first
    line continues the cursor line, so only later lines move)."""
    if not dedent or "\n" not in text:
        return text
    head, *rest = text.split("\n")
    return "\n".join([head, *(ln[min(dedent, _lead(ln)) :] for ln in rest)])


@dataclass(frozen=True, slots=True)
class ParsedWindow:
    """A parsed window: the tree, the cursor's byte offset in it, the source bytes."""

    tree: Any
    cursor: int
    source: bytes


def parse_window(language: str, before: str, after: str) -> ParsedWindow | None:
    """Parse ``before + after`` with the cursor between them; None without a grammar."""
    parser = parser_for(language)
    if parser is None:
        return None
    head = before.encode("utf-8", "surrogatepass")
    source = head + after.encode("utf-8", "surrogatepass")
    return ParsedWindow(parser.parse(source), len(head), source)


# Coarse syntactic categories: node type names differ between grammars, so the model
# sees a small shared vocabulary instead (first match from the innermost node out).
NODE_CATEGORIES = (
    "comment",
    "string",
    "arguments",
    "parameters",
    "import",
    "collection",
    "condition",
    "assignment",
    "call",
    "attribute",
    "definition",
    "block",
    "error",
    "top",
    "other",
    "unknown",
)


_ASSIGNMENTS = ("variable_declarator", "short_var_declaration", "let_declaration")


def node_category(node_type: str) -> str | None:
    """Map one node type to a coarse category, or None if it says nothing specific."""
    t = node_type
    if "comment" in t:
        return "comment"
    if "string" in t or t in ("template_substitution", "escape_sequence", "char_literal"):
        return "string"
    if t in ("argument_list", "arguments", "type_arguments"):
        return "arguments"
    if "parameter" in t:
        return "parameters"
    if "import" in t or t in ("use_declaration", "package_clause"):
        return "import"
    if t in (
        "list",
        "dictionary",
        "set",
        "tuple",
        "array",
        "object",
        "composite_literal",
        "literal_value",
        "array_expression",
        "tuple_expression",
        "list_comprehension",
        "dictionary_comprehension",
        "subscript",
        "subscript_expression",
        "index_expression",
    ):
        return "collection"
    if t.endswith("_statement") and t.split("_")[0] in ("if", "while", "for", "elif", "switch"):
        return "condition"
    if t in ("elif_clause", "else_clause", "if_expression", "for_in_clause", "condition"):
        return "condition"
    if "assignment" in t or t in _ASSIGNMENTS:
        return "assignment"
    if t in ("call", "call_expression", "method_invocation"):
        return "call"
    if t in ("attribute", "member_expression", "selector_expression", "field_expression"):
        return "attribute"
    if "definition" in t or "declaration" in t or t in ("function_item", "impl_item"):
        return "definition"
    if t in ("block", "statement_block", "declaration_list", "compound_statement"):
        return "block"
    if t == "ERROR":
        return "error"
    if t in ("module", "program", "source_file"):
        return "top"
    return None


def category_at(node: Any) -> str:
    """The coarse category of ``node`` or its nearest ancestor that has one."""
    depth = 0
    while node is not None and depth < 40:
        cat = node_category(node.type)
        if cat is not None:
            return cat
        node = node.parent
        depth += 1
    return "other"


def category_at_byte(tree: Any, byte: int) -> str:
    """Category of the smallest node covering the byte just before ``byte``."""
    start = max(byte - 1, 0)
    node = tree.root_node.descendant_for_byte_range(start, max(byte, start))
    return category_at(node) if node is not None else "unknown"


def analyze(prefix: str, suffix: str, language: str) -> tuple[CodeWindow, ParsedWindow | None]:
    """The code window around the cursor and its parse (None: no grammar, or the cursor
    is inside a long string). The result is kept per thread, so the suggestion
    features of the same request reuse it instead of parsing again."""
    last = getattr(_local, "last", None)
    if last is not None:
        lang, pre, suf, cw, parsed = last
        if lang == language and (pre is prefix or pre == prefix) and (
            suf is suffix or suf == suffix
        ):
            return cw, parsed
    cw = code_window(prefix, suffix)
    parsed = None if cw.in_string else parse_window(language, cw.code_before, cw.code_after)
    _local.last = (language, prefix, suffix, cw, parsed)
    return cw, parsed


def parse_with_insertion(
    language: str, cw: CodeWindow, base: ParsedWindow, text: str
) -> ParsedWindow | None:
    """The window parsed again with ``text`` inserted at the cursor (incrementally:
    tree-sitter's edit + parse with the old tree)."""
    parser = parser_for(language)
    if parser is None:
        return None
    ins = dedent_insertion(text, cw.dedent).encode("utf-8", "surrogatepass")
    c = base.cursor
    source = base.source[:c] + ins + base.source[c:]
    old = base.tree.copy()
    start_point = _point_after(cw.code_before, "")
    old.edit(
        start_byte=c,
        old_end_byte=c,
        new_end_byte=c + len(ins),
        start_point=start_point,
        old_end_point=start_point,
        new_end_point=_point_after(cw.code_before, ins.decode("utf-8", "surrogatepass")),
    )
    return ParsedWindow(parser.parse(source, old), c, source)


def _point_after(before: str, text: str) -> tuple[int, int]:
    """(row, byte column) of the end of ``before + text`` (tree-sitter Points)."""
    full = before + text
    row = full.count("\n")
    nl = full.rfind("\n")
    col = len(full[nl + 1 :].encode("utf-8", "surrogatepass"))
    return row, col
