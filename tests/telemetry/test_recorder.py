"""AsyncRecorder: enqueue never waits on the database; errors are counted, not raised.

"Never blocks" is shown structurally, not with timings: the test thread holds the
database lock while it enqueues, and releases it only after every enqueue returned.
If an enqueue waited for the database it would deadlock (pytest-timeout fails it).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from tact.telemetry.errors import UnsupportedUrlError
from tact.telemetry.recorder import AsyncRecorder
from tact.telemetry.records import Outcome
from tact.telemetry.store import open_store
from tact.telemetry.url import sqlite_url
from telemetry_helpers import full_decision, simple_decision

pytestmark = pytest.mark.timeout(60)


def test_records_and_outcomes_arrive_in_order(db_path: Path) -> None:
    url = sqlite_url(db_path)
    with AsyncRecorder(url) as rec:
        for i in range(20):
            rec.record(simple_decision(i))
            rec.mark_shown(f"x-{i:05d}", 2000.0 + i)
        rec.set_outcome("x-00001", Outcome.PARTIAL, accepted_chars=4, time=3.0)
        rec.set_outcome("x-00001", "accepted", time=4.0)
        rec.set_outcome("x-00002", "rejected")
        rec.record(full_decision(7))
        assert rec.flush(timeout=30)
        assert rec.pending == 0 and rec.errors == 0 and rec.dropped == 0
        assert rec.written == 20 + 20 + 3 + 1
    with open_store(url) as s:
        assert s.count() == 21
        assert s.get("x-00001").outcome is Outcome.ACCEPTED
        assert s.get("x-00001").accepted_chars == 10
        assert s.get("x-00002").outcome is Outcome.REJECTED
        assert s.get("x-00005").shown_time == 2005.0
        assert s.get("d-0007") == full_decision(7)


def test_enqueue_does_not_wait_for_a_locked_database(db_path: Path) -> None:
    url = sqlite_url(db_path)
    with open_store(url):
        pass  # create it (WAL mode)
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    rec = AsyncRecorder(url, lock_timeout=0.05, retry_interval=0.02)
    try:
        for i in range(500):
            rec.record(simple_decision(i))
        rec.set_outcome("x-00003", "accepted")
        # Everything is enqueued while the lock is held; nothing can be written yet.
        assert not rec.flush(timeout=0.3)
        assert rec.pending == 501
        assert locker.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert rec.flush(timeout=30)
    assert rec.errors == 0 and rec.dropped == 0
    assert rec.last_error is not None and "locked" in rec.last_error
    rec.close()
    with open_store(url) as s:
        assert s.count() == 500
        assert s.get("x-00003").outcome is Outcome.ACCEPTED


def test_close_gives_up_on_a_lock_that_outlasts_its_timeout(db_path: Path) -> None:
    url = sqlite_url(db_path)
    with open_store(url):
        pass
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        rec = AsyncRecorder(url, lock_timeout=0.05, retry_interval=0.02)
        for i in range(10):
            rec.record(simple_decision(i))
        assert rec.close(timeout=0.2) is False
        assert rec.dropped == 10
        rec.record(simple_decision(11))  # after close: dropped, not raised
        assert rec.dropped == 11
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_write_errors_are_logged_and_counted_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "foreign.db"
    path.write_text("not sqlite at all\n")
    caplog.set_level(logging.ERROR, logger="tact.telemetry")
    with AsyncRecorder(sqlite_url(path)) as rec:
        rec.record(simple_decision(1))
        rec.set_outcome("x-00001", "accepted")
        assert rec.flush(timeout=30)
        assert rec.errors == 2 and rec.written == 0
        assert "not a SQLite database" in (rec.last_error or "")
    assert path.read_text() == "not sqlite at all\n"
    assert any("not a SQLite database" in r.getMessage() for r in caplog.records)


def test_one_bad_decision_does_not_sink_its_batch(db_path: Path) -> None:
    url = sqlite_url(db_path)
    with AsyncRecorder(url) as rec:
        rec.record(simple_decision(1))
        rec.record(simple_decision(2, stage="bogus"))
        rec.record(simple_decision(3))
        assert rec.flush(timeout=30)
        assert rec.errors == 1 and rec.written == 2
    with open_store(url) as s:
        assert sorted(d.id for d in s.iter_decisions()) == ["x-00001", "x-00003"]


def test_full_queue_drops_instead_of_blocking(db_path: Path) -> None:
    url = sqlite_url(db_path)
    with open_store(url):
        pass
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        rec = AsyncRecorder(url, max_queue=5, batch_size=1, lock_timeout=0.05)
        for i in range(50):
            rec.record(simple_decision(i))
        assert rec.dropped >= 50 - 5 - 1  # at most the queue plus one batch in flight
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert rec.flush(timeout=30)
    rec.close()
    with open_store(url) as s:
        assert s.count() == 50 - rec.dropped


def test_bad_url_is_a_configuration_error_at_construction() -> None:
    with pytest.raises(UnsupportedUrlError):
        AsyncRecorder("mysql://localhost/tact")


def test_text_is_not_stored_unless_opted_in(tmp_path: Path) -> None:
    private, opted = sqlite_url(tmp_path / "p.db"), sqlite_url(tmp_path / "o.db")
    decision = full_decision(1)
    with AsyncRecorder(private, store_text=False) as rec:
        rec.record(decision)
    with AsyncRecorder(opted, store_text=True) as rec:
        rec.record(decision)
    assert decision.suggestion_text == "print('hi')\n"  # the caller's object is untouched
    with open_store(private) as s:
        got = s.get(decision.id)
        assert got.suggestion_text is None and got.context_text is None
        assert got.suggestion_hash == decision.suggestion_hash and got.features
    with open_store(opted) as s:
        assert s.get(decision.id) == decision
