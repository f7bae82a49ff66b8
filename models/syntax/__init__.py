"""tact.models.syntax: tree-sitter helpers shared by the engine, features and fixes.

Why one module: the completion engine tokenises with these grammars, the gate's
features ask "where is the cursor" and "does the suggestion parse", and the fixer asks
"where are the syntax errors". Keeping parsing in one place means one set of grammar
quirks to know, one per-thread parser cache, and one token representation.

Byte offsets and columns are tree-sitter's: UTF-8 bytes, not characters. Callers that
speak LSP (UTF-16 columns) convert at their edge.

The token representation (see ``tokenize``) is what the n-gram engine learns from; it
round-trips exactly through ``detokenize``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import cache
from sys import intern

import tree_sitter

SUPPORTED_LANGUAGES: tuple[str, ...] = ("python", "javascript", "typescript", "tsx", "go", "rust")

# LSP languageId -> tact language. Editors send "javascriptreact"/"typescriptreact" for
# JSX/TSX; tree-sitter-javascript parses JSX itself, TSX needs its own grammar.
_LANGUAGE_IDS: dict[str, str] = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "jsx": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "tsx": "tsx",
    "go": "go",
    "rust": "rust",
}

_EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
}

# Nodes kept whole as one token: their inside is prose or data, not code, and splitting
# it would flood the n-gram model with one-off words.
_ATOMIC: dict[str, frozenset[str]] = {
    "python": frozenset({"string", "comment"}),
    "javascript": frozenset({"string", "template_string", "regex", "comment"}),
    "typescript": frozenset({"string", "template_string", "regex", "comment"}),
    "tsx": frozenset({"string", "template_string", "regex", "comment"}),
    "go": frozenset(
        {"interpreted_string_literal", "raw_string_literal", "rune_literal", "comment"}
    ),
    "rust": frozenset(
        {"string_literal", "raw_string_literal", "char_literal", "line_comment", "block_comment"}
    ),
}

# Markers that follow "\n" in a newline token (see ``tokenize``).
NL_SAME = "\n"
NL_INDENT = "\n>"
NL_DEDENT = "\n<"
NL_ABSOLUTE = "\n|"
NL_BLANK = "\n_"


def language_for(language_id: str | None, uri: str = "") -> str | None:
    """The tact language for an LSP languageId, else from the file extension; None if
    unsupported (callers then simply offer nothing)."""
    if language_id:
        found = _LANGUAGE_IDS.get(language_id.lower())
        if found:
            return found
    if uri:
        path = uri.split("?", 1)[0].split("#", 1)[0]
        return _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    return None


@cache
def get_language(language: str) -> tree_sitter.Language:
    """The compiled grammar for a tact language (loaded once per process)."""
    if language == "python":
        import tree_sitter_python as mod

        return tree_sitter.Language(mod.language())
    if language == "javascript":
        import tree_sitter_javascript as mod

        return tree_sitter.Language(mod.language())
    if language in ("typescript", "tsx"):
        import tree_sitter_typescript as mod

        fn = mod.language_typescript if language == "typescript" else mod.language_tsx
        return tree_sitter.Language(fn())
    if language == "go":
        import tree_sitter_go as mod

        return tree_sitter.Language(mod.language())
    if language == "rust":
        import tree_sitter_rust as mod

        return tree_sitter.Language(mod.language())
    raise ValueError(f"unsupported language: {language!r} (supported: {SUPPORTED_LANGUAGES})")


_local = threading.local()


def _parser(language: str) -> tree_sitter.Parser:
    """A Parser per thread and language: parsers are not thread-safe, and creating one
    per call costs more than small parses do."""
    cache = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    parser = cache.get(language)
    if parser is None:
        parser = cache[language] = tree_sitter.Parser(get_language(language))
    return parser


def _to_bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")


def parse(text: str | bytes, language: str) -> tree_sitter.Tree:
    """Parse a whole text (str is encoded as UTF-8)."""
    return _parser(language).parse(_to_bytes(text))


def node_type_at(tree: tree_sitter.Tree, byte_offset: int) -> str:
    """Type of the smallest named node at the cursor.

    At a token boundary the cursor touches two tokens; for a cursor right after a token
    (the usual completion point) the token just typed is the informative one, so the
    byte before the cursor decides when it belongs to a token (for an anonymous token
    such as "(" its nearest named ancestor, e.g. "argument_list"); after whitespace the
    node spanning the cursor does.
    """
    node = _node_at(tree, byte_offset)
    return node.type if node is not None else ""


def _node_at(tree: tree_sitter.Tree, byte_offset: int) -> tree_sitter.Node | None:
    root = tree.root_node
    off = max(0, min(byte_offset, root.end_byte))
    if off > 0:
        leaf = root.descendant_for_byte_range(off - 1, off)
        if (
            leaf is not None
            and leaf.child_count == 0
            and leaf.start_byte <= off - 1
            and leaf.end_byte >= off
        ):
            while leaf is not None and not leaf.is_named:
                leaf = leaf.parent
            if leaf is not None:
                return leaf
    return root.named_descendant_for_byte_range(off, off)


def enclosing_node_types(tree: tree_sitter.Tree, byte_offset: int, limit: int = 6) -> list[str]:
    """Named node types around the cursor, innermost first (e.g. ["string",
    "argument_list", "call", "expression_statement", "block", ...])."""
    out: list[str] = []
    node = _node_at(tree, byte_offset)
    while node is not None and len(out) < limit:
        if node.is_named:
            out.append(node.type)
        node = node.parent
    return out


def error_ranges(
    tree: tree_sitter.Tree,
) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    """Syntax errors as ((row, col), (row, col), kind), kind "ERROR" or "MISSING <type>".

    Outermost ERROR nodes only (their insides are noise); MISSING nodes anywhere.
    Columns are UTF-8 byte columns.
    """
    out: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            out.append((tuple(node.start_point), tuple(node.end_point), f"MISSING {node.type}"))
            continue
        if node.is_error:
            out.append((tuple(node.start_point), tuple(node.end_point), "ERROR"))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    out.sort()
    return out  # type: ignore[return-value]


def _error_spans(tree: tree_sitter.Tree) -> list[tuple[int, int, str]]:
    """(start_byte, end_byte, kind) of outermost ERROR nodes and all MISSING nodes."""
    out: list[tuple[int, int, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            out.append((node.start_byte, node.end_byte, "MISSING " + node.type))
        elif node.is_error:
            out.append((node.start_byte, node.end_byte, "ERROR"))
        elif node.has_error:
            stack.extend(node.children)
    return out


def has_error(text: str | bytes, language: str) -> bool:
    """Whether the text has any syntax error (ERROR or MISSING node)."""
    return parse(text, language).root_node.has_error


def _window(prefix: str, suffix: str, lines: int, max_chars: int) -> tuple[str, str]:
    """The last ``lines`` lines of prefix and first ``lines`` of suffix, char-bounded."""
    start = len(prefix)
    for _ in range(lines):
        start = prefix.rfind("\n", 0, start)
        if start < 0:
            start = 0
            break
    start = max(start, len(prefix) - max_chars)
    end = -1
    for _ in range(lines):
        end = suffix.find("\n", end + 1)
        if end < 0:
            end = len(suffix)
            break
    end = min(max(end, 0), max_chars)
    return prefix[start:], suffix[:end]


def parses_in_place(
    prefix: str,
    insertion: str,
    suffix: str,
    language: str,
    window_lines: int = 60,
) -> bool:
    """True when inserting the suggestion adds no syntax-error nodes compared with the
    document without it (errors the programmer already has do not count against it:
    an error node of the edited text counts as new unless the same node, with
    positions mapped back across the insertion, exists without it). Errors that only
    say "the document ends too early" are excused when the document was unfinished
    anyway, and no bracket in the suggestion may close what is not open.

    Big documents are cut to ``window_lines`` lines around the cursor: the question is
    local, and parsing 5,000 lines twice per suggestion would cost milliseconds.
    """
    before, after = _window(prefix, suffix, window_lines, 8000)
    without_text = _to_bytes(before + after)
    without_spans = _error_spans(parse(without_text, language))
    without = set(without_spans)
    b0 = len(_to_bytes(before))
    n = len(_to_bytes(insertion))
    if not n:
        return True

    def back(pos: int) -> int:
        """Map a byte position of the text with the insertion onto the text without."""
        return pos if pos <= b0 else (pos - n if pos >= b0 + n else b0)

    with_text = _to_bytes(before + insertion + after)
    tree = parse(with_text, language)
    # The document being typed is unfinished: errors at its very end ("missing }" when
    # the block is still open) are not the suggestion's fault if the document was
    # unfinished before it too, or if the suggestion ends by opening something.
    unfinished_before = any(e >= len(without_text.rstrip()) for _, e, _ in without_spans)
    code = insertion.rstrip()
    opens = code.endswith((":", "{", "(", "[", ",", "=>", "=")) or code.endswith(" ")
    eof = len(with_text.rstrip())
    for start, end, kind in _error_spans(tree):
        if (back(start), back(end), kind) in without:
            continue
        if end >= eof and (unfinished_before or opens):
            continue
        return False
    return _brackets_fit(tree, language, b0, b0 + n)


_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())


def _brackets_fit(tree: tree_sitter.Tree, language: str, start: int, end: int) -> bool:
    """No bracket inside [start, end) closes something that is not open.

    Error recovery often swallows an extra ")" into an ERROR node that already existed
    (Python marks the whole unfinished statement), so error nodes alone miss it.
    """
    stack: list[str] = []
    text = tree.root_node.text or b""
    for s, e in _leaves(tree, language):
        if s >= end:
            break
        tok = text[s:e].decode("utf-8", "surrogatepass")
        if tok in _OPENERS:
            stack.append(_OPENERS[tok])
        elif tok in _CLOSERS:
            if stack and stack[-1] == tok:
                stack.pop()
            elif s >= start:
                return False
            else:
                stack.clear()  # the window began inside a bracket: forget the past
    return True


# --------------------------------------------------------------------------- tokens


def _leaves(tree: tree_sitter.Tree, language: str) -> Iterator[tuple[int, int]]:
    """(start_byte, end_byte) of each leaf token in order; atomic nodes (strings,
    comments) count as one leaf; zero-width (MISSING) leaves are skipped."""
    atomic = _ATOMIC.get(language, frozenset())
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node.child_count == 0 or node.type in atomic:
            if node.end_byte > node.start_byte:
                yield node.start_byte, node.end_byte
            descend = False
        else:
            descend = True
        if descend and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def newline_token(indent: str, current: str) -> str:
    """The token for a line break into a line indented by ``indent`` when the current
    indentation is ``current``: relative, so "block opens" looks the same at any depth."""
    if indent == current:
        return NL_SAME
    if indent.startswith(current):
        return NL_INDENT + indent[len(current) :]
    if current.startswith(indent):
        return NL_DEDENT + str(len(current) - len(indent))
    return NL_ABSOLUTE + indent


def apply_newline(token: str, current: str) -> tuple[str, str]:
    """(text, new current indentation) for a newline token."""
    if token == NL_SAME:
        return "\n" + current, current
    marker, rest = token[:2], token[2:]
    if marker == NL_BLANK:
        return "\n" + rest, current
    if marker == NL_INDENT:
        new = current + rest
    elif marker == NL_DEDENT:
        n = int(rest)
        new = current[: len(current) - n] if n else current
    elif marker == NL_ABSOLUTE:
        new = rest
    else:  # pragma: no cover - a literal that starts with a newline never happens
        return token, current
    return "\n" + new, new


def is_newline_token(token: str) -> bool:
    return token.startswith("\n")


def tokenize_with_lines(
    text: str,
    language: str,
    *,
    indent: str | None = None,
    line_offset: int = 0,
    tree: tree_sitter.Tree | None = None,
) -> tuple[list[str], list[int], str]:
    """Tokens, the line each token belongs to, and the indentation current at the end.

    ``indent`` is the indentation current before the text (for fragments); None means
    the text starts at a line start and its first line's indentation becomes current.
    A newline token belongs to the line it leads into. ``tree``: the text's parse tree
    when the caller already has it.
    """
    data = _to_bytes(text)
    if tree is None:
        tree = parse(data, language)
    tokens: list[str] = []
    lines: list[int] = []
    line = line_offset
    current = indent
    pos = 0

    def emit_gap(gap: str, next_tok: str | None) -> str | None:
        """Emit tokens for inter-token text; return the pending same-line prefix."""
        nonlocal line, current
        parts = gap.split("\n")
        if len(parts) == 1:
            if current is None:
                current = _indent_of(gap)
            return gap
        if parts[0]:
            tokens.append(parts[0])  # trailing whitespace / stray text on the line
            lines.append(line)
        if current is None:
            current = ""
        for blank in parts[1:-1]:
            line += 1
            tokens.append(intern(NL_BLANK + blank))
            lines.append(line)
        line += 1
        last = parts[-1]
        ind = _indent_of(last)
        tokens.append(intern(newline_token(ind, current)))
        lines.append(line)
        current = ind
        return last[len(ind) :]

    for start, end in _leaves(tree, language):
        if start < pos:
            continue
        tok = data[start:end].decode("utf-8", "surrogatepass")
        if not tok.strip():
            continue  # whitespace-only leaves (e.g. Go's "\n" terminator) are gaps
        gap = data[pos:start].decode("utf-8", "surrogatepass")
        pending = emit_gap(gap, tok) if gap else ("" if current is not None else None)
        if current is None:
            current = ""
        # Interned: the n-gram tables hold millions of references to a few thousand
        # distinct tokens; one object per distinct token saves most of their memory.
        tokens.append(intern((pending or "") + tok))
        lines.append(line)
        line += tok.count("\n")
        pos = end
    if pos < len(data):
        tail = data[pos:].decode("utf-8", "surrogatepass")
        pending = emit_gap(tail, None)
        if pending:
            tokens.append(pending)
            lines.append(line)
    return tokens, lines, current or ""


def tokenize(text: str, language: str) -> list[str]:
    """Leaf tokens for the n-gram model, exact enough to rebuild the source.

    Representation (``detokenize`` inverts it):
    - a code token carries the spaces before it on its line ("x", " =", " 1"), so the
      model learns the file's spacing style;
    - strings and comments are single tokens;
    - a line break is one token holding the indentation change, not the absolute
      indentation: "\\n" (same), "\\n>" + added whitespace (indent), "\\n<" + number of
      characters removed (dedent), "\\n|" + indentation (anything else); a blank line
      is "\\n_" + its whitespace. So "after ':' comes an indented line" is one pattern
      at every depth;
    - trailing whitespace or stray unlexed text is kept as a literal token.
    """
    return tokenize_with_lines(text, language)[0]


def detokenize(tokens: list[str], indent: str | None = None) -> str:
    """Source text for tokens; ``indent`` is the indentation current before them (None:
    the tokens start at a line start, as ``tokenize`` output does)."""
    out: list[str] = []
    if indent is None:
        first = tokens[0] if tokens else ""
        indent = "" if first.startswith("\n") else _indent_of(first)
    current = indent
    for tok in tokens:
        if tok.startswith("\n"):
            text, current = apply_newline(tok, current)
            out.append(text)
        else:
            out.append(tok)
    return "".join(out)
