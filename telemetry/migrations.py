"""Versioned schema migrations for the SQLite telemetry store.

Migrations are numbered and append-only: a released migration is never edited, a
schema change is a new entry at the end of :data:`MIGRATIONS`. Each applied version is
one row of ``schema_version``, so a database says which migrations it holds.
:func:`apply_migrations` runs on every open: it applies the missing ones, each inside
its own ``BEGIN IMMEDIATE`` transaction (so two processes opening a fresh file at the
same time cannot both apply one, and a failure leaves the previous version intact),
and refuses a database from a *newer* tact instead of guessing at columns it does not
know.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tact.telemetry.errors import SchemaTooNewError


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: the statements that take version ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


# The columns of ``decisions`` mirror tact.telemetry.records.Decision field by field;
# ``features`` is a JSON object (text). Booleans are 0/1 integers.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "decisions table with one row per suggestion decision",
        (
            """
            CREATE TABLE decisions (
                id               TEXT PRIMARY KEY,
                session          TEXT NOT NULL,
                time             REAL NOT NULL,
                language         TEXT NOT NULL,
                kind             TEXT NOT NULL DEFAULT 'inline',
                stage            TEXT NOT NULL DEFAULT 'shown',
                shown            INTEGER NOT NULL DEFAULT 1,
                p_accept_before  REAL,
                p_accept         REAL,
                propensity       REAL,
                explored         INTEGER NOT NULL DEFAULT 0,
                model_version    TEXT,
                engine           TEXT,
                document_hash    TEXT,
                suggestion_hash  TEXT,
                suggestion_chars INTEGER,
                suggestion_text  TEXT,
                context_text     TEXT,
                features         TEXT NOT NULL DEFAULT '{}',
                outcome          TEXT NOT NULL DEFAULT 'unknown',
                accepted_chars   INTEGER,
                outcome_time     REAL,
                shown_time       REAL,
                latency_ms       REAL,
                generation_ms    REAL,
                gate_ms          REAL,
                source           TEXT NOT NULL DEFAULT 'tact'
            )
            """,
            # Only the time index: every read is in time order; per-session reads are
            # rare and offline, and each index costs write throughput.
            "CREATE INDEX decisions_time ON decisions (time)",
        ),
    ),
)



def _postgres_dialect(statement: str) -> str:
    """The same statement for PostgreSQL: its ``REAL`` is only 4 bytes, SQLite's is 8."""
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)


# The same schema, version for version, in PostgreSQL's dialect: derived, so a new
# migration is written once (in SQL both databases understand, bar the REAL width).
POSTGRES_MIGRATIONS: tuple[Migration, ...] = tuple(
    Migration(m.version, m.description, tuple(_postgres_dialect(x) for x in m.statements))
    for m in MIGRATIONS
)

LATEST_VERSION = MIGRATIONS[-1].version

_CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  REAL NOT NULL
)
"""


def current_version(conn: sqlite3.Connection) -> int:
    """The highest applied version (0 for a database without a ``schema_version`` table)."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if row is None:
        return 0
    (version,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(version)


def check_not_newer(version: int, latest: int, where: str) -> None:
    if version > latest:
        raise SchemaTooNewError(
            f"telemetry store {where} has schema version {version}, newer than this tact "
            f"understands ({latest}); upgrade tact or use another --telemetry URL"
        )


def apply_migrations(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    where: str = "",
) -> int:
    """Bring the database up to the last of ``migrations``; return the resulting version.

    ``conn`` must be in autocommit mode (``isolation_level=None``): transactions are
    explicit here. Idempotent: on an up-to-date database it only reads one row.
    """
    latest = migrations[-1].version if migrations else 0
    check_not_newer(current_version(conn), latest, where)
    if current_version(conn) == latest:
        return latest
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(_CREATE_VERSION_TABLE)
            version = current_version(conn)  # re-read under the write lock
            check_not_newer(version, latest, where)
            if migration.version <= version:
                conn.execute("ROLLBACK")
                continue
            if migration.version != version + 1:
                raise RuntimeError(
                    f"migration {migration.version} follows version {version}: the list "
                    f"must be numbered 1, 2, 3, ..."
                )
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, time.time()),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return current_version(conn)
