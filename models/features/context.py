"""Context features: what the document looks like around the cursor.

Computed before any suggestion exists, so stage 1 (skip generation?) can use them.
Only a bounded window around the cursor is examined (see :mod:`.window`), except for
two ``str.count`` calls that give the cursor's line in the document (C speed).
"""

from __future__ import annotations

from typing import Any

from tact.models.features import window as win
from tact.models.features.repetition import context_repetition
from tact.models.features.text import (
    bracket_balance,
    char_class,
    indent_width,
    line_kind,
)

# A few keywords after which a continuation is very likely to be wanted.
_CONTINUE_WORDS = frozenset(
    {"def", "class", "return", "import", "from", "if", "elif", "for", "while", "in",
     "not", "and", "or", "with", "as", "lambda", "yield", "await", "func", "fn", "let",
     "const", "var", "new", "raise", "throw", "case", "print"}
)


def _last_line(text: str) -> str:
    nl = text.rfind("\n")
    return text[nl + 1 :]


def _prev_nonempty_line(text: str, end: int) -> tuple[str, int]:
    """The last non-blank line ending before ``end`` and how many blank lines follow it."""
    blanks = 0
    while end > 0:
        start = text.rfind("\n", 0, end - 1) + 1
        line = text[start : end - 1] if text[end - 1] == "\n" else text[start:end]
        if line.strip():
            return line, blanks
        blanks += 1
        end = start
    return "", blanks


def _lexical_string_comment(line_before: str, window_before: str, language: str) -> tuple[int, int]:
    """(in_string, in_comment) judged from the text alone, when there is no tree."""
    in_comment = 0
    in_string = 0
    quote = ""
    i = 0
    comment_mark = "#" if language == "python" else "//"
    while i < len(line_before):
        ch = line_before[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif line_before.startswith(comment_mark, i):
            in_comment = 1
            break
        i += 1
    if quote:
        in_string = 1
    if language == "python" and (window_before.count('"""') % 2 or window_before.count("'''") % 2):
        in_string = 1
    return in_string, in_comment


def context_features(
    prefix: str,
    suffix: str,
    language: str,
    tree: Any = None,
    cursor_byte: int | None = None,
) -> dict[str, float | str]:
    """Features of the cursor's surroundings.

    ``tree`` (a tree-sitter Tree of the whole document) and ``cursor_byte`` are
    optional: when the caller keeps an up-to-date tree, the node at the cursor is read
    from it; otherwise a bounded window is parsed here (the same code path training
    uses, so the features agree).
    """
    line_no = prefix.count("\n")
    lines_after = suffix.count("\n")
    cw, parsed = win.analyze(prefix, suffix, language)
    before, after = cw.before, cw.after

    line_before = _last_line(before)
    eol = after.find("\n")
    rest_of_line = after if eol < 0 else after[:eol]
    prev_line, blanks = _prev_nonempty_line(before, len(before) - len(line_before))

    stripped_prefix = before.rstrip()
    last_nonws = stripped_prefix[-1:] if stripped_prefix else ""
    words = stripped_prefix[-40:].split()
    last_word = words[-1] if words else ""

    indent = indent_width(line_before)
    prev_indent = indent_width(prev_line)
    prev_stripped = prev_line.rstrip()
    depth, open_kind = bracket_balance(before[-600:])

    lines_in_window = before.count("\n") + 1
    ws_after = len(rest_of_line) - len(rest_of_line.lstrip())

    node = "unknown"
    window_error = 0.0
    if tree is not None and cursor_byte is not None:
        node = win.category_at_byte(tree, cursor_byte)
    elif cw.in_string:
        node = "string"
    elif parsed is not None:
        node = win.category_at_byte(parsed.tree, parsed.cursor)
    if parsed is not None:
        window_error = float(parsed.tree.root_node.has_error)
    in_string, in_comment = _lexical_string_comment(line_before, before, language)
    if node == "string":
        in_string = 1
    elif node == "comment":
        in_comment = 1

    features: dict[str, float | str] = {
        "ctx_language": language,
        "ctx_col": float(len(line_before)),
        "ctx_col_text": float(len(line_before) - indent),
        "ctx_indent": float(indent),
        "ctx_indent_delta": float(indent - prev_indent),
        "ctx_line_no": float(line_no),
        "ctx_lines_after": float(lines_after),
        "ctx_doc_frac": line_no / (line_no + lines_after + 1.0),
        "ctx_last_char": char_class(before[-1:]),
        "ctx_last_nonws_char": char_class(last_nonws),
        "ctx_line_before_empty": float(not line_before.strip()),
        "ctx_rest_of_line_empty": float(not rest_of_line.strip()),
        "ctx_next_char": char_class(after[:1]),
        "ctx_ws_after": float(ws_after),
        "ctx_rest_of_line_len": float(len(rest_of_line.strip())),
        "ctx_line_kind": line_kind(line_before),
        "ctx_prev_line_kind": line_kind(prev_line),
        "ctx_prev_line_last": char_class(prev_stripped[-1:]),
        "ctx_prev_line_len": float(len(prev_stripped)),
        "ctx_blank_lines_before": float(blanks),
        "ctx_mean_line_len": len(before) / lines_in_window,
        "ctx_bracket_depth": float(max(min(depth, 5), -5)),
        "ctx_open_bracket": open_kind,
        "ctx_last_word_kw": float(last_word in _CONTINUE_WORDS),
        "ctx_node": node,
        "ctx_in_string": float(in_string),
        "ctx_in_comment": float(in_comment),
        "ctx_window_error": window_error,
        "ctx_prefix_chars": float(len(prefix)),
    }
    features.update(context_repetition(prefix))
    return features

