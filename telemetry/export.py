"""Export decisions as JSON Lines or CSV, and read a JSONL export back.

An export is the hand-off format between machines and tools: training can read it
instead of the live database, and a spreadsheet or pandas can read the CSV. Times are
ISO-8601 UTC strings with microseconds (readable, sortable, and exact enough for any
duration tact computes). JSONL keeps the features as a nested ``features`` object;
CSV flattens them into ``f_<name>`` columns (the union of all feature names, sorted),
empty where a decision lacks one. Booleans are ``true``/``false`` in both; NaN and
infinite feature values are written as null (empty in CSV).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from tact.telemetry import jsoncodec
from tact.telemetry.errors import FormatError
from tact.telemetry.records import Decision, Outcome, Stage
from tact.telemetry.store import TelemetryStore

# Leading columns, in order; every other Decision field follows.
EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "time",
    "session",
    "language",
    "kind",
    "shown",
    "stage",
    "outcome",
    "accepted_chars",
    "p_accept_before",
    "p_accept",
    "propensity",
    "explored",
    "latency_ms",
    "generation_ms",
    "gate_ms",
    "suggestion_chars",
    "model_version",
    "engine",
    "source",
    "outcome_time",
    "shown_time",
    "document_hash",
    "suggestion_hash",
    "suggestion_text",
    "context_text",
)
_TIME_FIELDS = ("time", "outcome_time", "shown_time")
assert set(EXPORT_COLUMNS) == set(Decision.__dataclass_fields__) - {"features"}


def iso_time(t: float | None) -> str | None:
    """Unix seconds -> ``2022-08-08T16:05:28.904000Z``."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str | float | int) -> float:
    """ISO-8601 (``Z`` or offset; naive means UTC) or Unix seconds -> Unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def export_row(decision: Decision) -> dict[str, Any]:
    """One decision as an export record (features nested)."""
    row = decision.to_row()
    out: dict[str, Any] = {name: row[name] for name in EXPORT_COLUMNS}
    for name in _TIME_FIELDS:
        out[name] = iso_time(out[name])
    out["features"] = row["features"]
    return out


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def export_decisions(
    store: TelemetryStore,
    fmt: Literal["jsonl", "csv"],
    out: TextIO,
    *,
    source: str | None = None,
    since: float | None = None,
) -> int:
    """Write every decision (time order) to ``out``; return the number of rows."""
    if fmt == "jsonl":
        n = 0
        for decision in store.iter_decisions(source=source, since=since):
            row = export_row(decision)
            out.write(jsoncodec.dumps(row))
            out.write("\n")
            n += 1
        return n
    if fmt == "csv":
        # Two passes: the header needs the union of feature names before the first row.
        names: set[str] = set()
        for decision in store.iter_decisions(source=source, since=since):
            names.update(decision.features)
        feature_names = sorted(names)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*EXPORT_COLUMNS, *(f"f_{name}" for name in feature_names)])
        n = 0
        for decision in store.iter_decisions(source=source, since=since):
            row = export_row(decision)
            features = row["features"]
            writer.writerow(
                [_csv_value(row[c]) for c in EXPORT_COLUMNS]
                + [_csv_value(features.get(name)) for name in feature_names]
            )
            n += 1
        return n
    raise ValueError(f"unknown export format {fmt!r} (expected jsonl or csv)")


_REQUIRED = ("id", "session", "time")


def decision_from_export(record: dict[str, Any]) -> Decision:
    """Rebuild a Decision from one JSONL export record (unknown keys are ignored)."""
    missing = [k for k in _REQUIRED if record.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    fields = Decision.__dataclass_fields__
    kwargs = {k: v for k, v in record.items() if k in fields}
    for name in _TIME_FIELDS:
        if kwargs.get(name) is not None:
            kwargs[name] = parse_time(kwargs[name])
    kwargs.setdefault("language", "")
    if "stage" in kwargs:
        kwargs["stage"] = Stage(kwargs["stage"])
    if "outcome" in kwargs:
        kwargs["outcome"] = Outcome(kwargs["outcome"])
    features = kwargs.get("features") or {}
    if not isinstance(features, dict):
        raise ValueError("features is not an object")
    kwargs["features"] = features
    return Decision(**kwargs)


def read_export(path: str | Path) -> Iterator[Decision]:
    """Decisions from a JSONL export; a bad line raises :class:`FormatError` naming it."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"cannot read export {path}: {exc.strerror}") from exc
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = jsoncodec.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
                yield decision_from_export(record)
            except (ValueError, TypeError) as exc:
                raise FormatError(f"{path}:{lineno}: bad export record: {exc}") from exc
