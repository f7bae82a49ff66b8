"""tact.models.syntax against the real tree-sitter grammars."""

from __future__ import annotations

from pathlib import Path

import pytest
from tact.models import syntax as S

SAMPLES: dict[str, str] = {
    "python": (
        "import os\n\n\nclass A:\n    \"\"\"Doc.\n\n    More.\"\"\"\n\n"
        "    def f(self, x):  # comment\n        if x:\n\t\treturn  x + 1\n"
        "        return f'{x!r}'\n\n\nprint(A().f(1)) \\\n    \n"
    ),
    "javascript": (
        "const a = `x${y}`;\nfunction f(a) {\n  // hi\n  return a + 1\n}\n"
        "const re = /ab+c/g;\nexport default { a, f };\n"
    ),
    "typescript": (
        "interface P { x: number; y?: string }\n\nexport function g<T>(p: P): T[] {\n"
        "    return [] as T[];\n}\n"
    ),
    "tsx": "const c = <div className=\"a\">{items.map((i) => <b>{i}</b>)}</div>;\n",
    "go": (
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tx := 1\n\tif x > 0 {\n"
        "\t\tfmt.Println(`raw`, 'c')\n\t}\n}\n"
    ),
    "rust": (
        "use std::io;\n\n/// Docs\nfn main() {\n    let s = \"a\"; // hi\n"
        "    let r = r#\"raw\"#;\n    /* block */\n    println!(\"{}\", s);\n}\n"
    ),
}


def test_language_for_ids_and_extensions() -> None:
    assert S.language_for("python") == "python"
    assert S.language_for("javascriptreact") == "javascript"
    assert S.language_for("typescriptreact") == "tsx"
    assert S.language_for(None, "file:///x/main.go") == "go"
    assert S.language_for("plaintext", "file:///x/lib.rs") == "rust"
    assert S.language_for("plaintext", "file:///x/notes.txt") is None
    assert S.language_for(None) is None
    assert set(S.SUPPORTED_LANGUAGES) == {"python", "javascript", "typescript", "tsx", "go", "rust"}


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_tokenize_round_trips_each_language(language: str) -> None:
    text = SAMPLES[language]
    tokens = S.tokenize(text, language)
    assert len(tokens) > 10
    assert S.detokenize(tokens) == text
    assert not S.has_error(text, language)


def test_tokens_are_relative_and_strings_whole() -> None:
    tokens = S.tokenize("def f(x):\n    if x:\n        return 'a b'\n\n    return 2\n", "python")
    assert tokens[:7] == ["def", " f", "(", "x", ")", ":", "\n>    "]
    assert " 'a b'" in tokens  # a string is one token with its leading space
    assert "\n_" in tokens and "\n<4" in tokens
    # the same block shape at another depth gives the same newline tokens
    deeper = S.tokenize("class C:\n    def f(x):\n        if x:\n            return 1\n", "python")
    assert deeper.count("\n>    ") == 3


def test_round_trip_on_real_library_sources() -> None:
    import rich

    files = sorted(Path(rich.__file__).parent.glob("*.py"))[:25]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert S.detokenize(S.tokenize(text, "python")) == text, path


def test_fragment_detokenize_with_indent() -> None:
    _tokens, _, current = S.tokenize_with_lines("    x = 1\n    y = 2", "python")
    assert current == "    "
    assert S.detokenize(["\n", "z", "\n<4", "w"], indent="    ") == "\n    z\nw"


def test_node_types_at_cursor() -> None:
    src = 'x = foo(1, "ab")\n# note\n'
    tree = S.parse(src, "python")
    assert S.node_type_at(tree, 1) == "identifier"
    assert S.node_type_at(tree, 8) == "argument_list"  # right after "("
    inside = S.enclosing_node_types(tree, 13)  # inside the string
    assert "string" in inside and "argument_list" in inside and "call" in inside
    assert inside.index("string") < inside.index("call")  # innermost first
    assert S.node_type_at(tree, src.index("note") + 2) == "comment"
    assert len(S.enclosing_node_types(tree, 13, limit=2)) == 2


def test_error_ranges_and_has_error() -> None:
    errors = S.error_ranges(S.parse("def f(:\n  return (1\n", "python"))
    assert errors and all(kind == "ERROR" or kind.startswith("MISSING") for *_, kind in errors)
    rust = S.error_ranges(S.parse("fn main() { let x = 1 }", "rust"))
    assert rust == [((0, 21), (0, 21), "MISSING ;")]
    assert S.has_error("x = (1,", "python")
    assert not S.has_error("x = (1,)\n", "python")
    assert S.error_ranges(S.parse("x = 1\n", "python")) == []


@pytest.mark.parametrize(
    ("prefix", "insertion", "suffix", "language", "expected"),
    [
        ("def f(x):\n    return foo(x", ")", "\n", "python", True),
        ("def f(x):\n    return foo(x", ", y", "\n", "python", True),  # unfinished is fine
        ("def f(x):\n    return foo(x", "))", "\n", "python", False),
        ("def f(x):\n    return foo(x", "]", "\n", "python", False),
        ("def f(x):\n    return ", "x +* 2", "\n", "python", False),
        ("fn f() {\n    let x = ", "1;", "\n}\n", "rust", True),
        ("fn f() {\n    let x = ", "1;)", "\n}\n", "rust", False),
        ("func f() {\n\tx := ", "g(1)", "\n}\n", "go", True),
        ("function f() {\n  return 1", ";\n}", "\n", "javascript", True),
        ("let a: number = ", "1 1;", "\n", "typescript", False),
    ],
)
def test_parses_in_place(
    prefix: str, insertion: str, suffix: str, language: str, expected: bool
) -> None:
    assert S.parses_in_place(prefix, insertion, suffix, language) is expected


def test_parses_in_place_on_big_document_uses_window() -> None:
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(3000))
    prefix = body + "def g(x):\n    return h(x"
    assert S.parses_in_place(prefix, ")", "\n" + body, "python")
    assert not S.parses_in_place(prefix, ")]", "\n" + body, "python")


def test_unsupported_language_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        S.parse("x", "cobol")
