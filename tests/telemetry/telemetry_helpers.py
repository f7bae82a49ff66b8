"""Helpers for telemetry tests: decisions with every field set, synthetic CUPS events.

(A uniquely named module, not conftest, so `from ... import` cannot pick up another
folder's conftest.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tact.telemetry.records import Decision, Outcome, Stage

CHECKOUT = Path(__file__).resolve().parents[2]
CUPS_FILE = CHECKOUT.parent / "shared" / "data" / "cups" / "sessions.jsonl"


def full_decision(i: int = 0, **overrides: object) -> Decision:
    """A decision with every field set to a distinct non-default value."""
    values: dict[str, object] = dict(
        id=f"d-{i:04d}",
        session=f"s-{i % 3}",
        time=1_700_000_000.123456 + i,
        language="python",
        kind="completion",
        stage=Stage.HIDDEN,
        shown=False,
        p_accept_before=0.25,
        p_accept=0.125,
        propensity=0.05,
        explored=True,
        model_version="m-1",
        engine="embedded",
        document_hash="dochash",
        suggestion_hash="sughash",
        suggestion_chars=17,
        suggestion_text="print('hi')\n",
        context_text="def f():\n    ",
        features={
            "f_float": 0.1 + i,
            "f_int": i,
            "f_bool": True,
            "f_str": "call",
            "f_none": None,
            "f_unicode": "é→",
        },
        outcome=Outcome.PARTIAL,
        accepted_chars=5,
        outcome_time=1_700_000_001.5 + i,
        shown_time=1_700_000_000.75 + i,
        latency_ms=4.5,
        generation_ms=3.25,
        gate_ms=0.0625,
        source="replay",
    )
    values.update(overrides)
    return Decision(**values)  # type: ignore[arg-type]


def simple_decision(i: int, **overrides: object) -> Decision:
    values: dict[str, object] = dict(
        id=f"x-{i:05d}",
        session=f"s-{i % 4}",
        time=1_000.0 + i,
        language="python",
        suggestion_chars=10,
        features={"n": i},
    )
    values.update(overrides)
    return Decision(**values)  # type: ignore[arg-type]


def event(session: int, second: float, kind: str, **extra: Any) -> dict[str, Any]:
    whole = int(second)
    millis = round((second - whole) * 1000)
    row = {
        "session": session,
        "user": session,
        "time": f"2022-08-08T16:{whole // 60:02d}:{whole % 60:02d}.{millis:03d}Z",
        "event": kind,
        "typing_state": "UserTyping",
        "seconds_in_state": 1.0,
        "suggestion": f"suggestion at {second}",
        "prompt": "# Path: main.py\nimport os\n",
        "measurements": {"compCharLen": 10.0, "confidence": 0.5, "delayMs": None},
        "task": "Data Manipulation",
    }
    row.update(extra)
    return row


def write_events(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
