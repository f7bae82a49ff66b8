"""Indentation mistakes: the line that left its block goes back, even when Python
reports the line after it."""

from __future__ import annotations

import pytest
from tact.server.fixes.syntax import compile_error, syntax_fixes
from tact.server.fixes.syntax.indentation import indentation_fix, statement_lines

BODY = "def f(items):\n    for x in items:\n        a = x\n{}\n        print(b)\n    return items\n"


@pytest.mark.parametrize(("broken", "good"), [
    # pushed in: Python stops at the line itself
    (BODY.format("            b = a + 1"), BODY.format("        b = a + 1")),
    # pushed out: Python stops at the line after it, which is where it belongs
    (BODY.format("    b = a + 1"), BODY.format("        b = a + 1")),
    # a slip of one space
    (BODY.format("         b = a + 1"), BODY.format("        b = a + 1")),
    # a docstring pushed in: "unindent does not match" on the line after it
    ("def f(x):\n        '''Twice x.'''\n    return 2 * x\n",
     "def f(x):\n    '''Twice x.'''\n    return 2 * x\n"),
    # a header pulled out: its body stays where it was
    ("def f(x):\n    y = x\n  if y:\n        y += 1\n    return y\n",
     "def f(x):\n    y = x\n    if y:\n        y += 1\n    return y\n"),
    # nothing runs after a return: the last line belongs to the outer block
    ("def f(x):\n    if x is None:\n        return 0\n   return x + 1\n",
     "def f(x):\n    if x is None:\n        return 0\n    return x + 1\n"),
    # an ``else`` pulled out of its ``if``: Python reports the next ``else`` as invalid
    ("def f(x, y):\n    if x:\n        if y:\n            x = 1\n    else:\n            x = 2\n"
     "    else:\n        x = 3\n    return x\n",
     "def f(x, y):\n    if x:\n        if y:\n            x = 1\n        else:\n            x = 2\n"
     "    else:\n        x = 3\n    return x\n"),
    # a ``try`` pulled out: its ``except`` far below finds no level to close to
    ("def f(p):\n    a = 1\ntry:\n        for b in p:\n            a += b\n"
     "    except TypeError:\n        raise\n    return a\n",
     "def f(p):\n    a = 1\n    try:\n        for b in p:\n            a += b\n"
     "    except TypeError:\n        raise\n    return a\n"),
    # a function's last line one space in: not out of the function, whose ``self`` it reads
    ("def f(self):\n    if self.x:\n        raise E('no')\n self.y = 1\n",
     "def f(self):\n    if self.x:\n        raise E('no')\n    self.y = 1\n"),
    # the only line of a body, not indented
    ("def f(x):\n    if x:\n    x.close()\n    return x\n",
     "def f(x):\n    if x:\n        x.close()\n    return x\n"),
])
def test_the_line_that_moved_goes_back_first(broken: str, good: str) -> None:
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == good, [f.title for f in fixes]
    assert fixes[0].operator.startswith("indent to")  # the fix gate's "indent" family
    assert fixes[0].validation == "compiles" and "IndentationError" in fixes[0].explanation


def test_a_return_pulled_out_of_its_function_goes_back_in() -> None:
    fix = syntax_fixes("def f(x):\n    y = x * 2\nreturn y\n")[0]
    assert fix.fixed_source == "def f(x):\n    y = x * 2\n    return y\n"
    assert "SyntaxError: 'return' outside function" in fix.explanation


def test_a_body_never_indented_is_indented_whole() -> None:
    fix = syntax_fixes("def f(x):\ny = x * 2\nreturn y\n")[0]
    assert fix.fixed_source == "def f(x):\n    y = x * 2\n    return y\n"
    assert fix.title == "Fix indentation: indent lines 2-3 under line 1"


def test_a_multi_line_string_inside_a_moved_run_keeps_its_text() -> None:
    broken = 'def f(x):\ny = """a\n  b"""\nreturn y + x\n'
    fix = syntax_fixes(broken)[0]
    assert fix.fixed_source == 'def f(x):\n    y = """a\n  b"""\n    return y + x\n'


def test_a_tab_indented_file_is_mended_with_tabs() -> None:
    broken = "def f(x):\n\tif x:\n\t\treturn 1\n        return 2\n"  # spaces among tabs
    assert "tabs" in compile_error(broken).message
    fix = syntax_fixes(broken)[0]
    assert fix.fixed_source == "def f(x):\n\tif x:\n\t\treturn 1\n\treturn 2\n"
    assert fix.title == "Fix indentation: re-indent line 4 to 1 tab"


def test_a_lost_first_word_is_left_to_the_token_search() -> None:
    # ``     y``: ``return`` was lost with the space after it, not a line pushed in
    broken = "def f(x):\n    y = x\n     y\n"
    assert indentation_fix(broken, compile_error(broken)) is None
    assert syntax_fixes(broken)[0].fixed_source == "def f(x):\n    y = x\n    return y\n"
    # a call ending the function: its value may have been returned
    broken = "def f(x):\n    y = x\n     g(\n        y)\n"
    assert indentation_fix(broken, compile_error(broken)) is None
    # a call followed by more of its block is a call
    broken = "def f(x):\n     g(x)\n    return x\n"
    assert indentation_fix(broken, compile_error(broken)).fixed_source == (
        "def f(x):\n    g(x)\n    return x\n")


def test_a_lost_body_is_not_mended_by_pulling_in_the_next_line() -> None:
    # the indented blank line is where ``pass`` was
    broken = "def f(x):\n    if x:\n        \n    return x\n"
    assert indentation_fix(broken, compile_error(broken)) is None


def test_other_errors_are_not_indentation_ones() -> None:
    broken = "def f(x):\n    return (x\n"
    assert indentation_fix(broken, compile_error(broken)) is None


def test_statement_lines_skip_continuations_and_strings() -> None:
    text = 'def f(a,\n      b):\n    s = """x\n  y"""\n    return (a +\n            b)\n'
    lines = statement_lines(text)
    assert [(s.no, s.lead, s.header, s.first) for s in lines] == [
        (0, "", True, "def"), (2, "    ", False, "s"), (4, "    ", False, "return")]
