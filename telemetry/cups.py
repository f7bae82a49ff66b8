"""Read CUPS telemetry (real programmers using Copilot) and import it as decisions.

The CUPS files (``../shared/data/cups/``, see its README) are JSON Lines, one event per
line, in time order within each session. The pairing rule that turns events into
decisions: a ``Shown`` event opens a decision; the first ``Accepted`` or ``Rejected``
of the same session before the next ``Shown`` is its outcome. ``Replay`` (the same
suggestion redisplayed while typing) and ``Browsing`` (cycling alternatives) carry no
decision. A ``Shown`` followed by another ``Shown`` (or the end of the session) with no
outcome in between has outcome ``unknown``. So there is exactly one decision per
``Shown`` event.

Each :class:`CupsDecision` carries the session's earlier events (a read-only view, not
a copy) so a feature extractor can compute programmer-state features (typing speed,
previous outcomes, time since the last suggestion) from the past only. What happened
after the ``Shown`` event is deliberately not exposed, apart from ``outcome`` and
``outcome_time`` (the labels); in particular the ``Shown`` event's own
``seconds_in_state`` (time until the *next* event, i.e. until the programmer acted) is
left out because it leaks the answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, overload

from tact.telemetry import jsoncodec
from tact.telemetry.errors import FormatError
from tact.telemetry.records import Decision, FeatureValue, Outcome, Stage
from tact.telemetry.store import TelemetryStore

EVENTS = ("Shown", "Accepted", "Rejected", "Replay", "Browsing")
_OUTCOMES = {"Accepted": Outcome.ACCEPTED, "Rejected": Outcome.REJECTED}
_PATH_HEADER = re.compile(r"^#\s*Path:\s*(\S+)", re.MULTILINE)
_LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
}


@dataclass(frozen=True, slots=True)
class CupsEvent:
    """One line of a CUPS file. ``time`` is Unix seconds; ``time_str`` is as written."""

    session: int | str
    user: int | str | None
    time: float
    time_str: str
    event: str
    typing_state: str | None
    seconds_in_state: float | None
    suggestion: str
    prompt: str
    measurements: dict[str, float | None]
    task: str | None
    line: int  # 1-based line number in the file (for messages)


class EventHistory(Sequence[CupsEvent]):
    """The first ``n`` events of a session: a view over a list that only grows."""

    __slots__ = ("_events", "_n")

    def __init__(self, events: list[CupsEvent], n: int) -> None:
        self._events = events
        self._n = n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> CupsEvent: ...
    @overload
    def __getitem__(self, index: slice) -> list[CupsEvent]: ...
    def __getitem__(self, index: int | slice) -> CupsEvent | list[CupsEvent]:
        if isinstance(index, slice):
            return self._events[: self._n][index]
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError("event history index out of range")
        return self._events[index]

    def __iter__(self) -> Iterator[CupsEvent]:
        for i in range(self._n):
            yield self._events[i]

    def __repr__(self) -> str:
        return f"EventHistory({self._n} events)"


@dataclass(slots=True)
class CupsDecision:
    """A ``Shown`` event with its outcome and the session's past (see module doc)."""

    session: int | str
    user: int | str | None
    index: int  # 0-based position of this decision among its session's decisions
    time: float
    time_str: str
    prompt: str
    suggestion: str
    measurements: dict[str, float | None]
    typing_state: str | None
    task: str | None
    outcome: Outcome
    outcome_time: float | None
    history: Sequence[CupsEvent] = field(repr=False)  # earlier events, oldest first
    line: int = 0  # line of the Shown event in the file


def _parse_time(value: Any) -> float:
    if not isinstance(value, str):
        raise ValueError(f"time must be an ISO-8601 string, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone (expected ...Z)")
    return parsed.timestamp()


def _optional_float(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def _event_from_json(obj: Any, lineno: int) -> CupsEvent:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    for key in ("session", "time", "event"):
        if key not in obj or obj[key] is None:
            raise ValueError(f"missing {key!r}")
    event = obj["event"]
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r} (expected one of {', '.join(EVENTS)})")
    measurements = obj.get("measurements") or {}
    if not isinstance(measurements, dict):
        raise ValueError("measurements must be an object")
    for text_key in ("suggestion", "prompt"):
        if obj.get(text_key) is not None and not isinstance(obj[text_key], str):
            raise ValueError(f"{text_key} must be a string")
    return CupsEvent(
        session=obj["session"],
        user=obj.get("user"),
        time=_parse_time(obj["time"]),
        time_str=obj["time"],
        event=event,
        typing_state=obj.get("typing_state"),
        seconds_in_state=_optional_float(obj.get("seconds_in_state"), "seconds_in_state"),
        suggestion=obj.get("suggestion") or "",
        prompt=obj.get("prompt") or "",
        measurements=measurements,
        task=obj.get("task"),
        line=lineno,
    )


