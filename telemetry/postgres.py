"""The telemetry store on PostgreSQL (optional; needs ``psycopg``).

For a team or a server that collects telemetry from many editors: same schema, same
API and same outcome rules as the SQLite store (:class:`PostgresStore` only swaps the
SQL dialect and the error translation), so training, export and stats work unchanged.
SQLite stays the default because it needs nothing installed. Migrations run in one
transaction under an advisory lock (PostgreSQL has transactional DDL), so concurrent
first opens cannot race. A lock held by another session longer than ``timeout`` gives
:class:`StoreLockedError` (``lock_timeout``), as with SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tact.telemetry.errors import StoreLockedError, TelemetryError, UnsupportedUrlError
from tact.telemetry.migrations import POSTGRES_MIGRATIONS, check_not_newer
from tact.telemetry.store import COLUMNS, TelemetryStore
from tact.telemetry.url import StoreLocation

try:
    import psycopg
    from psycopg.pq import TransactionStatus
except ImportError:  # pragma: no cover - depends on the installation
    psycopg = None  # type: ignore[assignment]

_ADVISORY_KEY = 0x7AC7_7E1E  # pg_advisory_xact_lock key for migrations

_INSERT = (
    f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
    f"ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "id")
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresStore(TelemetryStore):
    """A :class:`TelemetryStore` on a psycopg 3 connection (autocommit, explicit BEGIN)."""

    _BEGIN = "BEGIN"
    _INSERT = _INSERT
    _DB_ERRORS = (psycopg.Error,) if psycopg is not None else ()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), params)

    def _executemany(self, sql: str, rows: list[list[Any]]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(sql, rows)

    def _in_transaction(self) -> bool:
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def _translate(self, exc: Exception, action: str) -> TelemetryError:
        return translate_pg_error(exc, self.location, self.timeout, action)


def translate_pg_error(
    exc: Exception, location: StoreLocation, timeout: float, action: str
) -> TelemetryError:
    where = location.describe()
    if isinstance(exc, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected):
        return StoreLockedError(
            f"telemetry store {where} is locked by another connection (waited {timeout:g} s "
            f"while {action}); nothing was changed"
        )
    if isinstance(exc, psycopg.OperationalError) and action == "opening":
        return TelemetryError(f"cannot connect to telemetry store {where}: {_first_line(exc)}")
    return TelemetryError(f"telemetry store {where}: {_first_line(exc)} (while {action})")


def apply_postgres_migrations(conn: Any, where: str) -> int:
    """Apply the missing PostgreSQL migrations in one transaction; return the version."""
    latest = POSTGRES_MIGRATIONS[-1].version
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "description TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
        )
        (version,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
        check_not_newer(int(version), latest, where)
        for migration in POSTGRES_MIGRATIONS:
            if migration.version <= version:
                continue
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version VALUES (%s, %s, extract(epoch from now()))",
                (migration.version, migration.description),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return max(int(version), latest)


def open_postgres_store(
    location: StoreLocation, *, timeout: float, keep_text: bool
) -> PostgresStore:
    """Connect, set the lock timeout, migrate. ``create`` does not apply: the database
    itself must exist (tables are created on first open)."""
    if psycopg is None:
        raise UnsupportedUrlError(
            "PostgreSQL telemetry needs the psycopg package: pip install 'tact[postgres]'"
        )
    where = location.describe()
    try:
        conn = psycopg.connect(location.url, autocommit=True, connect_timeout=max(1, int(timeout)))
    except psycopg.Error as exc:
        raise translate_pg_error(exc, location, timeout, "opening") from exc
    try:
        conn.execute(f"SET lock_timeout = {int(timeout * 1000)}")
        apply_postgres_migrations(conn, where)
    except psycopg.Error as exc:
        conn.close()
        raise translate_pg_error(exc, location, timeout, "opening") from exc
    except BaseException:
        conn.close()
        raise
    return PostgresStore(conn, location, timeout, keep_text)
