"""`site:` replay specs: third-party training replays, never the gate's test packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from tact.server.replay.sources import (
    SITE_DEFAULT,
    SITE_HELD_OUT,
    SITE_RELATED,
    site_sessions,
)


def test_default_is_the_listed_packages_in_order(tmp_path: Path) -> None:
    assert site_sessions("default", tmp_path) == [[tmp_path / n] for n in SITE_DEFAULT]
    assert site_sessions("sklearn/utils", tmp_path) == [[tmp_path / "sklearn/utils"]]


def test_default_never_names_a_held_out_package_or_its_project() -> None:
    tops = {n.split("/", 1)[0] for n in SITE_DEFAULT}
    assert not tops & (SITE_HELD_OUT | SITE_RELATED)
    assert {"httpx", "pygls", "attr", "markdown_it", "pygments", "packaging"} == SITE_HELD_OUT


@pytest.mark.parametrize("name", ["pygments", "attrs", "packaging/version.py", "pip"])
def test_held_out_and_related_packages_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="held out of training"):
        site_sessions(name, tmp_path)
