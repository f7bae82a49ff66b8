"""Syntax repairs that a line's own idiom or the file's line shapes decide."""

from __future__ import annotations

import ast

from tact.server.fixes.lexer import lex
from tact.server.fixes.shapes import line_shapes
from tact.server.fixes.syntax import syntax_fixes
from tact.server.fixes.syntax.token_evidence import mirrored, rebound


def test_line_shapes_abstract_names_numbers_and_strings() -> None:
    shapes = line_shapes(lex("a = f(b, 'x', 2)\nc = g(d, 'y', 3)\nreturn a\n"))
    assert shapes[0] == shapes[1] == "N = N ( N , S , 0 )"
    assert shapes[2] == "return N"


def test_mirror_and_rebind_idioms() -> None:
    def texts(src: str) -> list[str]:
        return [t.text for t in lex(src)]

    t = texts("self.level = level")
    assert mirrored(t, 2) and mirrored(t, 4)
    t = texts("f(level=level)")
    assert mirrored(t, 2) and mirrored(t, 4)
    assert not mirrored(texts("list = list(x)"), 0)  # a call, not a copy
    assert not mirrored(texts("self.level = other"), 2)
    t = texts("values = list(values)")
    assert rebound(t, 0) and rebound(t, 4)
    assert not rebound(texts("values = list(items)"), 0)


def _first_fix(broken: str) -> str:
    """The AST dump of the first syntax fix of ``broken`` ("" when none is offered)."""
    fixes = syntax_fixes(broken)
    return ast.dump(ast.parse(fixes[0].fixed_source)) if fixes else ""


def test_a_lost_name_is_restored_by_the_lines_own_idiom() -> None:
    good = ("class Handler(Base):\n"
            "    def __init__(self, level, respect_level):\n"
            "        super().__init__(level)\n"
            "        self.respect_level = respect_level\n")
    want = ast.dump(ast.parse(good))
    # the attribute copied under the parameter's own name
    assert _first_fix(good.replace("self.respect_level", "self.")) == want
    # delegation to the parent's method of the same name
    assert _first_fix(good.replace("super().__init__(", "super().(")) == want


def test_an_edit_that_recreates_a_line_shape_of_the_file_is_marked() -> None:
    """``join(c a, 3)``: the lost comma recreates the three-argument shape every other
    line has (a ranking feature; the n-gram model alone prefers the shorter call)."""
    good = ("def pairs(a, b, c):\n"
            "    x = join(a, b, 1)\n"
            "    y = join(b, c, 2)\n"
            "    z = join(c, a, 3)\n"
            "    return x, y, z\n")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(good.replace("join(c, a, 3)", "join(c a, 3)"), collect=got)
    by_line = {new.split("\n")[3].replace(" ", ""): f for f, new in got}
    assert by_line["z=join(c,a,3)"].get("shape_seen", 0) > 0
    assert by_line["z=join(a,3)"].get("shape_seen", 0) <= 0
