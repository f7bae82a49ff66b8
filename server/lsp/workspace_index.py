"""Teach the engine the workspace's own code, in the background, within bounds.

Runs on a daemon thread after ``initialized`` so the first request never waits for
it. Bounded in files and bytes (a home directory opened as a workspace must not take
minutes), skipping vendored and generated folders.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from tact.server.pipeline.context import EXTENSIONS

log = logging.getLogger("tact.index")

MAX_FILES = 2000
MAX_BYTES = 20_000_000
MAX_FILE_BYTES = 1_000_000
SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "env",
    "__pycache__",
    "site-packages",
    "dist",
    "build",
    "target",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".idea",
    ".vscode",
    "out",
}


def source_files(roots: Iterable[Path]) -> list[Path]:
    """Source files under ``roots`` in a stable order, within the file and byte bounds."""
    found: list[Path] = []
    total = 0
    for root in roots:
        if root.is_file():
            candidates: Iterable[tuple[str, list[str], list[str]]] = [
                (str(root.parent), [], [root.name])
            ]
        else:
            candidates = os.walk(root)
        for folder, dirs, files in candidates:
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if path.suffix.lower() not in EXTENSIONS:
                    continue
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                if size > MAX_FILE_BYTES:
                    continue
                if len(found) >= MAX_FILES or total + size > MAX_BYTES:
                    log.info("workspace indexing stopped at %d files (bound reached)", len(found))
                    return found
                found.append(path)
                total += size
    return found