def read_cups_events(path: str | Path) -> Iterator[CupsEvent]:
    """Events of a CUPS JSONL file in file order; a bad line raises :class:`FormatError`."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"cannot read CUPS file {path}: {exc.strerror or exc}") from exc
    with fh:
        try:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield _event_from_json(jsoncodec.loads(line), lineno)
                except ValueError as exc:  # includes json.JSONDecodeError
                    raise FormatError(f"{path}:{lineno}: bad CUPS event: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise FormatError(f"{path}: not UTF-8 text ({exc.reason})") from exc


@dataclass(slots=True)
class _SessionState:
    events: list[CupsEvent] = field(default_factory=list)
    pending: CupsDecision | None = None
    decisions: int = 0


def cups_decisions(events: Iterable[CupsEvent]) -> Iterator[CupsDecision]:
    """Pair events into decisions: one per ``Shown`` event (see the module doc).

    Sessions may interleave; within a session the file order is the event order.
    A decision is yielded as soon as its outcome is known (so with interleaved
    sessions the output is ordered by resolution, not by ``Shown`` time).
    """
    sessions: dict[Any, _SessionState] = {}
    for ev in events:
        state = sessions.get(ev.session)
        if state is None:
            state = sessions[ev.session] = _SessionState()
        if ev.event == "Shown":
            if state.pending is not None:
                yield state.pending  # no outcome before the next Shown: unknown
            state.pending = CupsDecision(
                session=ev.session,
                user=ev.user,
                index=state.decisions,
                time=ev.time,
                time_str=ev.time_str,
                prompt=ev.prompt,
                suggestion=ev.suggestion,
                measurements=ev.measurements,
                typing_state=ev.typing_state,
                task=ev.task,
                outcome=Outcome.UNKNOWN,
                outcome_time=None,
                history=EventHistory(state.events, len(state.events)),
                line=ev.line,
            )
            state.decisions += 1
        elif ev.event in _OUTCOMES and state.pending is not None:
            state.pending.outcome = _OUTCOMES[ev.event]
            state.pending.outcome_time = ev.time
            yield state.pending
            state.pending = None
        state.events.append(ev)
    for state in sessions.values():
        if state.pending is not None:
            yield state.pending


def default_features(decision: CupsDecision) -> dict[str, FeatureValue]:
    """Copilot's own numeric measurements at the Shown event, as ``cups_<name>``."""
    features: dict[str, FeatureValue] = {}
    for name, value in decision.measurements.items():
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            features[f"cups_{name}"] = value
    return features


def _language(prompt: str) -> str:
    match = _PATH_HEADER.search(prompt)
    if match:
        return _LANGUAGES.get(Path(match.group(1)).suffix.lower(), "python")
    return "python"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def to_decision(
    d: CupsDecision,
    featurize: Callable[[CupsDecision], dict[str, FeatureValue]] | None = None,
    *,
    store_text: bool = False,
) -> Decision:
    """A telemetry Decision for a CUPS decision (``source="cups"``, stage shown).

    Id ``cups-<session>-<index>`` is stable, so importing a file twice replaces rows
    instead of duplicating them. ``latency_ms`` is Copilot's ``timeSinceIssuedMs`` at
    display (request to suggestion on screen).
    """
    features = featurize(d) if featurize is not None else default_features(d)
    if not isinstance(features, dict):
        raise TypeError(f"featurize returned {type(features).__name__}, expected dict")
    accepted = d.outcome is Outcome.ACCEPTED
    latency = d.measurements.get("timeSinceIssuedMs")
    return Decision(
        id=f"cups-{d.session}-{d.index:05d}",
        session=f"cups-{d.session}",
        time=d.time,
        language=_language(d.prompt),
        kind="inline",
        stage=Stage.SHOWN,
        shown=True,
        engine="copilot",
        document_hash=_hash(d.prompt),
        suggestion_hash=_hash(d.suggestion),
        suggestion_chars=len(d.suggestion),
        suggestion_text=d.suggestion if store_text else None,
        context_text=d.prompt if store_text else None,
        features=features,
        outcome=d.outcome,
        accepted_chars=len(d.suggestion) if accepted else None,
        outcome_time=d.outcome_time,
        shown_time=d.time,
        latency_ms=float(latency) if isinstance(latency, int | float) else None,
        source="cups",
    )


def import_cups(
    path: str | Path,
    store: TelemetryStore,
    featurize: Callable[[CupsDecision], dict[str, FeatureValue]] | None = None,
    *,
    store_text: bool = False,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Import a CUPS file into ``store``; return the number of decisions written.

    The file is read and featurized completely before anything is written, so a bad
    line leaves the store untouched. ``progress(n)`` is called as decisions are
    converted (n so far), for a progress bar.
    """
    decisions: list[Decision] = []
    for d in cups_decisions(read_cups_events(path)):
        try:
            decisions.append(to_decision(d, featurize, store_text=store_text))
        except Exception as exc:  # a featurizer bug must name the event, not crash
            raise FormatError(
                f"{path}:{d.line}: cannot featurize this Shown event: {type(exc).__name__}: {exc}"
            ) from exc
        if progress is not None:
            progress(len(decisions))
    written = 0
    with store.transaction():  # all or nothing
        for start in range(0, len(decisions), batch_size):
            written += store.record_many(decisions[start : start + batch_size])
    return written
