from filter_helpers import context
from tact.server.pipeline.filters import max_lines


def test_cut_to_max_lines() -> None:
    ctx = context("def f():\n    |", max_lines=2)
    assert max_lines.apply("a\nb\nc\nd", ctx) == "a\nb"
    assert max_lines.apply("a\nb", ctx) == "a\nb"
