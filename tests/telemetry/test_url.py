"""Store URLs: the accepted forms, and one-line errors for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from tact.telemetry.errors import UnsupportedUrlError
from tact.telemetry.url import default_url, parse_url, sqlite_url


def test_relative_absolute_and_memory() -> None:
    assert parse_url("sqlite:///data/t.db").path == Path("data/t.db")
    assert parse_url("sqlite:////var/lib/t.db").path == Path("/var/lib/t.db")
    memory = parse_url("sqlite:///:memory:")
    assert memory.memory and memory.path is None
    assert parse_url("sqlite:///~/t.db").path == Path.home() / "t.db"


def test_postgres_urls_pass_through_with_password_hidden() -> None:
    location = parse_url("postgresql://tact:s3cret@db.example:5433/telemetry")
    assert location.backend == "postgresql" and not location.memory
    assert location.url == "postgresql://tact:s3cret@db.example:5433/telemetry"
    assert location.describe() == "postgresql://tact***@db.example:5433/telemetry"
    assert parse_url("postgres:///tact?host=/run/pg").backend == "postgresql"


def test_sqlite_url_round_trips_an_absolute_path(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "x.db")
    assert url.startswith("sqlite:////")
    assert parse_url(url).path == tmp_path / "x.db"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgresql+psycopg2://user@host/db", "not supported yet"),
        ("mysql://host/db", "unknown telemetry backend"),
        ("/plain/path.db", "not a telemetry URL"),
        ("sqlite://host/t.db", "host is not allowed"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///t.db?mode=ro", "query parameters"),
        ("", "empty telemetry URL"),
    ],
)
def test_bad_urls_give_clear_errors(url: str, fragment: str) -> None:
    with pytest.raises(UnsupportedUrlError, match=fragment) as info:
        parse_url(url)
    assert "\n" not in str(info.value)


def test_default_url_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert parse_url(default_url()).path == tmp_path / "tact" / "telemetry.db"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the XDG spec says ignore
    assert parse_url(default_url()).path == Path.home() / ".local/share/tact/telemetry.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert parse_url(default_url()).path == Path.home() / ".local/share/tact/telemetry.db"
