"""Fixtures for telemetry tests: a fresh file store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tact.telemetry.store import TelemetryStore, open_store
from tact.telemetry.url import sqlite_url


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "telemetry.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[TelemetryStore]:
    s = open_store(sqlite_url(db_path))
    yield s
    s.close()
