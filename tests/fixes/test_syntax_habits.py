"""Mistakes of habit (other languages, Python 2, a slipped keyword) written the way
Python says them, and fixes described in whole words."""

from __future__ import annotations

import pytest
from tact.server.fixes.syntax import syntax_fixes
from tact.server.fixes.syntax.habits import one_slip


@pytest.mark.parametrize(("broken", "good"), [
    ("def f(a, b):\n    if a && b || !a:\n        return 1\n",
     "def f(a, b):\n    if a and b or not a:\n        return 1\n"),
    ("def f(x):\n    x++\n    return x === 2\n", "def f(x):\n    x += 1\n    return x == 2\n"),
    ("def f(x):\n    if x:\n        return 1\n    else if x is None:\n        return 2\n",
     "def f(x):\n    if x:\n        return 1\n    elif x is None:\n        return 2\n"),
    ('def f(x):\n    print "value:", x\n', 'def f(x):\n    print("value:", x)\n'),
    ("def main:\n    return 1\n", "def main():\n    return 1\n"),
    ("def f(x):\n    // the answer\n    return x\n", "def f(x):\n    # the answer\n    return x\n"),
    ("def f(x):\n    return x not is None\n", "def f(x):\n    return x is not None\n"),
    ("def f(lines):\n    while (line := lines.pop()) != '':\n        pass\n".replace(":=", "="),
     "def f(lines):\n    while (line := lines.pop()) != '':\n        pass\n"),
    ("def f(x):\n    if x = 1:\n        pass\n", "def f(x):\n    if x == 1:\n        pass\n"),
    # a chain of comparisons, one of them written ``=``
    ("def f(r, w, e):\n    if [] == r == w = e:\n        pass\n",
     "def f(r, w, e):\n    if [] == r == w == e:\n        pass\n"),
    # a grouping bracket keeps no call's result: it compares (no ``:=``)
    ("def f(a, b, c):\n    if not (a = b) and c:\n        pass\n",
     "def f(a, b, c):\n    if not (a == b) and c:\n        pass\n"),
    ("def f(x, s):\n    return x = s or g(key=s)\n",  # a keyword argument stays
     "def f(x, s):\n    return x == s or g(key=s)\n"),
    ("def f(b):\n    return [a for a in b if a = 1]\n",
     "def f(b):\n    return [a for a in b if a == 1]\n"),
    ("def f(x):\n    retrun x + 1\n", "def f(x):\n    return x + 1\n"),
    ("def f(x):\n    if x:\n        whlie x:\n            x -= 1\n    return x\n",
     "def f(x):\n    if x:\n        while x:\n            x -= 1\n    return x\n"),
])
def test_a_habit_is_written_the_python_way_first(broken: str, good: str) -> None:
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == good, [f.title for f in fixes]
    assert fixes[0].operator == "python idiom" and fixes[0].validation == "compiles"


def test_every_line_written_with_the_habit_is_mended_in_one_fix() -> None:
    broken = "def f(a, b):\n    if a && b:\n        return 1\n    return a || b\n"
    fix = syntax_fixes(broken)[0]
    assert fix.fixed_source == (
        "def f(a, b):\n    if a and b:\n        return 1\n    return a or b\n")
    assert "`&&` is `and`" in fix.explanation and "`||` is `or`" in fix.explanation


def test_habits_inside_strings_and_comments_are_left_alone() -> None:
    broken = 'def f(a, b):\n    s = "a && b"  # a || b\n    return a && b\n'
    fix = syntax_fixes(broken)[0]
    assert fix.fixed_source == 'def f(a, b):\n    s = "a && b"  # a || b\n    return a and b\n'


def test_a_word_the_file_uses_elsewhere_is_no_misspelt_keyword() -> None:
    # ``retrun`` is a name here: the fix is not to turn it into ``return``
    broken = "def f(retrun, x):\n    y = retrun x\n    return y\n"
    assert all(f.operator != "python idiom" for f in syntax_fixes(broken))


def test_a_slip_is_one_letter_left_out_doubled_or_swapped() -> None:
    assert one_slip("retrun", "return") and one_slip("retur", "return")
    assert one_slip("returnn", "return") and one_slip("whlie", "while")
    assert not one_slip("return", "return") and not one_slip("rtuern", "return")
    assert not one_slip("rerun", "return")


def test_a_misspelt_word_is_named_whole_in_the_title() -> None:
    # two keywords are one slip from ``form`` (``for``, ``from``): the search decides,
    # and its title names the words, not the letters that changed
    fixes = syntax_fixes("form os import path\n")
    assert fixes and fixes[0].fixed_source == "from os import path\n"
    assert "`form` with `from`" in fixes[0].title


@pytest.mark.parametrize(("broken", "good"), [
    ("def f():\n    return hello'\n", "def f():\n    return 'hello'\n"),
    ("def f(d):\n    return d[name']\n", "def f(d):\n    return d['name']\n"),
    ("x = 'abc\ny = 2\n", "x = 'abc'\ny = 2\n"),
    ("def f(v):\n    return getattr(v, '__doc__, None)\n",
     "def f(v):\n    return getattr(v, '__doc__', None)\n"),
])
def test_a_lost_quote_is_put_back_and_the_typed_text_kept(broken: str, good: str) -> None:
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == good, [f.fixed_source for f in fixes]


def test_only_a_condition_gets_the_walrus() -> None:
    # ``(self=name`` in a format's arguments is a slip for ``self.name``, not C's habit
    broken = "def f(self):\n    return '%s' % (self=name,)\n"
    assert all(f.operator != "python idiom" for f in syntax_fixes(broken))


def test_a_calls_keyword_argument_keeps_its_equals_sign() -> None:
    fixes = syntax_fixes("if f(key=1) and (n = g()):\n    pass\n")
    assert fixes[0].fixed_source == "if f(key=1) and (n := g()):\n    pass\n"


def test_windows_line_endings_get_the_same_repairs() -> None:
    for broken, good in [
            ('def f(x):\r\n    """Doc.\r\n    return x\r\n',
             'def f(x):\r\n    """Doc."""\r\n    return x\r\n'),
            ('x = "abc\r\ny = 2\r\n', 'x = "abc"\r\ny = 2\r\n'),
            ("def f(a, b):\r\n    return a && b\r\n", "def f(a, b):\r\n    return a and b\r\n")]:
        fixes = syntax_fixes(broken)
        assert fixes and fixes[0].fixed_source == good, (broken, fixes[0].fixed_source)
    fixes = syntax_fixes("xs = [\r\n    1,\r\n    2,\r\n\r\ny = 3\r\n")
    assert fixes and "2]," not in fixes[0].fixed_source


def test_an_equals_sign_between_two_glued_names_is_no_comparison() -> None:
    # ``self=items``: as likely a slip for ``self.items`` as for ``==``: the search weighs it
    broken = "def f(self):\n    return self=items[0]\n"
    assert all(f.operator != "python idiom" for f in syntax_fixes(broken))


def test_one_rewrite_per_place_and_one_reason_for_it() -> None:
    """``(n = read())`` is both a condition's ``=`` and an assignment inside it: the
    ``:=`` rewrite wins, and the title names only the rewrite applied."""
    fixes = syntax_fixes("def f(read):\n    while (n = read()) > 0:\n        print(n)\n")
    assert fixes[0].fixed_source == "def f(read):\n    while (n := read()) > 0:\n        print(n)\n"
    assert "more" not in fixes[0].title
