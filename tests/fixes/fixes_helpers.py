"""Shared fixtures for the fix tests: small real-looking projects on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CALC = '''\
def clamp(value, low, high):
    """Clamp value into [low, high]."""
    if value < low:
        return low
    if value > high:
        return high
    return value


def average(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)
'''

CALC_BUGGY = CALC.replace("if value > high", "if value >= high + 1")

TEST_CALC = '''\
from calc import average, clamp


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5


def test_clamp_low():
    assert clamp(-3, 0, 10) == 0


def test_clamp_high():
    assert clamp(10.5, 0, 10) == 10


def test_clamp_edges():
    assert clamp(10, 0, 10) == 10
    assert clamp(9.5, 0, 10) == 9.5
    assert clamp(10.25, 0, 10) == 10


def test_average():
    assert average([1, 2, 3]) == 2
'''


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def run_tact(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tact", *args], capture_output=True,
                          text=True, timeout=timeout)
