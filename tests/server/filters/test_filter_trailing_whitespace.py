from filter_helpers import context
from tact.server.pipeline.filters import trailing_whitespace


def test_trailing_whitespace_is_stripped() -> None:
    ctx = context("x = |")
    assert trailing_whitespace.apply("1  \n    ", ctx) == "1"
    assert trailing_whitespace.apply("  1", ctx) == "  1"  # leading space is meaningful
