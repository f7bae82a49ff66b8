from filter_helpers import context
from tact.server.pipeline.filters import repeats_neighbour_line


def test_repeating_line_above_is_dropped() -> None:
    ctx = context("    total = compute(a, b)\n    |\n")
    assert repeats_neighbour_line.apply("total = compute(a, b)", ctx) is None


def test_repeating_line_below_is_dropped() -> None:
    ctx = context("def f():\n    resu|\n    result = run(x)\n")
    assert repeats_neighbour_line.apply("lt = run(x)", ctx) is None


def test_short_lines_may_repeat() -> None:
    ctx = context("    pass\n    |\n")
    assert repeats_neighbour_line.apply("pass", ctx) == "pass"


def test_new_line_is_kept() -> None:
    ctx = context("    total = compute(a, b)\n    |\n")
    assert repeats_neighbour_line.apply("return total", ctx) == "return total"
