"""Find the tests that exercise a file, by the usual pytest conventions.

Order of evidence: ``test_<name>.py`` / ``<name>_test.py`` beside the file, the same
names under a ``tests``/``test`` folder of the project, then any test file of the
project that imports the module. Bounded, so a huge tree cannot stall the server.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tact.server.fixes.sandbox import SKIP_DIRS, project_root

MAX_SCAN = 2000


def is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") or path.name.endswith("_test.py")


def discover_tests(path: Path, root: Path | None = None) -> list[Path]:
    """Test files for ``path`` (absolute, existing), best evidence first."""
    path = path.resolve()
    root = (root or project_root(path)).resolve()
    stem = path.stem
    if is_test_file(path):
        return []
    names = {f"test_{stem}.py", f"{stem}_test.py"}
    found: list[Path] = []

    def add(p: Path) -> None:
        if p.is_file() and p.resolve() not in found and p.resolve() != path:
            found.append(p.resolve())

    for n in sorted(names):
        add(path.parent / n)
        for folder in ("tests", "test"):
            add(path.parent / folder / n)
            add(root / folder / n)
    importers = re.compile(
        rf"^\s*(from\s+[\w.]*\b{re.escape(stem)}\s+import|import\s+[\w.]*\b{re.escape(stem)}\b"
        rf"|from\s+[\w.]+\s+import\s+.*\b{re.escape(stem)}\b)", re.M)
    scanned = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(".py") or not (name.startswith("test_")
                                                or name.endswith("_test.py")):
                continue
            scanned += 1
            if scanned > MAX_SCAN:
                return found
            p = Path(dirpath) / name
            if name in names:
                add(p)
                continue
            try:
                text = p.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if importers.search(text):
                add(p)
    return found
