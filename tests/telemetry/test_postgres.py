"""The PostgreSQL store: same API and results as SQLite, on a real throwaway cluster."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pg_cluster
import pytest
from tact.telemetry.errors import SchemaTooNewError, StoreLockedError, TelemetryError
from tact.telemetry.export import export_decisions
from tact.telemetry.migrations import LATEST_VERSION
from tact.telemetry.recorder import AsyncRecorder
from tact.telemetry.records import Outcome, Stage
from tact.telemetry.store import TelemetryStore, open_store
from tact.telemetry.url import sqlite_url
from telemetry_helpers import event, full_decision, simple_decision, write_events

psycopg = pytest.importorskip("psycopg")
_REASON = pg_cluster.unavailable_reason()
pytestmark = [
    pytest.mark.skipif(_REASON is not None, reason=f"no PostgreSQL here: {_REASON}"),
    pytest.mark.timeout(120),
]
_names = itertools.count()


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with pg_cluster.cluster() as url:
        yield url


@pytest.fixture
def pg_url(server_url: str) -> str:
    """A fresh, empty database per test."""
    name = f"t{next(_names)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server_url.replace("/postgres?", f"/{name}?")


def exercise(store: TelemetryStore) -> dict[str, Any]:
    """One script of operations; returns everything observable."""
    store.record_many([simple_decision(i, latency_ms=float(i % 17)) for i in range(2500)])
    store.record(full_decision(1))
    store.record(simple_decision(5, language="rust"))  # replaces
    results = [
        store.set_outcome("x-00001", "partial", accepted_chars=3),
        store.set_outcome("x-00001", "partial", accepted_chars=2),
        store.set_outcome("x-00001", "accepted", time=9.0),
        store.set_outcome("x-00002", "rejected"),
        store.set_outcome("x-00002", "accepted"),
        store.set_outcome("missing", "accepted"),
        store.mark_shown("x-00003", 4.5),
        store.mark_shown("x-00003", 5.5),
    ]
    out = io.StringIO()
    export_decisions(store, "csv", out)
    return {
        "results": results,
        "count": store.count(),
        "count_session": store.count(session="s-1", since=1500.0),
        "first": [d.id for d in itertools.islice(store.iter_decisions(), 5)],
        "all": [d.id for d in store.iter_decisions()],
        "get": [store.get(i) for i in ("x-00001", "x-00002", "x-00003", "x-00005", "d-0001")],
        "stats": store.stats().to_dict(),
        "stats_since": store.stats(since=2000.0).to_dict(),
        "csv": out.getvalue(),
    }


def test_same_results_as_sqlite(pg_url: str, tmp_path: Path) -> None:
    with open_store(pg_url) as pg, open_store(sqlite_url(tmp_path / "t.db")) as lite:
        assert type(pg).__name__ == "PostgresStore"
        assert pg.schema_version == LATEST_VERSION
        got, want = exercise(pg), exercise(lite)
    assert got == want
    assert got["get"][0].outcome is Outcome.ACCEPTED and got["get"][4] == full_decision(1)
    assert got["get"][4].stage is Stage.HIDDEN


def test_reopen_is_idempotent_and_newer_schema_refused(pg_url: str) -> None:
    with open_store(pg_url) as s:
        s.record(simple_decision(1))
    with open_store(pg_url) as s:
        assert s.count() == 1
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version VALUES (%s, 'future', 0)", (LATEST_VERSION + 1,))
    with pytest.raises(SchemaTooNewError, match="newer than this tact"):
        open_store(pg_url)


def test_lock_gives_clear_error_and_keeps_data(pg_url: str) -> None:
    with open_store(pg_url) as s:
        s.record_many([simple_decision(i) for i in range(3)])
    with psycopg.connect(pg_url) as other, open_store(pg_url, timeout=0.2) as s:
        other.execute("LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE")
        other.execute("DELETE FROM decisions")
        with pytest.raises(StoreLockedError, match="locked by another connection"):
            s.record(simple_decision(9))
        other.rollback()
        assert s.count() == 3
        s.record(simple_decision(9))
        assert s.count() == 4


def test_password_is_not_shown_in_errors() -> None:
    url = "postgresql://tact:hunter2@/postgres?host=/nonexistent-tact-socket&port=1"
    with pytest.raises(TelemetryError, match="cannot connect") as info:
        open_store(url, timeout=1)
    assert "hunter2" not in str(info.value) and "\n" not in str(info.value)


def test_async_recorder_writes_to_postgres(pg_url: str) -> None:
    with AsyncRecorder(pg_url) as rec:
        for i in range(300):
            rec.record(simple_decision(i))
        rec.set_outcome("x-00007", "accepted")
        assert rec.flush(timeout=60) and rec.errors == 0
    with open_store(pg_url) as s:
        assert s.count() == 300 and s.get("x-00007").outcome is Outcome.ACCEPTED


def test_cli_import_stats_export(pg_url: str, tmp_path: Path) -> None:
    rows = [event(1, 1, "Shown"), event(1, 2, "Accepted"), event(1, 5, "Shown")]
    path = write_events(tmp_path / "cups.jsonl", rows)

    def tact(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tact", "telemetry", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert tact("import", "--format", "cups", str(path), "--telemetry", pg_url).returncode == 0
    stats = json.loads(tact("stats", "--json", "--telemetry", pg_url).stdout)
    assert stats["total"] == 2 and stats["by_outcome"] == {"accepted": 1, "unknown": 1}
    exported = tact("export", "--format", "jsonl", "--telemetry", pg_url)
    assert len(exported.stdout.splitlines()) == 2
