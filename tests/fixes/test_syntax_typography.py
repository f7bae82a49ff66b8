"""Pasted characters Python rejects (typographic quotes, no-break spaces, dashes,
full-width forms, null bytes): replaced where the compiler trips, nowhere else."""

from __future__ import annotations

from tact.server.fixes.syntax import compile_error, syntax_fixes, syntax_problems
from tact.server.fixes.types import span_of


def only_fix(broken: str) -> tuple[str, str]:
    fixes = syntax_fixes(broken)
    assert len(fixes) == 1, [f.title for f in fixes]
    return fixes[0].fixed_source, fixes[0].title


def test_typographic_quotes_in_code_become_ascii_and_stay_in_strings_and_comments() -> None:
    broken = ('def greet(name):\n'
              '    """Say \u201chello\u201d \u2013 it\u2019s polite."""\n'
              '    return \u201cHello, \u201d + name  # \u201cHello\u201d\n'
              'print(\u2018Ann\u2019)\n')
    fixed, title = only_fix(broken)
    assert fixed == ('def greet(name):\n'
                     '    """Say \u201chello\u201d \u2013 it\u2019s polite."""\n'
                     '    return "Hello, " + name  # \u201cHello\u201d\n'
                     "print('Ann')\n")
    assert "replace 4 pasted characters with ASCII (line 3)" in title


def test_an_apostrophe_inside_a_double_quoted_string_is_kept() -> None:
    fixed, _ = only_fix("msg = \u201cit\u2019s\u201d\n")
    assert fixed == 'msg = "it\u2019s"\n'


def test_no_break_spaces_dashes_and_full_width_brackets_become_ascii() -> None:
    assert only_fix("def f(a, b):\n\u00a0\u00a0\u00a0\u00a0return a \u2013 b\n")[0] == (
        "def f(a, b):\n    return a - b\n")
    assert only_fix("print\uff08'x'\uff09\n")[0] == "print('x')\n"


def test_the_fix_replaces_one_range_from_the_first_character_to_the_last() -> None:
    broken = "x = [\u201ca\u201d, \u201cb\u201d]\n"
    f = syntax_fixes(broken)[0]
    assert f.span == span_of(broken, 5, 13) and f.new_text == '"a", "b"'
    assert f.edit_size == 8 and f.validation == "compiles"
    assert "U+201C" in f.explanation and "strings and comments are left alone" in f.explanation


def test_a_null_byte_is_placed_where_it_is_and_removed() -> None:
    broken = "def f(a, b):\n    return a +\x00 b\n"
    err = compile_error(broken)
    assert err is not None and (err.line, err.col) == (1, 14)
    assert syntax_problems(broken)[0].span.start_line == 1
    fixed, title = only_fix(broken)
    assert fixed == "def f(a, b):\n    return a + b\n" and "remove 1 invisible character" in title


def test_a_later_mistake_of_another_kind_leaves_a_local_fix() -> None:
    broken = "x = \u201ca\u201d\nif x\n    pass\n"
    f = syntax_fixes(broken)[0]
    assert f.fixed_source == 'x = "a"\nif x\n    pass\n'
    assert f.validation == "compiles-locally"


def test_a_character_with_no_ascii_meaning_goes_to_the_token_search() -> None:
    fixes = syntax_fixes("total = price \u00a3 2\n")
    assert fixes and all("pasted" not in f.title for f in fixes)


def test_a_null_byte_inside_a_string_is_written_as_an_escape() -> None:
    fixed, _ = only_fix('x = "a\x00b"\n')
    assert fixed == 'x = "a\\x00b"\n'  # the string keeps its value
