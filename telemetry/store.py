"""The telemetry store: one row per suggestion decision, in SQLite (or PostgreSQL).

Why plain :mod:`sqlite3` from the standard library (no ORM, no driver to install):

- zero dependencies: the bottom layer of tact needs no database driver and cannot
  break on a driver upgrade; every Python has it (orjson, when installed, only speeds
  up the feature JSON, see :mod:`tact.telemetry.jsoncodec`);
- WAL journal: the language server writes while ``tact model train`` or
  ``tact telemetry export`` read the same file, and readers never block the writer
  (``synchronous=NORMAL`` is crash-safe in WAL mode and avoids an fsync per commit);
- speed: ``executemany`` of pre-built tuples inside one transaction costs ~13 us of
  CPU per decision with 40 features (~75,000 decisions per CPU-second, see
  ``benchmarks/bench_telemetry.py``); an ORM's object layer would cost several times
  that.

Each decision is one row; the :class:`~tact.telemetry.records.Decision` fields are
columns and ``features`` is a JSON object in a text column (the feature schema changes
with every model; a column per feature would need a migration per model).
A ``busy_timeout`` makes a briefly locked database wait, a longer lock raises
:class:`StoreLockedError` with nothing written, and a file that is not a SQLite database
is refused before SQLite touches it. ``postgresql://`` URLs give the same API on
PostgreSQL (:mod:`tact.telemetry.postgres`, optional).

Adding a field to ``Decision`` needs a migration adding its column (both dialects in
:mod:`tact.telemetry.migrations`); ``tests/telemetry/test_store.py`` checks they match.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from tact.telemetry import jsoncodec
from tact.telemetry.errors import (
    NotADatabaseError,
    StoreLockedError,
    StoreMissingError,
    TelemetryError,
)
from tact.telemetry.migrations import MIGRATIONS, apply_migrations
from tact.telemetry.records import Decision, Outcome, Stage
from tact.telemetry.url import StoreLocation, parse_url

DEFAULT_TIMEOUT = 5.0  # seconds a write waits for another connection's lock
_SQLITE_HEADER = b"SQLite format 3\x00"
_PAGE = 2000  # rows fetched per query when iterating

COLUMNS: tuple[str, ...] = tuple(Decision.__dataclass_fields__)
_I_STAGE = COLUMNS.index("stage")
_I_OUTCOME = COLUMNS.index("outcome")
_I_SHOWN = COLUMNS.index("shown")
_I_EXPLORED = COLUMNS.index("explored")
_I_FEATURES = COLUMNS.index("features")
_I_SUGGESTION_TEXT = COLUMNS.index("suggestion_text")
_I_CONTEXT_TEXT = COLUMNS.index("context_text")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM decisions"
_SQLITE_INSERT = (
    f"INSERT OR REPLACE INTO decisions ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(COLUMNS))})"
)
_get_fields = attrgetter(*COLUMNS)


def encode_features(features: dict[str, Any]) -> str:
    """Compact JSON (see :mod:`tact.telemetry.jsoncodec`: NaN/infinity become null)."""
    return jsoncodec.dumps(features)


def _to_params(decision: Decision, keep_text: bool = True) -> list[Any]:
    values = list(_get_fields(decision))
    if not keep_text:
        values[_I_SUGGESTION_TEXT] = values[_I_CONTEXT_TEXT] = None
    stage = values[_I_STAGE]
    values[_I_STAGE] = stage.value if isinstance(stage, Stage) else Stage(stage).value
    outcome = values[_I_OUTCOME]
    values[_I_OUTCOME] = outcome.value if isinstance(outcome, Outcome) else Outcome(outcome).value
    values[_I_SHOWN] = 1 if values[_I_SHOWN] else 0
    values[_I_EXPLORED] = 1 if values[_I_EXPLORED] else 0
    values[_I_FEATURES] = encode_features(values[_I_FEATURES] or {})
    return values


def _encode_chunk(decisions: Iterable[Decision], keep_text: bool) -> list[list[Any]]:
    try:
        return [_to_params(d, keep_text) for d in decisions]
    except (TypeError, ValueError) as exc:
        raise TelemetryError(f"invalid decision, nothing written: {exc}") from exc


def _from_row(row: tuple[Any, ...]) -> Decision:
    values = list(row)
    values[_I_STAGE] = Stage(values[_I_STAGE])
    values[_I_OUTCOME] = Outcome(values[_I_OUTCOME])
    values[_I_SHOWN] = bool(values[_I_SHOWN])
    values[_I_EXPLORED] = bool(values[_I_EXPLORED])
    values[_I_FEATURES] = jsoncodec.loads(values[_I_FEATURES]) if values[_I_FEATURES] else {}
    return Decision(*values)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default) of an ascending list."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass(slots=True)
class TelemetryStats:
    """Summary of a store: what ``tact telemetry stats`` prints.

    ``acceptance_rate`` = (accepted + partial) / (accepted + partial + rejected) over
    decisions that were shown and whose outcome is known; ``None`` when there are none.
    """

    total: int = 0
    sessions: int = 0
    first_time: float | None = None
    last_time: float | None = None
    by_stage: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    shown: int = 0
    shown_accepted: int = 0
    shown_partial: int = 0
    shown_rejected: int = 0
    shown_unknown: int = 0
    acceptance_rate: float | None = None
    accepted_chars: int = 0
    latency_count: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _where(
    *,
    source: str | None = None,
    since: float | None = None,
    until: float | None = None,
    session: str | None = None,
    stage: Stage | str | None = None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if source is not None:
        clauses.append("source = ?")
        params.append(source)
    if since is not None:
        clauses.append("time >= ?")
        params.append(float(since))
    if until is not None:
        clauses.append("time < ?")
        params.append(float(until))
    if session is not None:
        clauses.append("session = ?")
        params.append(session)
    if stage is not None:
        clauses.append("stage = ?")
        params.append(Stage(stage).value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _check_is_sqlite(path: Path) -> None:
    """Refuse (without writing) a path that exists but is not a SQLite database."""
    if path.is_dir():
        raise NotADatabaseError(f"telemetry store {path} is a directory, not a SQLite database")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise TelemetryError(f"cannot read telemetry store {path}: {exc.strerror}") from exc
    if header and header != _SQLITE_HEADER:  # an empty file is a valid empty database
        raise NotADatabaseError(
            f"{path} is not a SQLite database; refusing to use it as a telemetry store "
            f"(the file was not changed)"
        )


class TelemetryStore:
    """A connection to one telemetry store. Use :func:`open_store` to make one.

    Thread-safe (one lock around the connection), but meant for one thread at a time:
    the server writes through :class:`~tact.telemetry.recorder.AsyncRecorder`, which
    owns a store on its own thread.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        location: StoreLocation,
        timeout: float,
        keep_text: bool = True,
    ) -> None:
        self.keep_text = keep_text
        self._conn = conn
        self.location = location
        self.timeout = timeout
        self._lock = threading.RLock()
        self._tx_depth = 0
        self._closed = False

    # -- plumbing ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.location.url

    @property
    def schema_version(self) -> int:
        with self._guard("reading the schema version"):
            (v,) = self._exec("SELECT MAX(version) FROM schema_version").fetchone()
        return int(v)

    # The backend-specific part (a PostgreSQL store overrides these).
    _BEGIN = "BEGIN IMMEDIATE"
    _INSERT = _SQLITE_INSERT
    _DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def _executemany(self, sql: str, rows: list[list[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _in_transaction(self) -> bool:
        return self._conn.in_transaction

    def _translate(self, exc: Exception, action: str) -> TelemetryError:
        assert isinstance(exc, sqlite3.Error)
        return translate_error(exc, self.location, self.timeout, action)

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Hold the lock and turn driver errors into one-line :class:`TelemetryError`."""
        with self._lock:
            if self._closed:
                raise TelemetryError(f"telemetry store {self.location.describe()} is closed")
            try:
                yield
            except self._DB_ERRORS as exc:
                raise self._translate(exc, action) from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction (nested calls join the outer one).

        On any exception the whole transaction is rolled back: nothing is half-written.
        """
        with self._guard("writing"):
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield
                finally:
                    self._tx_depth -= 1
                return
            self._exec(self._BEGIN)
            self._tx_depth = 1
            try:
                yield
                self._exec("COMMIT")
            except BaseException:
                if self._in_transaction():
                    self._exec("ROLLBACK")
                raise
            finally:
                self._tx_depth = 0

    # -- writes -----------------------------------------------------------------------

    def record(self, decision: Decision) -> None:
        """Store one decision (an existing row with the same id is replaced)."""
        self.record_many((decision,))

    def record_many(self, decisions: Iterable[Decision]) -> int:
        """Store decisions in one transaction; return how many were written.

        Recording an id again replaces the row, so re-importing a file is idempotent.
        """
        rows = _encode_chunk(decisions, self.keep_text)
        if not rows:
            return 0
        with self.transaction():
            self._executemany(self._INSERT, rows)
        return len(rows)

    def set_outcome(
        self,
        id: str,
        outcome: Outcome | str,
        *,
        accepted_chars: int | None = None,
        time: float | None = None,
        override: bool = False,
    ) -> bool:
        """Record what the programmer did; return whether the row changed.

        Outcomes only move forward: from ``unknown`` to anything, from ``partial`` to
        ``accepted``, and from ``partial`` to a longer ``partial`` (editors report
        word-by-word accepts with a growing length). A late inferred rejection never
        overwrites an accept. ``accepted`` without ``accepted_chars`` takes the
        suggestion's length.

        ``override=True`` is for an accept the *client* reported after the server had
        already inferred a rejection (Neovim deletes and re-inserts the typed word before
        it runs the accept command, so the "divergent edit" arrives first): the
        programmer's own word beats the server's inference, so ``rejected`` may then
        become ``accepted`` or ``partial``.
        """
        outcome = Outcome(outcome)
        replaceable = "('unknown', 'partial', 'rejected')" if override else "('unknown', 'partial')"
        from_rejected = " OR outcome = 'rejected'" if override else ""
        if outcome is Outcome.UNKNOWN:
            raise ValueError("set_outcome needs a known outcome (accepted, partial, rejected)")
        chars = None if accepted_chars is None else int(accepted_chars)
        if outcome is Outcome.ACCEPTED:
            sql = (
                "UPDATE decisions SET outcome = 'accepted', "
                "accepted_chars = COALESCE(?, suggestion_chars, accepted_chars), "
                f"outcome_time = ? WHERE id = ? AND outcome IN {replaceable}"
            )
            params: tuple[Any, ...] = (chars, time, id)
        elif outcome is Outcome.PARTIAL:
            sql = (
                "UPDATE decisions SET outcome = 'partial', accepted_chars = ?, outcome_time = ? "
                f"WHERE id = ? AND (outcome = 'unknown'{from_rejected} OR (outcome = 'partial' "
                "AND CAST(? AS INTEGER) IS NOT NULL AND COALESCE(accepted_chars, -1) < ?))"
            )
            params = (chars, time, id, chars, chars)
        else:
            sql = (
                "UPDATE decisions SET outcome = 'rejected', accepted_chars = ?, "
                "outcome_time = ? WHERE id = ? AND outcome = 'unknown'"
            )
            params = (chars, time, id)
        with self.transaction():
            changed = self._exec(sql, params).rowcount
        return changed > 0

    def mark_shown(self, id: str, time: float) -> bool:
        """Note when the client rendered the suggestion (first report wins)."""
        with self.transaction():
            changed = self._exec(
                "UPDATE decisions SET shown_time = ? WHERE id = ? AND shown_time IS NULL",
                (time, id),
            ).rowcount
        return changed > 0

    # -- reads ------------------------------------------------------------------------

    def get(self, id: str) -> Decision | None:
        with self._guard("reading"):
            row = self._exec(f"{_SELECT} WHERE id = ?", (id,)).fetchone()
        return None if row is None else _from_row(row)

    def iter_decisions(
        self,
        *,
        source: str | None = None,
        since: float | None = None,
        until: float | None = None,
        session: str | None = None,
        stage: Stage | str | None = None,
    ) -> Iterator[Decision]:
        """Decisions in time order (ties by id), read lazily page by page.

        Each page is its own short query (keyset pagination), so a long iteration holds
        no read transaction open and other threads may use the store in between.
        """
        where, params = _where(
            source=source, since=since, until=until, session=session, stage=stage
        )
        joiner = " AND " if where else " WHERE "
        last: tuple[float, str] | None = None
        while True:
            sql, args = _SELECT + where, list(params)
            if last is not None:
                # "time >= ?" first, so SQLite seeks the time index instead of scanning.
                sql += joiner + "time >= ? AND (time > ? OR id > ?)"
                args += [last[0], last[0], last[1]]
            sql += f" ORDER BY time, id LIMIT {_PAGE}"
            with self._guard("reading"):
                rows = self._exec(sql, args).fetchall()
            for row in rows:
                yield _from_row(row)
            if len(rows) < _PAGE:
                return
            last = (rows[-1][COLUMNS.index("time")], rows[-1][0])

    def count(
        self,
        *,
        source: str | None = None,
        since: float | None = None,
        until: float | None = None,
        session: str | None = None,
        stage: Stage | str | None = None,
    ) -> int:
        where, params = _where(
            source=source, since=since, until=until, session=session, stage=stage
        )
        with self._guard("counting"):
            (n,) = self._exec(f"SELECT COUNT(*) FROM decisions{where}", params).fetchone()
        return int(n)

    def stats(self, since: float | None = None, *, source: str | None = None) -> TelemetryStats:
        """Counts by stage/outcome/source, acceptance rate, latency percentiles."""
        where, params = _where(source=source, since=since)
        st = TelemetryStats()
        with self._guard("computing stats"):
            st.total, st.sessions, st.first_time, st.last_time, chars = self._exec(
                "SELECT COUNT(*), COUNT(DISTINCT session), MIN(time), MAX(time), "
                f"COALESCE(SUM(accepted_chars), 0) FROM decisions{where}",
                params,
            ).fetchone()
            st.accepted_chars = int(chars)
            rows = self._exec(
                f"SELECT stage, outcome, shown, source, COUNT(*) FROM decisions{where} "
                "GROUP BY stage, outcome, shown, source",
                params,
            ).fetchall()
            latency_where = (where + " AND " if where else " WHERE ") + "latency_ms IS NOT NULL"
            latencies = [
                r[0]
                for r in self._exec(
                    f"SELECT latency_ms FROM decisions{latency_where} ORDER BY latency_ms", params
                ).fetchall()
            ]
        for stage, outcome, shown, source_name, n in rows:
            st.by_stage[stage] = st.by_stage.get(stage, 0) + n
            st.by_outcome[outcome] = st.by_outcome.get(outcome, 0) + n
            st.by_source[source_name] = st.by_source.get(source_name, 0) + n
            if shown:
                st.shown += n
                if outcome == Outcome.ACCEPTED.value:
                    st.shown_accepted += n
                elif outcome == Outcome.PARTIAL.value:
                    st.shown_partial += n
                elif outcome == Outcome.REJECTED.value:
                    st.shown_rejected += n
                else:
                    st.shown_unknown += n
        known = st.shown_accepted + st.shown_partial + st.shown_rejected
        if known:
            st.acceptance_rate = (st.shown_accepted + st.shown_partial) / known
        st.latency_count = len(latencies)
        st.latency_p50_ms = percentile(latencies, 50)
        st.latency_p95_ms = percentile(latencies, 95)
        st.latency_p99_ms = percentile(latencies, 99)
        return st

    # -- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> TelemetryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TelemetryStore({self.url!r})"


def translate_error(
    exc: sqlite3.Error, location: StoreLocation, timeout: float, action: str
) -> TelemetryError:
    """A one-line :class:`TelemetryError` for a sqlite3 error."""
    where = location.describe()
    message = str(exc)
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        return StoreLockedError(
            f"telemetry store {where} is locked by another connection (waited {timeout:g} s "
            f"while {action}); nothing was changed"
        )
    if "not a database" in lowered or "malformed" in lowered:
        return NotADatabaseError(
            f"telemetry store {where} is not a usable SQLite database ({message})"
        )
    return TelemetryError(f"telemetry store {where}: {message} (while {action})")


def open_store(
    url: str,
    *,
    create: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    keep_text: bool = True,
) -> TelemetryStore:
    """Open (and migrate) the store at ``url``.

    ``create=False`` refuses to create a missing database (for export/stats, where a
    typo in the path should be an error, not a new empty file). ``timeout`` is how
    long a write waits for another connection's lock before :class:`StoreLockedError`.
    ``keep_text=False`` blanks ``suggestion_text``/``context_text`` on every write (the
    privacy default of :class:`~tact.telemetry.recorder.AsyncRecorder`).
    """
    location = parse_url(url)
    if location.backend == "postgresql":
        from tact.telemetry.postgres import open_postgres_store

        return open_postgres_store(location, timeout=timeout, keep_text=keep_text)
    if location.path is None:
        target = ":memory:"
    else:
        path = location.path
        if path.exists():
            _check_is_sqlite(path)
        elif not create:
            raise StoreMissingError(
                f"no telemetry store at {path} (nothing recorded there yet; check the URL)"
            )
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise TelemetryError(
                    f"cannot create the folder for telemetry store {path}: {exc.strerror}"
                ) from exc
        target = str(path)
    try:
        conn = sqlite3.connect(
            target, timeout=timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise translate_error(exc, location, timeout, "opening") from exc
    try:
        if location.path is not None:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint (and fsync) every ~40 MB of WAL instead of every 4 MB: batch writes
        # spend most of their wall time in checkpoint fsyncs otherwise. The WAL file is
        # truncated back to 64 MB after a checkpoint.
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
        conn.execute("PRAGMA journal_size_limit = 67108864")
        conn.execute("PRAGMA cache_size = -16000")  # 16 MB: the id index stays cached
        apply_migrations(conn, MIGRATIONS, where=location.describe())
    except sqlite3.Error as exc:
        conn.close()
        raise translate_error(exc, location, timeout, "opening") from exc
    except BaseException:
        conn.close()
        raise
    return TelemetryStore(conn, location, timeout, keep_text)
