"""The simulated programmer's pieces: acceptance rule, pause points, seeded draws."""

from __future__ import annotations

import numpy as np
from tact.server.replay.acceptance import judge
from tact.server.replay.programmer import Programmer
from tact.server.replay.segment import natural_points


def test_full_accept_needs_the_whole_rest_of_line() -> None:
    upcoming = "items.append(x)\n    return items\n"
    assert judge("items.append(x)", upcoming).kind == "full"
    assert judge("items.append(x)\n    return items", upcoming).kind == "full"
    # Correct first line, wrong second line: only the matching part is taken.
    verdict = judge("items.append(x)\n    return None", upcoming)
    assert verdict.kind == "partial" and upcoming[: verdict.chars] == "items.append(x)\n    return "


def test_partial_accept_stops_at_a_word_boundary() -> None:
    verdict = judge("result = self.items.appendleft(x)", "result = self.items.append(x)\n")
    assert verdict.kind == "partial" and verdict.chars == len("result = self.items.")
    # Right only in its first few characters: ignored.
    assert judge("items.appendleft(x)", "items.append(x)\n").kind == "none"
    assert judge("ite", "items\n").kind == "none"  # under the minimum, and mid-word
    assert judge("xyz", "abc\n").kind == "none"
    assert judge("   ", "   \n").kind == "none"


def test_natural_points() -> None:
    text = "def f(a):\n    return a\n\nx = f(1)\n"
    points = dict(natural_points(text))
    assert points[text.index(" f(")] == "token"  # after "def"
    assert points[text.index("return")] == "block"  # line after a ':'
    assert points[text.index("x =")] == "block"  # after a blank line / dedent
    assert 0 not in points and len(text) not in points
    assert list(points) == sorted(points)


def test_programmer_is_fixed_by_the_seed() -> None:
    a = Programmer.draw(np.random.default_rng(7))
    b = Programmer.draw(np.random.default_rng(7))
    c = Programmer.draw(np.random.default_rng(8))
    assert a == b and a != c
    rng = np.random.default_rng(1)
    assert 0.06 <= a.median_iki <= 0.8
    assert a.typing_time(0, rng) == 0.0 and a.typing_time(10, rng) > 0
