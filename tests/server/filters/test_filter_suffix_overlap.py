from filter_helpers import context
from tact.server.pipeline.filters import suffix_overlap


def test_closing_bracket_already_after_cursor_is_trimmed() -> None:
    ctx = context("print(|)\n")
    assert suffix_overlap.apply("x, y)", ctx) == "x, y"


def test_longest_overlap_is_trimmed() -> None:
    ctx = context("d = {'a': f(|)}\n")
    assert suffix_overlap.apply("1)}", ctx) == "1"


def test_suggestion_already_typed_after_cursor_is_dropped() -> None:
    ctx = context("foo(|bar)\n")
    assert suffix_overlap.apply("bar", ctx) is None


def test_no_suffix_leaves_text_alone() -> None:
    ctx = context("x = |\n")
    assert suffix_overlap.apply("compute(1)", ctx) == "compute(1)"
