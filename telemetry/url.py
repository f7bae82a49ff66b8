"""Telemetry store URLs: ``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``:memory:``.

The store is addressed by a URL (as SQLAlchemy does) rather than a bare path so that a
server backend (``postgresql://``) can be added later without changing any setting,
CLI flag or protocol field. Rules, following SQLAlchemy:

- ``sqlite:///telemetry.db`` -> ``telemetry.db`` relative to the working directory;
- ``sqlite:////var/lib/tact.db`` -> the absolute path ``/var/lib/tact.db``;
- ``sqlite:///~/tact.db`` -> ``~`` is expanded (convenient in editor settings);
- ``sqlite:///:memory:`` -> a private in-memory database (tests, throwaway runs);
- ``postgresql://user:password@host:port/dbname`` (or ``postgres://``) -> a PostgreSQL
  database, passed to libpq unchanged (``?host=/socket/dir`` etc. work); needs the
  optional ``psycopg`` package (``pip install 'tact[postgres]'``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tact.telemetry.errors import UnsupportedUrlError

MEMORY = ":memory:"
_PASSWORD = re.compile(r"(://[^:/@]*):[^@/]*@")
_SQLITE_PREFIX = "sqlite:///"


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """Where a store lives: the parsed form of a store URL."""

    url: str
    backend: str  # "sqlite" | "postgresql"
    path: Path | None  # the SQLite file; None for in-memory SQLite and for PostgreSQL

    @property
    def memory(self) -> bool:
        return self.backend == "sqlite" and self.path is None

    def describe(self) -> str:
        """A short human name for messages: the path, ':memory:', or the URL sans password."""
        if self.backend != "sqlite":
            return _PASSWORD.sub(r"\1***@", self.url)
        return MEMORY if self.path is None else str(self.path)


def parse_url(url: str) -> StoreLocation:
    """Parse a store URL; raise :class:`UnsupportedUrlError` with a fix-it message."""
    if not isinstance(url, str) or not url.strip():
        raise UnsupportedUrlError("empty telemetry URL (expected sqlite:///path/to/telemetry.db)")
    url = url.strip()
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise UnsupportedUrlError(
            f"not a telemetry URL: {url!r} (expected sqlite:///relative.db or "
            f"sqlite:////absolute/path.db)"
        )
    scheme = scheme.lower()
    if scheme in ("postgresql", "postgres"):
        return StoreLocation(url=url, backend="postgresql", path=None)
    if scheme.startswith("postgres"):  # postgresql+psycopg:// and the like
        raise UnsupportedUrlError(
            f"telemetry backend {scheme!r} is not supported yet; use postgresql://... "
            f"or sqlite:///path.db"
        )
    if scheme != "sqlite":
        raise UnsupportedUrlError(
            f"unknown telemetry backend {scheme!r} in {url!r}; use sqlite:///path.db"
        )
    if not url.lower().startswith(_SQLITE_PREFIX):
        raise UnsupportedUrlError(
            f"malformed SQLite URL {url!r}: a host is not allowed; use sqlite:///relative.db "
            f"or sqlite:////absolute/path.db"
        )
    rest = url[len(_SQLITE_PREFIX) :]
    if "?" in rest:
        raise UnsupportedUrlError(f"query parameters are not supported in {url!r}")
    if rest == MEMORY:
        return StoreLocation(url=url, backend="sqlite", path=None)
    if not rest or rest.endswith("/"):
        raise UnsupportedUrlError(f"SQLite URL {url!r} names no database file")
    return StoreLocation(url=url, backend="sqlite", path=Path(rest).expanduser())


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """The URL of a SQLite file (absolute paths give the four-slash form)."""
    return f"{_SQLITE_PREFIX}{os.fspath(path)}"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/tact`` (``~/.local/share/tact`` when unset or not absolute)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "tact"


def default_url() -> str:
    """The store the server and CLI use when no URL is configured."""
    return sqlite_url(default_data_dir() / "telemetry.db")
