"""The features that compare candidates, and the layout and binding checks the token
model cannot see."""

from __future__ import annotations

import ast
import math

from tact.server.fixes.syntax import syntax_fixes
from tact.server.fixes.syntax.ast_evidence import (
    arity_mismatches,
    literal_clashes,
    unpack_mismatches,
    use_before_bind,
)
from tact.server.fixes.syntax.ranker import GROUP_KEYS, group_features
from tact.server.fixes.syntax.token_evidence import fine_role, flat_continuations

CODE = ["def f(a, b):\n    return g(a, b)\n", "x = h(a, b)\ny = h(b, a)\n"] * 5


def test_group_features_mark_the_best_candidate_and_the_margins() -> None:
    feats = [{"lm": 1.0}, {"lm": 3.0}, {"lm": -20.0}]
    group_features(feats)
    assert feats[1]["top_lm"] == 1.0 and "top_lm" not in feats[0]
    assert math.isclose(feats[1]["gap_lm"], 2.0)  # to the second best
    assert math.isclose(feats[0]["gap_lm"], -2.0)  # to the best
    assert feats[2]["gap_lm"] == -8.0  # clipped
    assert feats[0]["top3_lm"] == 1.0 and "top3_lm" not in feats[1]
    assert "lm" in GROUP_KEYS


def test_repair_features_compare_each_candidate_with_its_group() -> None:
    got: list[tuple[dict[str, float], str]] = []
    fixes = syntax_fixes("def f(a, b):\n    x = g(a b)\n    return x\n", collect=got)
    assert fixes and len(got) > 1
    for feats, _ in got:
        assert {"lm", "lm_ins", "gap_lm"} <= feats.keys()
    assert sum(1 for feats, _ in got if feats.get("top_lm")) == 1


def test_a_continuation_line_at_the_statements_own_level_is_counted() -> None:
    assert flat_continuations("new_val = [\ni] = 0\nx = 1\n") == 1
    assert flat_continuations("new_val = []\ni = 0\n") == 0
    # ordinary continuation lines: indented, or a closer back at the statement's level
    assert flat_continuations("x = foo(\n    a,\n    b,\n)\ny = 2\n") == 0
    assert flat_continuations("def f(a,\n      b):\n    pass\n") == 0


def test_reads_before_the_first_binding_are_counted() -> None:
    def count(src: str) -> int:
        return use_before_bind(ast.parse(src))

    assert count("def f(a):\n    x = max(x, a)\n    return x\n") == 1
    assert count("def f(a):\n    print(y)\n    y = a\n") == 1
    assert count("def f(a):\n    x = 0\n    x = max(x, a)\n    return x\n") == 0
    assert count("def f(xs):\n    return [x for x in xs]\n") == 0
    assert count("def f():\n    global g\n    g = g + 1\n") == 0
    assert count("def f(a):\n    def g():\n        return a\n    a = 2\n    return g\n") == 0
    assert count("def f(e):\n    try:\n        pass\n    except E as err:\n"
                 "        print(err)\n") == 0
    # an item or attribute assigned binds no name: ``_map`` is the module's all along
    assert count("def f(k, v):\n    for x in _map:\n        print(x)\n"
                 "    _map[k] = v\n    o.a = _map\n") == 0


def test_a_sequence_method_given_two_items_is_a_count_that_cannot_fit() -> None:
    def count(src: str) -> int:
        return arity_mismatches(ast.parse(src))

    assert count("def f(xs, a, b):\n    xs.append(a, b)\n") == 1
    assert count("def f(xs, a, b):\n    xs.append((a, b))\n    xs.extend([a])\n") == 0
    assert count("def f(a, b):\n    return np.append(a, b)\n") == 0  # numpy's function
    assert count("def f(xs, a):\n    xs.append(a, key=1)\n") == 0  # keywords: unknown


def test_an_unpacking_that_cannot_fit_is_counted() -> None:
    def count(src: str) -> int:
        return unpack_mismatches(ast.parse(src))

    assert count("a, b = x is None\n") == 1  # ``a, b = x, None`` lost its comma
    assert count("a, b = 1, 2, 3\n") == 1
    assert count("a, b = not x\n") == 1
    assert count("a, b = 0\n") == 1
    assert count("a, b = 1, 2\n") == 0
    assert count("a, b = x or (1, 2)\n") == 0  # an ``or`` may give a pair
    assert count("a, *b = 1, 2, 3\n") == 0
    assert count("a, b = 'xy'\n") == 0  # a string has items
    assert count("a, b = f(x)\n") == 0


def test_a_lost_argument_is_not_guessed_as_the_name_being_assigned() -> None:
    good = "def step(count):\n    newframe = max(0, count - 1)\n    return newframe\n"
    broken = good.replace("max(0,", "max(,")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, collect=got)
    early = {new.split("\n")[1].strip(): feats.get("early_read", 0.0) for feats, new in got}
    assert early.get("newframe = max(newframe, count - 1)") == 1.0
    assert early.get("newframe = max(count, count - 1)", 0.0) == 0.0


def test_a_comprehension_as_a_statement_computes_nothing() -> None:
    # the lost ``return`` of ``return [x for ...]``: every repair that leaves the
    # comprehension as a bare statement is marked idle
    broken = "def f(xs):\n    [x for x in xs if x > 1]\n    return xs)\n"
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, collect=got)
    kept = [feats for feats, new in got if "    [x for x in xs if x > 1]\n" in new]
    assert kept and all(feats.get("idle_expr", 0.0) >= 1.0 for feats in kept)


def test_the_names_beside_an_edit_are_checked_in_their_new_roles() -> None:
    # ``connection`` is an object elsewhere, ``util`` only called: deleting ``util``
    # leaves each name in a role the file uses it in
    broken = ("def f(a, b):\n    connection util .answer(a)\n    connection.close()\n"
              "    util(3)\n")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, collect=got)
    role = {new.split("\n")[1].split()[0]: feats.get("nb_role", 0.0)
            for feats, new in got if new.split("\n")[1].endswith(".answer(a)")
            and len(new.split("\n")[1].split()) == 2}
    assert role["connection"] > role["util"]
    assert fine_role(".", "(") == "attr" and fine_role(",", "(") == "call"
    assert fine_role("=", ".") == "obj" and fine_role("(", ")") == "bare"


def test_arithmetic_on_literals_no_operator_joins_is_counted() -> None:
    def count(src: str) -> int:
        return literal_clashes(ast.parse(src))

    assert count("x = 'ascii' + b'\\n'\n") == 1  # ``encode("ascii") + b"\\n"`` lost ``)``
    assert count("x = 'a' - 1\n") == 1
    assert count("x = 'a' + 'b'\n") == 0
    assert count("x = 1 + 2.5\n") == 0
    assert count("x = '%d items' % 3\n") == 0
    assert count("x = '-' * 40\n") == 0
    assert count("x = 'a' + name\n") == 0  # only literals are known
