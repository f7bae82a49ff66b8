from filter_helpers import context
from tact.server.pipeline.filters import FILTERS, run_filters


def test_chain_runs_every_filter_and_names_the_dropper() -> None:
    assert len(FILTERS) == 5
    ctx = context("print(|)\n")
    assert run_filters("value)  \n", ctx) == ("value", None)
    assert run_filters("   ", context("x = |\n")) == (None, "empty")
