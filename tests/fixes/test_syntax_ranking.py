"""Ranking of syntax repairs: the file's own evidence and whole-file validation."""

from __future__ import annotations

import ast

from tact.server.fixes.syntax import compile_error, syntax_fixes

# A break in the first function of a file whose rest is fine.
FILE_WITH_LATER_CODE = '''\
def a(errcode, errmsg):
    refused = {}
    refused[errcode] = errmsg
    if not refused:
        return None
    ( return refused


class Options:
    x = "a"
    y = "b"

    def f(self):
        return self.x + "c"
'''


def test_a_fix_never_just_pushes_the_error_further() -> None:
    # Opening a string can swallow the broken line and move the error to a later
    # line; that is not a repair when the rest of the file compiled.
    fixes = syntax_fixes(FILE_WITH_LATER_CODE)
    assert fixes
    for f in fixes:
        assert compile_error(f.fixed_source) is None, f.operator
    assert "    return refused\n" in fixes[0].fixed_source


def test_missing_name_comes_from_the_file() -> None:
    broken = ('def a(parts):\n    return ", ".join(parts)\n\n\n'
              'def b(items):\n    names = [str(x) for x in items]\n    return ", ".(names)\n')
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source.split("\n")[6] == '    return ", ".join(names)'


def test_missing_first_keyword_is_inserted_at_an_indentation_level() -> None:
    good = "class Box:\n    def __init__(self, w):\n        self.w = w\n\n    def area(self):\n" \
           "        return self.w * self.w\n"
    broken = good.replace("    def area", "     area")
    fixes = syntax_fixes(broken)
    assert fixes
    assert ast.dump(ast.parse(fixes[0].fixed_source)) == ast.dump(ast.parse(good))


def test_missing_name_absent_from_the_file_comes_from_the_prior() -> None:
    """A deleted `__init__` / `join` appears nowhere else in the code: the global
    prior's common names (what follows `def`, what sits between `.` and `(`) supply it."""
    cases = {
        "class Point:\n    def (self, x, y):\n        self.x = x\n        self.y = y\n":
            "class Point:\n    def __init__(self, x, y):\n        self.x = x\n"
            "        self.y = y\n",
        'def names(items):\n    return ", ".(str(x) for x in items)\n':
            'def names(items):\n    return ", ".join(str(x) for x in items)\n',
    }
    for broken, orig in cases.items():
        fixes = syntax_fixes(broken)
        assert fixes, broken
        assert ast.dump(ast.parse(fixes[0].fixed_source)) == ast.dump(ast.parse(orig))
