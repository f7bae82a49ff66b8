"""CUPS parsing and the pairing rule: one decision per Shown event."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from tact.telemetry.cups import (
    CupsDecision,
    cups_decisions,
    default_features,
    import_cups,
    read_cups_events,
)
from tact.telemetry.errors import FormatError
from tact.telemetry.records import Outcome, Stage
from tact.telemetry.store import TelemetryStore
from telemetry_helpers import CUPS_FILE, event, write_events


def decisions_of(tmp_path: Path, rows: list[dict[str, Any] | str]) -> list[CupsDecision]:
    return list(cups_decisions(read_cups_events(write_events(tmp_path / "e.jsonl", rows))))


def test_pairing_rules(tmp_path: Path) -> None:
    rows = [
        event(1, 1, "Replay"),  # carries no decision
        event(1, 2, "Accepted"),  # an outcome with no Shown before it: ignored
        event(1, 3, "Shown"),  # A: Replay then Accepted -> accepted
        event(1, 4, "Replay"),
        event(1, 5, "Browsing"),
        event(1, 6, "Accepted"),
        event(1, 7, "Shown"),  # B: Rejected -> rejected; the later Accepted is ignored
        event(1, 8, "Rejected"),
        event(1, 9, "Accepted"),
        event(1, 10, "Shown"),  # C: followed by another Shown -> unknown
        event(1, 11, "Shown"),  # D: rejected
        event(1, 12, "Replay"),
        event(1, 13, "Rejected"),
        event(1, 14, "Shown"),  # E: last event of the session -> unknown
    ]
    got = decisions_of(tmp_path, rows)
    assert [(round(d.time) % 100, d.outcome) for d in got] == [
        (3, Outcome.ACCEPTED),
        (7, Outcome.REJECTED),
        (10, Outcome.UNKNOWN),
        (11, Outcome.REJECTED),
        (14, Outcome.UNKNOWN),
    ]
    assert [d.index for d in got] == [0, 1, 2, 3, 4]
    a, b, c = got[0], got[1], got[2]
    assert a.time_str == "2022-08-08T16:00:03.000Z"
    assert a.outcome_time == pytest.approx(a.time + 3)
    assert c.outcome_time is None
    # history: exactly the earlier events of the session, oldest first
    assert [e.event for e in a.history] == ["Replay", "Accepted"]
    assert [e.event for e in b.history] == [
        "Replay",
        "Accepted",
        "Shown",
        "Replay",
        "Browsing",
        "Accepted",
    ]
    assert all(e.time < b.time for e in b.history)
    assert len(got[4].history) == len(rows) - 1
    assert got[4].history[-1].event == "Rejected" and got[4].history[0].event == "Replay"


def test_sessions_are_paired_independently(tmp_path: Path) -> None:
    rows = [
        event(1, 1, "Shown"),
        event(2, 2, "Shown"),
        event(1, 3, "Rejected"),  # belongs to session 1's Shown
        event(2, 4, "Replay"),
        event(2, 5, "Accepted"),
        event(2, 6, "Shown"),
    ]
    got = {(d.session, d.index): d for d in decisions_of(tmp_path, rows)}
    assert got[(1, 0)].outcome is Outcome.REJECTED
    assert got[(2, 0)].outcome is Outcome.ACCEPTED
    assert got[(2, 1)].outcome is Outcome.UNKNOWN
    assert [e.session for e in got[(2, 1)].history] == [2, 2, 2]
    assert len(got[(1, 0)].history) == 0


def test_the_shown_events_future_is_not_exposed(tmp_path: Path) -> None:
    (d,) = decisions_of(tmp_path, [event(1, 1, "Shown", seconds_in_state=9.5)])
    assert not hasattr(d, "seconds_in_state")
    assert d.measurements["compCharLen"] == 10.0 and d.typing_state == "UserTyping"


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        ("{not json", "bad CUPS event"),
        ('["a list"]', "not a JSON object"),
        (json.dumps({"session": 1, "event": "Shown"}), "missing 'time'"),
        (json.dumps(event(1, 1, "Clicked")), "unknown event 'Clicked'"),
        (json.dumps(event(1, 1, "Shown", time="yesterday")), "Invalid isoformat"),
        (json.dumps(event(1, 1, "Shown", time="2022-08-08T16:00:00")), "no time zone"),
        (json.dumps(event(1, 1, "Shown", measurements=[1])), "measurements"),
    ],
)
def test_bad_line_names_its_number(tmp_path: Path, bad_line: str, fragment: str) -> None:
    path = write_events(tmp_path / "bad.jsonl", [event(1, 1, "Shown"), "", bad_line])
    with pytest.raises(FormatError, match=fragment) as info:
        list(read_cups_events(path))
    assert "bad.jsonl:3:" in str(info.value)


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot read CUPS file"):
        list(read_cups_events(tmp_path / "absent.jsonl"))


def test_import_default_features_and_idempotence(tmp_path: Path, store: TelemetryStore) -> None:
    rows = [
        event(3, 1, "Shown"),
        event(3, 2, "Accepted"),
        event(3, 5, "Shown"),
        event(3, 6, "Rejected"),
        event(3, 8, "Shown"),
    ]
    path = write_events(tmp_path / "e.jsonl", rows)
    assert import_cups(path, store) == 3
    assert import_cups(path, store) == 3  # stable ids: replaced, not duplicated
    assert store.count() == 3
    first = store.get("cups-3-00000")
    assert first.session == "cups-3" and first.source == "cups" and first.stage is Stage.SHOWN
    assert first.outcome is Outcome.ACCEPTED
    assert first.accepted_chars == first.suggestion_chars == len("suggestion at 1")
    assert first.features == {
        "cups_compCharLen": 10.0,
        "cups_confidence": 0.5,
        "cups_delayMs": None,
    }
    assert first.suggestion_text is None and first.context_text is None
    assert first.suggestion_hash and first.document_hash
    assert first.language == "python"
    assert store.get("cups-3-00002").outcome is Outcome.UNKNOWN
    assert store.stats().acceptance_rate == pytest.approx(0.5)


def test_import_with_featurizer_and_text(tmp_path: Path, store: TelemetryStore) -> None:
    rows = [event(1, 1, "Shown"), event(1, 2, "Rejected"), event(1, 3, "Shown")]
    path = write_events(tmp_path / "e.jsonl", rows)
    seen: list[int] = []

    def featurize(d: CupsDecision) -> dict[str, Any]:
        seen.append(len(d.history))
        return {"history_len": len(d.history), "chars": len(d.suggestion)}

    assert import_cups(path, store, featurize, store_text=True) == 2
    assert seen == [0, 2]
    second = store.get("cups-1-00001")
    assert second.features == {"history_len": 2, "chars": len("suggestion at 3")}
    assert second.suggestion_text == "suggestion at 3"
    assert second.context_text.startswith("# Path: main.py")


def test_bad_file_leaves_store_untouched(tmp_path: Path, store: TelemetryStore) -> None:
    path = write_events(tmp_path / "e.jsonl", [event(1, 1, "Shown"), "{broken"])
    with pytest.raises(FormatError, match=":2:"):
        import_cups(path, store)
    assert store.count() == 0


def test_default_features_keep_only_numbers() -> None:
    d = CupsDecision(
        session=1,
        user=1,
        index=0,
        time=0.0,
        time_str="",
        prompt="",
        suggestion="",
        measurements={"a": 1.5, "b": None, "c": "text", "d": True},
        typing_state=None,
        task=None,
        outcome=Outcome.UNKNOWN,
        outcome_time=None,
        history=(),
    )
    assert default_features(d) == {"cups_a": 1.5, "cups_b": None}


# -- the real CUPS data -----------------------------------------------------------------

needs_cups = pytest.mark.skipif(
    not CUPS_FILE.is_file(), reason=f"CUPS data not present at {CUPS_FILE}"
)


def expected_outcomes(rows: list[dict[str, Any]]) -> list[tuple[Any, str, str]]:
    """The pairing rule, stated differently: scan forward from each Shown."""
    by_session: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_session[row["session"]].append(row)
    expected = []
    for session, events in by_session.items():
        for i, ev in enumerate(events):
            if ev["event"] != "Shown":
                continue
            outcome = "unknown"
            for later in events[i + 1 :]:
                if later["event"] == "Shown":
                    break
                if later["event"] in ("Accepted", "Rejected"):
                    outcome = later["event"].lower()
                    break
            expected.append((session, ev["time"], outcome))
    return expected


@needs_cups
def test_real_cups_file_pairs_every_shown_event() -> None:
    rows = [json.loads(line) for line in CUPS_FILE.read_text().splitlines() if line.strip()]
    decisions = list(cups_decisions(read_cups_events(CUPS_FILE)))
    shown = sum(1 for r in rows if r["event"] == "Shown")
    assert len(decisions) == shown
    got = sorted((d.session, d.time_str, d.outcome.value) for d in decisions)
    assert got == sorted(expected_outcomes(rows))
    counts = Counter(d.outcome for d in decisions)
    events = Counter(r["event"] for r in rows)
    assert counts[Outcome.ACCEPTED] <= events["Accepted"]
    assert counts[Outcome.REJECTED] <= events["Rejected"]
    assert counts[Outcome.ACCEPTED] + counts[Outcome.REJECTED] + counts[Outcome.UNKNOWN] == shown
    # every history is the strict past of its session
    for d in decisions[:50]:
        assert all(e.session == d.session for e in d.history)
        assert all(e.line < d.line for e in d.history)


@needs_cups
def test_real_cups_import(store: TelemetryStore) -> None:
    n = import_cups(CUPS_FILE, store)
    assert n == store.count() > 0
    st = store.stats()
    assert st.by_source == {"cups": n}
    assert 0.1 < (st.acceptance_rate or 0) < 0.6


def test_featurizer_failure_names_the_event(tmp_path: Path, store: TelemetryStore) -> None:
    path = write_events(tmp_path / "e.jsonl", [event(1, 1, "Shown"), event(1, 2, "Shown")])

    def featurize(d: CupsDecision) -> dict[str, Any]:
        if d.index == 1:
            raise KeyError("compCharLen")
        return {}

    with pytest.raises(FormatError, match=r"e\.jsonl:2: cannot featurize.*KeyError"):
        import_cups(path, store, featurize)
    assert store.count() == 0
