"""The SQLite store: migrations, round trips, outcome rules, locks and foreign files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tact.telemetry.errors import (
    NotADatabaseError,
    SchemaTooNewError,
    StoreLockedError,
    StoreMissingError,
    TelemetryError,
)
from tact.telemetry.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    apply_migrations,
    current_version,
)
from tact.telemetry.records import Decision, Outcome, Stage
from tact.telemetry.store import TelemetryStore, open_store, percentile
from tact.telemetry.url import sqlite_url
from telemetry_helpers import full_decision, simple_decision

# -- migrations -----------------------------------------------------------------------


def test_migrations_apply_and_are_idempotent(db_path: Path) -> None:
    with open_store(sqlite_url(db_path)) as s:
        assert s.schema_version == LATEST_VERSION
        s.record(simple_decision(1))
    for _ in range(2):  # reopening applies nothing and keeps the data
        with open_store(sqlite_url(db_path)) as s:
            assert s.schema_version == LATEST_VERSION
            assert s.count() == 1
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    columns = {r[1] for r in conn.execute("PRAGMA table_info(decisions)")}
    fields = set(Decision.__dataclass_fields__)
    assert columns == fields, (
        f"Decision fields without a column: {sorted(fields - columns)}; columns without a "
        f"field: {sorted(columns - fields)}. Add a migration to telemetry/migrations.py "
        f"(MIGRATIONS; the PostgreSQL list is derived from it)."
    )
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_later_migrations_run_in_order_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    extra = (
        *MIGRATIONS,
        Migration(LATEST_VERSION + 1, "add t", ("CREATE TABLE t (x INTEGER)",)),
        Migration(LATEST_VERSION + 2, "fill t", ("INSERT INTO t VALUES (7)",)),
    )
    assert apply_migrations(conn, MIGRATIONS) == LATEST_VERSION
    assert apply_migrations(conn, extra) == LATEST_VERSION + 2
    assert apply_migrations(conn, extra) == LATEST_VERSION + 2  # nothing re-run
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1
    conn.close()


def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    broken = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", ("CREATE TABLE (",)))
    with pytest.raises(sqlite3.OperationalError):
        apply_migrations(conn, broken)
    assert current_version(conn) == LATEST_VERSION
    conn.close()


def test_newer_schema_is_refused_with_clear_message(db_path: Path) -> None:
    with open_store(sqlite_url(db_path)) as s:
        s.record(simple_decision(1))
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO schema_version VALUES (?, 'from the future', 0)", (LATEST_VERSION + 5,)
    )
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="newer than this tact") as info:
        open_store(sqlite_url(db_path))
    assert str(LATEST_VERSION + 5) in str(info.value)
    conn = sqlite3.connect(db_path)  # and it was not touched
    assert conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 1
    conn.close()


# -- round trip -----------------------------------------------------------------------


def test_every_field_round_trips(store: TelemetryStore) -> None:
    original = full_decision(3)
    store.record(original)
    back = store.get(original.id)
    assert back == original
    assert isinstance(back.stage, Stage) and isinstance(back.outcome, Outcome)
    assert type(back.features["f_int"]) is int and type(back.features["f_bool"]) is bool


def test_defaults_round_trip_and_missing_id(store: TelemetryStore) -> None:
    d = Decision(id="plain", session="s", time=1.0, language="go")
    store.record(d)
    assert store.get("plain") == d
    assert store.get("nope") is None


def test_numpy_feature_values_are_stored_as_numbers(store: TelemetryStore) -> None:
    np = pytest.importorskip("numpy")
    store.record(simple_decision(1, features={"a": np.float32(0.5), "b": np.int64(3)}))
    assert store.get("x-00001").features == {"a": 0.5, "b": 3}


def test_record_many_is_all_or_nothing(store: TelemetryStore) -> None:
    good = [simple_decision(i) for i in range(3000)]
    bad = simple_decision(99_999, stage="not-a-stage")
    with pytest.raises(TelemetryError, match="invalid decision"):
        store.record_many([*good, bad])
    assert store.count() == 0
    assert store.record_many(good) == 3000
    assert store.count() == 3000


def test_recording_an_id_again_replaces_it(store: TelemetryStore) -> None:
    store.record(simple_decision(1, language="python"))
    store.record(simple_decision(1, language="rust"))
    assert store.count() == 1
    assert store.get("x-00001").language == "rust"


def test_iter_decisions_time_order_and_filters(store: TelemetryStore) -> None:
    # Insert in reverse time order, more than one page, with ties in time.
    decisions = [simple_decision(i, time=float(i // 2)) for i in range(4500)]
    decisions[7].source = "cups"
    store.record_many(list(reversed(decisions)))
    got = list(store.iter_decisions())
    assert [d.id for d in got] == sorted(d.id for d in decisions)
    assert [d.time for d in got] == sorted(d.time for d in decisions)
    assert [d.id for d in store.iter_decisions(source="cups")] == [decisions[7].id]
    since = list(store.iter_decisions(since=2000.0))
    assert len(since) == store.count(since=2000.0) == 4500 - 4000
    store.record(simple_decision(99_999, stage=Stage.SKIPPED, shown=False))
    assert [d.id for d in store.iter_decisions(stage="skipped")] == ["x-99999"]
    assert store.count(stage=Stage.SHOWN) == 4500
    s1 = list(store.iter_decisions(session="s-1"))
    assert {d.session for d in s1} == {"s-1"} and len(s1) == store.count(session="s-1")


# -- outcomes -------------------------------------------------------------------------


def test_outcome_upgrade_rules(store: TelemetryStore) -> None:
    store.record_many([simple_decision(i) for i in range(4)])
    # unknown -> rejected, and a rejected one never changes again
    assert store.set_outcome("x-00000", Outcome.REJECTED, time=5.0)
    assert not store.set_outcome("x-00000", Outcome.ACCEPTED)
    assert not store.set_outcome("x-00000", "partial", accepted_chars=3)
    assert store.get("x-00000").outcome is Outcome.REJECTED
    # unknown -> partial -> longer partial -> accepted (takes the suggestion length)
    assert store.set_outcome("x-00001", "partial", accepted_chars=3, time=6.0)
    assert not store.set_outcome("x-00001", "partial", accepted_chars=2)
    assert not store.set_outcome("x-00001", "rejected")
    assert store.set_outcome("x-00001", "partial", accepted_chars=6)
    assert store.get("x-00001").accepted_chars == 6
    assert store.set_outcome("x-00001", "accepted", time=7.0)
    d = store.get("x-00001")
    assert (d.outcome, d.accepted_chars, d.outcome_time) == (Outcome.ACCEPTED, 10, 7.0)
    assert not store.set_outcome("x-00001", "accepted")
    # accepted is final
    assert store.set_outcome("x-00002", "accepted", accepted_chars=4)
    assert not store.set_outcome("x-00002", "rejected")
    assert store.get("x-00002").accepted_chars == 4
    # unknown ids and an unknown "outcome"
    assert not store.set_outcome("missing", "accepted")
    with pytest.raises(ValueError):
        store.set_outcome("x-00003", Outcome.UNKNOWN)
    with pytest.raises(ValueError):
        store.set_outcome("x-00003", "maybe")


def test_mark_shown_first_report_wins(store: TelemetryStore) -> None:
    store.record(simple_decision(1))
    assert store.mark_shown("x-00001", 12.5)
    assert not store.mark_shown("x-00001", 13.0)
    assert store.get("x-00001").shown_time == 12.5
    assert not store.mark_shown("missing", 1.0)


# -- stats ----------------------------------------------------------------------------


def test_stats_counts_rate_and_latency(store: TelemetryStore) -> None:
    rows = []
    for i in range(10):
        rows.append(simple_decision(i, latency_ms=float(i + 1)))
    rows.append(simple_decision(10, stage=Stage.HIDDEN, shown=False, latency_ms=None))
    rows.append(simple_decision(11, stage=Stage.SKIPPED, shown=False, source="replay"))
    store.record_many(rows)
    for i in range(3):
        store.set_outcome(f"x-{i:05d}", "accepted")
    store.set_outcome("x-00003", "partial", accepted_chars=2)
    for i in range(4, 8):
        store.set_outcome(f"x-{i:05d}", "rejected")
    store.set_outcome("x-00010", "rejected")  # hidden: not part of the acceptance rate
    st = store.stats()
    assert st.total == 12 and st.sessions == 4
    assert st.by_stage == {"shown": 10, "hidden": 1, "skipped": 1}
    assert st.by_outcome == {"accepted": 3, "partial": 1, "rejected": 5, "unknown": 3}
    assert st.by_source == {"tact": 11, "replay": 1}
    assert (st.shown, st.shown_accepted, st.shown_partial, st.shown_rejected) == (10, 3, 1, 4)
    assert st.shown_unknown == 2
    assert st.acceptance_rate == pytest.approx(4 / 8)
    assert st.accepted_chars == 3 * 10 + 2
    assert st.latency_count == 10
    assert st.latency_p50_ms == pytest.approx(5.5)
    assert st.latency_p99_ms == pytest.approx(9.91)
    later = store.stats(since=1005.0)
    assert later.total == 7
    assert store.stats(source="replay").total == 1


def test_stats_of_empty_store(store: TelemetryStore) -> None:
    st = store.stats()
    assert st.total == 0 and st.acceptance_rate is None and st.latency_p50_ms is None


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)


# -- bad files, locks, lifetime -------------------------------------------------------


def test_not_a_database_is_refused_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n" * 100
    path.write_bytes(content)
    with pytest.raises(NotADatabaseError, match="not a SQLite database") as info:
        open_store(sqlite_url(path))
    assert "\n" not in str(info.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # no -wal/-shm


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotADatabaseError, match="directory"):
        open_store(sqlite_url(tmp_path))


def test_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with open_store(sqlite_url(path)) as s:
        assert s.count() == 0


def test_missing_store_without_create(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "none.db"
    with pytest.raises(StoreMissingError, match="no telemetry store"):
        open_store(sqlite_url(path), create=False)
    assert not path.parent.exists()
    with open_store(sqlite_url(path)):  # create=True makes the folders
        pass
    assert path.is_file()


def test_locked_database_gives_clear_error_and_keeps_data(db_path: Path) -> None:
    with open_store(sqlite_url(db_path)) as s:
        s.record_many([simple_decision(i) for i in range(5)])
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("DELETE FROM decisions WHERE id = 'x-00000'")  # uncommitted
    try:
        with open_store(sqlite_url(db_path), timeout=0.1) as s:
            with pytest.raises(StoreLockedError, match="locked by another connection") as info:
                s.record(simple_decision(99))
            assert "\n" not in str(info.value)
            with pytest.raises(StoreLockedError):
                s.set_outcome("x-00001", "accepted")
            assert s.count() == 5  # WAL: readers still see the committed data
    finally:
        other.execute("ROLLBACK")
        other.close()
    with open_store(sqlite_url(db_path)) as s:
        assert s.count() == 5
        assert s.get("x-00001").outcome is Outcome.UNKNOWN
        s.record(simple_decision(99))  # and writing works again
        assert s.count() == 6
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_open_while_a_rollback_journal_db_is_locked(tmp_path: Path) -> None:
    """A database not yet in WAL mode, exclusively locked: even opening must wait/fail."""
    path = tmp_path / "legacy.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE keep (x)")
    other.execute("INSERT INTO keep VALUES (42)")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO keep VALUES (43)")
    try:
        with pytest.raises(StoreLockedError):
            open_store(sqlite_url(path), timeout=0.1)
    finally:
        other.execute("COMMIT")
        other.close()
    with open_store(sqlite_url(path)) as s:
        assert s.count() == 0
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT x FROM keep ORDER BY x").fetchall() == [(42,), (43,)]
    conn.close()


def test_closed_store_raises_clearly(store: TelemetryStore) -> None:
    store.close()
    store.close()  # idempotent
    with pytest.raises(TelemetryError, match="closed"):
        store.count()


def test_memory_store_works() -> None:
    with open_store("sqlite:///:memory:") as s:
        s.record(full_decision(1))
        assert s.get("d-0001") == full_decision(1)


def test_client_accept_overrides_inferred_rejection_only_when_asked(tmp_path) -> None:
    """Neovim re-inserts the word before running tact.accept: the server infers a
    rejection first, and the client's accept must still win (override=True)."""
    from tact.telemetry.records import Decision, Outcome
    from tact.telemetry.store import open_store

    with open_store(f"sqlite:///{tmp_path / 't.db'}") as store:
        store.record(Decision(id="a", session="s", time=1.0, language="python",
                              suggestion_chars=7))
        assert store.set_outcome("a", Outcome.REJECTED, time=2.0)
        assert not store.set_outcome("a", Outcome.ACCEPTED, time=3.0)
        assert store.get("a").outcome is Outcome.REJECTED
        assert store.set_outcome("a", Outcome.ACCEPTED, time=3.0, override=True)
        row = store.get("a")
        assert row.outcome is Outcome.ACCEPTED
        assert row.accepted_chars == 7
