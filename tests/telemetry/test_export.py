"""Export: one row per decision in JSONL and CSV, and JSONL read back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tact.telemetry.errors import FormatError
from tact.telemetry.export import (
    EXPORT_COLUMNS,
    export_decisions,
    iso_time,
    parse_time,
    read_export,
)
from tact.telemetry.records import Decision
from tact.telemetry.store import TelemetryStore
from telemetry_helpers import full_decision, simple_decision

REQUIRED = [
    "id",
    "time",
    "session",
    "language",
    "shown",
    "stage",
    "outcome",
    "accepted_chars",
    "p_accept_before",
    "p_accept",
    "propensity",
    "explored",
    "latency_ms",
]


def fill(store: TelemetryStore) -> list[Decision]:
    decisions = [full_decision(i) for i in range(5)]
    decisions.append(simple_decision(9, features={"only_here": 1.5, "f_int": 3}))
    decisions.append(Decision(id="bare", session="s", time=5.0, language="go"))
    store.record_many(decisions)
    return decisions


def test_jsonl_one_object_per_decision(store: TelemetryStore) -> None:
    decisions = fill(store)
    out = io.StringIO()
    assert export_decisions(store, "jsonl", out) == len(decisions)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(decisions)
    rows = [json.loads(line) for line in lines]
    assert {r["id"] for r in rows} == {d.id for d in decisions}
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)  # ISO sorts as time
    first = next(r for r in rows if r["id"] == "d-0000")
    assert set(REQUIRED) <= set(first)
    assert first["time"] == "2023-11-14T22:13:20.123456Z"
    assert first["features"]["f_str"] == "call" and first["features"]["f_none"] is None
    assert first["shown"] is False and first["explored"] is True
    assert first["stage"] == "hidden" and first["outcome"] == "partial"


def test_csv_one_row_per_decision_with_feature_columns(store: TelemetryStore) -> None:
    decisions = fill(store)
    out = io.StringIO()
    assert export_decisions(store, "csv", out) == len(decisions)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(decisions)
    header = list(rows[0])
    assert header[: len(EXPORT_COLUMNS)] == list(EXPORT_COLUMNS)
    features = {n for d in decisions for n in d.features}
    assert header[len(EXPORT_COLUMNS) :] == sorted(f"f_{n}" for n in features)
    by_id = {r["id"]: r for r in rows}
    assert by_id["d-0002"]["f_f_int"] == "2" and by_id["d-0002"]["f_f_bool"] == "true"
    assert by_id["d-0002"]["f_only_here"] == "" and by_id["x-00009"]["f_only_here"] == "1.5"
    assert by_id["d-0002"]["f_f_unicode"] == "é→"
    assert by_id["bare"]["p_accept"] == "" and by_id["bare"]["shown"] == "true"


def test_filters_apply_to_export(store: TelemetryStore) -> None:
    fill(store)
    out = io.StringIO()
    assert export_decisions(store, "jsonl", out, source="replay") == 5
    assert export_decisions(store, "csv", io.StringIO(), since=1_700_000_003.0) == 2


def test_unknown_format(store: TelemetryStore) -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export_decisions(store, "xml", io.StringIO())  # type: ignore[arg-type]


def test_read_export_round_trip(store: TelemetryStore, tmp_path: Path) -> None:
    decisions = fill(store)
    path = tmp_path / "export.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        export_decisions(store, "jsonl", fh)
    back = {d.id: d for d in read_export(path)}
    assert set(back) == {d.id for d in decisions}
    for original in decisions:
        got = back[original.id]
        for name in Decision.__dataclass_fields__:
            want = getattr(original, name)
            if name in ("time", "outcome_time", "shown_time") and want is not None:
                assert getattr(got, name) == pytest.approx(want, abs=1e-6)
            else:
                assert getattr(got, name) == want, name


def test_read_export_bad_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    good = json.dumps({"id": "a", "session": "s", "time": "2024-01-01T00:00:00Z"})
    path.write_text(good + "\n" + json.dumps({"id": "b", "time": 1.0}) + "\n")
    with pytest.raises(FormatError, match=r"e\.jsonl:2: .*missing session"):
        list(read_export(path))
    path.write_text(good + "\n\n" + '{"id": "c", "session": "s", "time": 1, "stage": "x"}\n')
    with pytest.raises(FormatError, match=r":3:"):
        list(read_export(path))


def test_time_helpers() -> None:
    assert iso_time(0.5) == "1970-01-01T00:00:00.500000Z"
    assert iso_time(None) is None
    assert parse_time("1970-01-01T00:00:01Z") == 1.0
    assert parse_time("1970-01-01T00:00:01") == 1.0  # naive means UTC
    assert parse_time(2) == 2.0
