"""`tact fix`: real subprocess, JSON output, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from fixes_helpers import CALC, CALC_BUGGY, TEST_CALC, run_tact, write_project


def test_json_lists_validated_fixes_that_make_the_tests_pass(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"calc.py": CALC_BUGGY,
                                          "tests/test_calc.py": TEST_CALC})
    r = run_tact("fix", str(root / "calc.py"), "--json", "--timeout", "3")
    assert r.returncode == 0, r.stderr
    fixes = json.loads(r.stdout)
    assert fixes, "expected a fix"
    for key in ("fixed_source", "explanation", "edit_size", "validated", "range", "operator"):
        assert key in fixes[0]
    assert fixes[0]["validated"] is True
    # the fixed file really passes the tests: run them on it
    (root / "calc.py").write_text(fixes[0]["fixed_source"])
    import subprocess
    import sys

    t = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(root / "tests")], cwd=root, capture_output=True, text=True,
                       timeout=120)
    assert t.returncode == 0, t.stdout


def test_explicit_test_file_and_text_output(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"calc.py": CALC_BUGGY, "checks.py": TEST_CALC})
    r = run_tact("fix", str(root / "calc.py"), "--test", str(root / "checks.py"))
    assert r.returncode == 0, r.stderr
    assert "fix 1:" in r.stdout and "Validated by running the tests" in r.stdout


def test_no_fix_still_exits_zero(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"calc.py": CALC, "tests/test_calc.py": TEST_CALC})
    r = run_tact("fix", str(root / "calc.py"), "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    r = run_tact("fix", str(root / "calc.py"))
    assert r.returncode == 0 and "no fix" in r.stdout


def test_syntax_error_fix_in_json(tmp_path: Path) -> None:
    p = tmp_path / "broken.py"
    p.write_text("def f(x)\n    return x\n")
    r = run_tact("fix", str(p), "--json")
    fixes = json.loads(r.stdout)
    assert fixes[0]["fixed_source"] == "def f(x):\n    return x\n"
    assert fixes[0]["edit_size"] == 1
    # the packaged fix model scores every listed fix (none is hidden by the CLI)
    assert all(0.0 <= f["p_applied"] <= 1.0 for f in fixes)


def test_corrupt_fix_model_is_reported_and_fixes_still_listed(tmp_path: Path) -> None:
    p = tmp_path / "broken.py"
    p.write_text("def f(x)\n    return x\n")
    model = tmp_path / "model"
    model.mkdir()
    (model / "fix_card.json").write_text("{ not json")
    (model / "fix.onnx").write_bytes(b"garbage")
    r = run_tact("fix", str(p), "--json", "--model", str(model))
    assert r.returncode == 0, r.stderr
    fixes = json.loads(r.stdout)
    assert fixes[0]["fixed_source"] == "def f(x):\n    return x\n"
    assert "fix model refused" in r.stderr


def test_unreadable_input_is_a_one_line_error(tmp_path: Path) -> None:
    for target in (tmp_path / "missing.py", tmp_path):
        r = run_tact("fix", str(target))
        assert r.returncode == 2
        assert r.stderr.startswith("tact fix: error: cannot read")
        assert len(r.stderr.strip().splitlines()) == 1
    binary = tmp_path / "bin.py"
    binary.write_bytes(b"\xff\xfe\x00bad")
    r = run_tact("fix", str(binary))
    assert r.returncode == 2 and "not UTF-8" in r.stderr


def test_a_byte_order_mark_is_no_character_of_the_code(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfdef f(a, b)\n    return a + b\n")
    r = run_tact("fix", str(path), "--json")
    assert r.returncode == 0, r.stderr
    fixes = json.loads(r.stdout)
    assert fixes and fixes[0]["operator"] == "insert ':'"
    assert fixes[0]["range"]["start"] == {"line": 0, "character": 11}  # as the editor counts
    assert fixes[0]["fixed_source"] == "\ufeffdef f(a, b):\n    return a + b\n"
