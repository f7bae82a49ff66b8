from filter_helpers import context
from tact.server.pipeline.filters import empty


def test_whitespace_only_is_dropped() -> None:
    ctx = context("x = |")
    assert empty.apply("", ctx) is None
    assert empty.apply("  \n\t", ctx) is None
    assert empty.apply("1", ctx) == "1"
