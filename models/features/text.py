"""Small, language-light text helpers shared by the context and suggestion features.

Everything here works on short strings (a line, a window): the categories are
deliberately coarse so that a model trained on one programmer's or one language's
data still says something sensible about another's.
"""

from __future__ import annotations

import re

# Character classes for "what the text ends/starts with".
CHAR_CLASSES = (
    "none",
    "newline",
    "space",
    "alpha",
    "digit",
    "open_paren",
    "close_paren",
    "open_square",
    "close_square",
    "open_curly",
    "close_curly",
    "dot",
    "comma",
    "colon",
    "semicolon",
    "equals",
    "quote",
    "hash",
    "operator",
    "other",
)

_CHAR_CLASS = {
    "\n": "newline",
    "\r": "newline",
    " ": "space",
    "\t": "space",
    "(": "open_paren",
    ")": "close_paren",
    "[": "open_square",
    "]": "close_square",
    "{": "open_curly",
    "}": "close_curly",
    ".": "dot",
    ",": "comma",
    ":": "colon",
    ";": "semicolon",
    "=": "equals",
    '"': "quote",
    "'": "quote",
    "`": "quote",
    "#": "hash",
}
_OPERATORS = set("+-*/%<>!&|^~@?\\")


def char_class(ch: str) -> str:
    """Coarse class of one character ('' -> 'none')."""
    if not ch:
        return "none"
    cls = _CHAR_CLASS.get(ch)
    if cls is not None:
        return cls
    if ch.isalpha() or ch == "_":
        return "alpha"
    if ch.isdigit():
        return "digit"
    if ch in _OPERATORS:
        return "operator"
    if ch.isspace():
        return "space"
    return "other"


# Leading-keyword classes of a line (shared across languages; "other" otherwise).
LINE_KINDS = (
    "empty",
    "comment",
    "def",
    "class",
    "return",
    "import",
    "if",
    "else",
    "loop",
    "try",
    "with",
    "print",
    "assert",
    "decorator",
    "assign",
    "call",
    "close",
    "other",
)

_KEYWORD_KIND = {
    "def": "def",
    "func": "def",
    "fn": "def",
    "function": "def",
    "async": "def",
    "pub": "def",
    "class": "class",
    "struct": "class",
    "interface": "class",
    "type": "class",
    "impl": "class",
    "enum": "class",
    "return": "return",
    "yield": "return",
    "import": "import",
    "from": "import",
    "use": "import",
    "package": "import",
    "require": "import",
    "if": "if",
    "elif": "if",
    "switch": "if",
    "match": "if",
    "case": "if",
    "else": "else",
    "for": "loop",
    "while": "loop",
    "loop": "loop",
    "try": "try",
    "except": "try",
    "catch": "try",
    "finally": "try",
    "raise": "try",
    "throw": "try",
    "with": "with",
    "print": "print",
    "console": "print",
    "println": "print",
    "fmt": "print",
    "assert": "assert",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_ASSIGN = re.compile(r"^[\w\.\[\]\s,\*]+(?:[+\-*/%|&^]|//|<<|>>)?=(?!=)")


def line_kind(line: str) -> str:
    """What kind of line this is, judged by how it starts (indentation ignored)."""
    s = line.lstrip()
    if not s:
        return "empty"
    if s.startswith(("#", "//", "/*", "*")):
        return "comment"
    if s[0] == "@":
        return "decorator"
    if s[0] in ")]}":
        return "close"
    m = _WORD.match(s)
    if m:
        word = m.group(0)
        kind = _KEYWORD_KIND.get(word)
        if kind is not None:
            return kind
        if word in ("let", "const", "var") or _ASSIGN.match(s):
            return "assign"
        if "(" in s:
            return "call"
    return "other"


def indent_width(line: str) -> int:
    """Leading whitespace width (a tab counts 4)."""
    width = 0
    for ch in line:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += 4
        else:
            break
    return width


def identifiers(text: str) -> list[str]:
    """Identifier-like words of ``text``."""
    return _WORD.findall(text)


def bracket_balance(text: str) -> tuple[int, str]:
    """(net open brackets, innermost unclosed bracket kind) of ``text``, ignoring strings
    only roughly (good enough for a feature: quotes are rare inside windows we scan)."""
    stack: list[str] = []
    closes = {")": "(", "]": "[", "}": "{"}
    net = 0
    for ch in text:
        if ch in "([{":
            stack.append(ch)
            net += 1
        elif ch in closes:
            net -= 1
            if stack and stack[-1] == closes[ch]:
                stack.pop()
    kind = {"(": "paren", "[": "square", "{": "curly"}.get(stack[-1], "none") if stack else "none"
    return net, kind
