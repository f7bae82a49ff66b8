"""Fixtures of the real-editor tests (helpers live in editor_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from editor_support import EditorWorkspace, make_workspace


@pytest.fixture
def editor_workspace(tmp_path: Path) -> EditorWorkspace:
    return make_workspace(tmp_path)
