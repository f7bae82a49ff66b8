"""Syntax diagnostics and the token-edit repair search."""

from __future__ import annotations

import ast

import pytest
from tact.server.fixes.syntax import compile_error, syntax_fixes, syntax_problems

GOOD = '''\
def total_price(items, tax_rate):
    subtotal = 0
    for item in items:
        if item.price > 0:
            subtotal += item.price * item.quantity
    return round(subtotal * (1 + tax_rate), 2)
'''


def same_ast(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


# ``top``: how far down the offered fixes the original may be. Two breaks have an
# equally small competing repair that the ranker (fitted on thousands of random
# breaks) puts first: ``, )`` for the lost ``)`` and a restored name between ``* *``.
@pytest.mark.parametrize(("broken", "top"), [
    (GOOD.replace("tax_rate):", "tax_rate)"), 1),                      # missing ':'
    (GOOD.replace(", 2)", ", 2"), 3),                                  # missing ')'
    (GOOD.replace("if item.price > 0:", "if item.price > 0"), 1),      # missing ':' on if
    (GOOD.replace("item.price * item.quantity", "item.price * * item.quantity"), 3),  # stray
    (GOOD.replace("    return round", "  return round"), 1),           # bad dedent
    (GOOD.replace("for item in items:", "for item in items::"), 1),    # doubled token
])
def test_single_token_breaks_are_repaired_to_the_original(broken: str, top: int) -> None:
    assert compile_error(broken) is not None
    fixes = syntax_fixes(broken)
    assert fixes, "expected a fix"
    f = next((f for f in fixes[:top] if same_ast(f.fixed_source, GOOD)), None)
    assert f is not None, [x.operator for x in fixes]
    # the edit is the range + text that turn the broken text into the fixed one
    lines = broken.split("\n")
    start = sum(len(x) + 1 for x in lines[: f.span.start_line]) + f.span.start_char
    end = sum(len(x) + 1 for x in lines[: f.span.end_line]) + f.span.end_char
    assert broken[:start] + f.new_text + broken[end:] == f.fixed_source
    assert f.validated and f.validation == "compiles"
    assert f.edit_size <= 4


def test_equality_in_condition() -> None:
    broken = "def f(x):\n    if x = 1:\n        return 2\n    return 3\n"
    fixes = syntax_fixes(broken)
    assert fixes and "==" in fixes[0].fixed_source.split("\n")[1]
    assert "SyntaxError" in fixes[0].explanation


def test_unterminated_string_is_closed() -> None:
    broken = "def greet(name):\n    print('hello, + name)\n"
    fixes = syntax_fixes(broken)
    assert fixes
    compile(fixes[0].fixed_source, "<t>", "exec")


def test_diagnostics_have_precise_ranges() -> None:
    broken = "x = 1\ndef f(a, b)\n    return a\n"
    problems = syntax_problems(broken)
    assert problems[0].kind == "syntax"
    assert problems[0].span.start_line == 1
    assert "expected ':'" in problems[0].message
    assert syntax_problems(GOOD) == []


def test_tree_sitter_reports_later_errors_too() -> None:
    broken = "def f(:\n    pass\n\n\nx = [1, 2\ny = 3\n\n\ndef g():\n    return )\n"
    problems = syntax_problems(broken)
    assert len(problems) >= 2
    assert any(p.span.start_line >= 8 for p in problems)


def test_clean_code_gets_no_fix_and_nonsense_is_declined() -> None:
    assert syntax_fixes(GOOD) == []
    # a deliberately odd statement: strict finds no edit clearly better than the others
    assert syntax_fixes("def f(x):\n    global x\n", precision="strict") == []
    assert syntax_fixes("))))((((\n") == []
