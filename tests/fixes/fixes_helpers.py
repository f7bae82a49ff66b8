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


# One test demands what another forbids (label(18) is both "adult" and "minor"): every
# edit that makes test_contradiction pass breaks a test that passed.
ADULT = '''\
def is_adult(age):
    return age > 18


def label(age):
    return "adult" if is_adult(age) else "minor"
'''

TEST_ADULT = '''\
from calc import label


def test_eighteen():
    assert label(18) == "adult"


def test_child():
    assert label(18) == "adult" and label(17) == "minor"


def test_nineteen_and_a_half():
    assert label(18.5) == "adult"


def test_contradiction():
    assert label(18) == "minor"
'''

# A test that never ends and one that eats memory, between two that pass.
RUNAWAY = '''\
def add(a, b):
    return a + b


def spin():
    while True:
        pass


def hog():
    chunks = []
    while True:
        chunks.append(bytearray(50 * 1024 * 1024))
'''

TEST_RUNAWAY = '''\
from calc import add, hog, spin


def test_add():
    assert add(1, 2) == 3


def test_spin():
    spin()


def test_hog():
    hog()


def test_after():
    assert add(2, 2) == 4
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
