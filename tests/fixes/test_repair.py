"""Operator repairs validated by running real tests on small real-looking functions."""

from __future__ import annotations

from pathlib import Path

from fixes_helpers import ADULT, CALC, CALC_BUGGY, TEST_ADULT, TEST_CALC, write_project
from tact.server.fixes.repair import ochiai, repair_file
from tact.server.fixes.sandbox import TestResult


def repair(tmp_path: Path, source: str, tests: str, **kw):
    root = write_project(tmp_path / "proj", {"calc.py": source, "tests/test_calc.py": tests})
    return root, repair_file(root / "calc.py", timeout=kw.pop("timeout", 3.0), **kw)


def applied(source: str, fix) -> str:
    lines = source.split("\n")
    s = sum(len(x) + 1 for x in lines[: fix.span.start_line]) + fix.span.start_char
    e = sum(len(x) + 1 for x in lines[: fix.span.end_line]) + fix.span.end_char
    return source[:s] + fix.new_text + source[e:]


def test_comparison_bug_is_fixed_and_explained(tmp_path: Path) -> None:
    buggy = CALC.replace("if value > high", "if value >= high + 1")
    assert buggy == CALC_BUGGY
    root, result = repair(tmp_path, buggy, TEST_CALC)
    assert result.fixes, result.note
    fix = result.fixes[0]
    fixed = applied(buggy, fix)
    assert fixed == fix.fixed_source
    assert "test_clamp_high" in " ".join(fix.tests_fixed)
    assert fix.validated and fix.validation.startswith("tests")
    assert "clamp(10.5, 0, 10)" in fix.explanation  # the runtime call that showed it
    assert "returned `10.5`" in fix.explanation
    assert (root / "calc.py").read_text() == buggy  # the user's file is untouched
    # the diagnostic points into the function that misbehaved
    assert result.problems and result.problems[0].kind == "test"
    assert 0 <= result.problems[0].span.start_line <= 6


def test_off_by_one_in_a_range(tmp_path: Path) -> None:
    src = '''\
def window_sums(xs, k):
    out = []
    for i in range(len(xs) - k):
        out.append(sum(xs[i:i + k]))
    return out
'''
    tests = '''\
from calc import window_sums


def test_pairs():
    assert window_sums([1, 2, 3, 4], 2) == [3, 5, 7]


def test_whole():
    assert window_sums([1, 2, 3], 3) == [6]


def test_single():
    assert window_sums([5, 6], 1) == [5, 6]
'''
    _root, result = repair(tmp_path, src, tests)
    assert result.fixes, result.note
    fixed = result.fixes[0].fixed_source
    assert "range(len(xs) - k + 1)" in fixed or "range(len(xs) + 1 - k)" in fixed


def test_name_error_goes_to_the_closest_defined_name(tmp_path: Path) -> None:
    src = '''\
def greeting(name):
    message = "Hello, " + name
    return mesage
'''
    tests = '''\
from calc import greeting


def test_greeting():
    assert greeting("Ada") == "Hello, Ada"
'''
    _root, result = repair(tmp_path, src, tests)
    assert result.fixes, result.note
    assert "return message" in result.fixes[0].fixed_source
    assert result.fixes[0].operator == "name"
    assert "NameError" in result.fixes[0].explanation


def test_missing_stdlib_import_is_added(tmp_path: Path) -> None:
    src = '''\
def hypotenuse(a, b):
    return math.sqrt(a * a + b * b)
'''
    tests = '''\
from calc import hypotenuse


def test_hyp():
    assert hypotenuse(3, 4) == 5.0
'''
    _root, result = repair(tmp_path, src, tests)
    assert result.fixes, result.note
    assert result.fixes[0].fixed_source.startswith("import math\n")


def test_a_fix_that_breaks_a_passing_test_is_never_offered(tmp_path: Path) -> None:
    # Making the failing test pass by `>` -> `>=` in is_adult would break test_child,
    # and no single edit satisfies both: the only honest answer is no fix.
    _root, result = repair(tmp_path, ADULT, TEST_ADULT)
    for fix in result.fixes:  # whatever is offered passes every test that passed before
        assert fix.tests_kept
    assert result.fixes == []


def test_no_tests_or_passing_tests_give_no_fix(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"calc.py": CALC})
    result = repair_file(root / "calc.py")
    assert result.fixes == [] and "no tests" in result.note
    _root, result = repair(tmp_path, CALC, TEST_CALC)
    assert result.fixes == [] and "pass" in result.note
    assert result.problems == []


def test_execution_disabled_runs_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"calc.py": CALC_BUGGY,
                                          "tests/test_calc.py": TEST_CALC})
    result = repair_file(root / "calc.py", run_tests=False)
    assert result.note == "execution disabled" and result.tests == []


def test_ochiai_ranks_the_line_only_failing_tests_run() -> None:
    results = [TestResult("a", "fail", lines=[1, 2, 3]), TestResult("b", "pass", lines=[1, 2]),
               TestResult("c", "pass", lines=[1])]
    s = ochiai(results)
    assert max(s, key=s.get) == 3
    assert s[3] == 1.0 and s[1] < s[2] < s[3]


def test_module_that_fails_to_import_is_repaired(tmp_path: Path) -> None:
    src = 'LIMIT = flot("inf")\n\n\ndef cap(x):\n    return min(x, LIMIT)\n'
    tests = "from calc import cap\n\n\ndef test_cap():\n    assert cap(3) == 3\n"
    _root, result = repair(tmp_path, src, tests)
    assert result.problems[0].message.startswith("test <import> failed: NameError")
    assert result.fixes and result.fixes[0].fixed_source.startswith('LIMIT = float("inf")')
