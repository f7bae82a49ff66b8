"""The sandbox: real subprocesses, real limits, the working tree never touched."""

from __future__ import annotations

from pathlib import Path

from fixes_helpers import RUNAWAY, TEST_RUNAWAY, write_project
from tact.server.fixes.discovery import discover_tests
from tact.server.fixes.sandbox import Sandbox

MOD = RUNAWAY + '''

def scribble(path):
    with open(path, "w") as fh:
        fh.write("changed")
'''

TESTS = TEST_RUNAWAY.replace("from calc import add, hog, spin",
                            "from mod import add, hog, scribble, spin") + '''

def test_scribble():
    scribble("mod.py")
'''


def test_infinite_loop_and_memory_hog_are_stopped_and_reported(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"mod.py": MOD, "test_mod.py": TESTS})
    with Sandbox(root / "mod.py", MOD, [root / "test_mod.py"], timeout=1.0,
                 memory_mb=256) as sb:
        report = sb.run()
    by = {r.test.split("::")[-1]: r for r in report.results}
    assert by["test_add"].outcome == "pass"
    assert by["test_spin"].outcome == "timeout"
    assert "time limit" in by["test_spin"].message
    assert by["test_hog"].outcome == "memory"
    assert "256 MB" in by["test_hog"].message
    # the tests after the runaway ones still ran
    assert by["test_after"].outcome == "pass"


def test_the_working_tree_is_never_touched(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"mod.py": MOD, "test_mod.py": TESTS})
    with Sandbox(root / "mod.py", MOD, [root / "test_mod.py"], timeout=1.0) as sb:
        report = sb.run(tests=["test_mod.py::test_scribble"])
        copy = sb.dir
    assert report.results[0].outcome == "pass"
    assert (root / "mod.py").read_text() == MOD
    assert not copy.exists()  # the temporary copy is gone after close


def test_candidates_run_against_unsaved_source(tmp_path: Path) -> None:
    buggy = MOD.replace("return a + b", "return a - b")
    root = write_project(tmp_path / "p", {"mod.py": buggy, "test_mod.py": TESTS})
    with Sandbox(root / "mod.py", buggy, [root / "test_mod.py"], timeout=1.0,
                 workers=2) as sb:
        ids = ["test_mod.py::test_add", "test_mod.py::test_after"]
        reports = sb.run_many([buggy, MOD, buggy, MOD], tests=ids, stop_on_fail=True)
    assert [bool(r.results) and all(x.passed for x in r.results) and len(r.results) == 2
            for r in reports] == [False, True, False, True]


def test_tracing_records_lines_values_and_calls(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"mod.py": MOD, "test_mod.py": TESTS})
    with Sandbox(root / "mod.py", MOD, [root / "test_mod.py"], timeout=1.0) as sb:
        report = sb.run(tests=["test_mod.py::test_add"], trace=True, values=True)
    r = report.results[0]
    assert r.lines == [2]
    assert r.values["2"] == {"a": "1", "b": "2"}
    assert r.calls[0]["func"] == "add" and r.calls[0]["return"] == "3"


def test_a_call_left_by_an_exception_records_no_return_value(tmp_path: Path) -> None:
    # Python reports a frame left by an exception as a "return" of None; an explanation
    # saying `ratio(1, 0)` returned None would be false. An exception caught inside
    # the function is no exit: that call still returns its value.
    src = '''\
def ratio(a, b):
    return a / b


def safe_ratio(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return 0.0
'''
    tests = '''\
from mod import ratio, safe_ratio


def test_ratio():
    assert ratio(1, 0) == 0


def test_safe():
    assert safe_ratio(1, 0) == 0.0
'''
    root = write_project(tmp_path / "p", {"mod.py": src, "test_mod.py": tests})
    with Sandbox(root / "mod.py", src, [root / "test_mod.py"], timeout=2.0) as sb:
        report = sb.run(trace=True)
    by = {r.test.split("::")[-1]: r for r in report.results}
    raised = by["test_ratio"].calls[-1]
    assert raised["raised"] == "ZeroDivisionError" and "return" not in raised
    assert by["test_safe"].calls[-1]["return"] == "0.0"


def test_discovery_by_pytest_conventions(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "pkg/__init__.py": "", "pkg/shapes.py": "X = 1\n",
        "tests/test_shapes.py": "from pkg.shapes import X\n",
        "tests/test_other.py": "import pkg.shapes\n",
        "tests/test_unrelated.py": "import os\n",
        "pkg/shapes_test.py": "from .shapes import X\n",
    })
    found = [p.relative_to(root).as_posix() for p in discover_tests(root / "pkg" / "shapes.py")]
    assert found[0] == "pkg/shapes_test.py"
    assert "tests/test_shapes.py" in found and "tests/test_other.py" in found
    assert "tests/test_unrelated.py" not in found
