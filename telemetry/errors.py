"""Errors of the telemetry store, all one-line and safe to show to a user.

Every failure a user can cause or fix (a bad URL, a locked or foreign file, a store
written by a newer tact) is a :class:`TelemetryError` with a message that names the
file and says what to do, so the CLI and the server can print it as one line instead
of a traceback. None of them is raised after a partial write: each write is one
transaction, and a failed transaction leaves the database as it was.
"""

from __future__ import annotations


class TelemetryError(Exception):
    """Base class: a telemetry problem the user can read and act on."""


class UnsupportedUrlError(TelemetryError):
    """The store URL is malformed or names a backend tact does not support yet."""


class NotADatabaseError(TelemetryError):
    """The store path exists but is not a SQLite database (it is left untouched)."""


class StoreLockedError(TelemetryError):
    """Another connection held the database lock for longer than the busy timeout."""


class SchemaTooNewError(TelemetryError):
    """The database was written by a newer tact whose schema this version cannot read."""


class StoreMissingError(TelemetryError):
    """Opening without ``create=True`` and no database exists at the path."""


class FormatError(TelemetryError, ValueError):
    """A line of an input file (CUPS events, a JSONL export) cannot be read."""
