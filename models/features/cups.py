"""Features for CUPS telemetry (recorded Copilot sessions), via the serving code path.

A CUPS decision is a ``Shown`` event. Its features come from the very functions the
server calls on a live request: the prompt is the prefix (CUPS has no suffix), the
language is Python, the engine score is Copilot's ``meanLogProb`` and its token count
``numTokens``, the delivery latency its ``timeSinceIssuedMs`` (with the session's
previous Shown suggestion: see features.delivery); the programmer state is rebuilt by
replaying the session's *earlier* events through a :class:`ProgrammerState` (edits
inferred from how the prompt changed between events, earlier decisions and their
Accepted/Rejected outcomes).

What is deliberately NOT used, because a live system cannot know it at decision time:
the Shown event's own ``typing_state`` and ``seconds_in_state`` (they describe the
interval *after* the event), and any measurement of later events.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from tact.models.features.api import request_features
from tact.models.features.state import ProgrammerState

CUPS_LANGUAGE = "python"


def cups_time(value: Any) -> float:
    """Epoch seconds of a CUPS time (ISO-8601 string) or a number already in seconds."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _get(event: Any, name: str, default: Any = None) -> Any:
    if isinstance(event, Mapping):
        return event.get(name, default)
    return getattr(event, name, default)


def _measure(event: Any, name: str) -> float | None:
    m = _get(event, "measurements") or {}
    v = m.get(name) if isinstance(m, Mapping) else getattr(m, name, None)
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _common_prefix_len(a: str, b: str) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # binary search on the first mismatch (C-speed slices)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class CupsReplayer:
    """Replays one CUPS session's events in time order into a ProgrammerState.

    Call :meth:`feed` with each event; for a ``Shown`` event it returns the decision's
    feature dict computed *before* the event is applied (only the past is known).
    """

    def __init__(self) -> None:
        self.state = ProgrammerState()
        self._prompt: str | None = None
        self._last_time: float | None = None
        self.last_shown: str | None = None  # text of the session's previous Shown event

    def _observe_prompt(self, event: Any, t: float, shown: bool) -> None:
        prompt = _get(event, "prompt")
        if not isinstance(prompt, str):
            return
        if self._prompt is not None and prompt != self._prompt:
            common = _common_prefix_len(self._prompt, prompt)
            deleted = len(self._prompt) - common
            inserted = len(prompt) - common
            # The last keystroke came before the request that produced this suggestion.
            edit_time = t
            issued = _measure(event, "timeSinceIssuedMs")
            if shown and issued is not None:
                edit_time = t - issued / 1000.0
            if self._last_time is not None:
                edit_time = max(edit_time, self._last_time)
            self.state.observe_edit(edit_time, inserted, deleted)
        self._prompt = prompt

    def feed(self, event: Any, compute: bool = True) -> dict[str, float | str] | None:
        """Apply one event; for a Shown event (and ``compute``) return its features."""
        t = cups_time(_get(event, "time"))
        kind = _get(event, "event")
        self._observe_prompt(event, t, shown=kind == "Shown")
        result = None
        if kind == "Shown":
            if compute:
                result = featurize_shown(event, self.state, t, self.last_shown)
            self.shown(event, t)
        elif kind in ("Accepted", "Rejected"):
            self.state.observe_outcome(t, accepted=kind == "Accepted")
        self._last_time = t
        return result

    def shown(self, event: Any, t: float) -> None:
        """Record that a Shown event's suggestion was displayed (after featurizing it)."""
        self.state.observe_decision(t, shown=True)
        self.last_shown = _get(event, "suggestion") or ""


def featurize_shown(
    event: Any, state: ProgrammerState, t: float, last_shown: str | None = None
) -> dict[str, float | str]:
    """Features of one Shown event given the state replayed up to it and the text of
    the session's previous Shown suggestion (``last_shown``; None for the first)."""
    prompt = _get(event, "prompt") or ""
    suggestion = _get(event, "suggestion") or ""
    num_tokens = _measure(event, "numTokens")
    # Copilot's own confidence signals, known when the suggestion is shown (the
    # provider-generic ones: see tact.models.engine.provider.PROVIDER_SIGNAL_KEYS).
    signals = {
        k: v
        for k, v in (
            ("mean_alt_logprob", _measure(event, "meanAlternativeLogProb")),
            ("confidence", _measure(event, "confidence")),
        )
        if v is not None
    }
    issued = _measure(event, "timeSinceIssuedMs")
    return request_features(
        prefix=prompt,
        suffix="",
        language=CUPS_LANGUAGE,
        state=state,
        time=t,
        text=suggestion,
        score=_measure(event, "meanLogProb"),
        num_tokens=int(num_tokens) if num_tokens else None,
        engine="copilot",
        details=signals or None,
        latency=None if issued is None else issued / 1000.0,
        last_shown=last_shown,
    )


def featurize_cups_session(events: Iterable[Any]) -> Iterator[tuple[Any, dict[str, float | str]]]:
    """(Shown event, its features) for every Shown event of ONE session, in order."""
    replayer = CupsReplayer()
    for event in events:
        feats = replayer.feed(event)
        if feats is not None:
            yield event, feats


def _earlier_events(d: Any) -> Sequence[Any]:
    for name in ("earlier", "earlier_events", "history", "events_before", "past"):
        value = getattr(d, name, None)
        if value is not None:
            return value
    return ()


def featurize_cups(d: Any) -> dict[str, float | str]:
    """Features of one CUPS decision (``tact.telemetry.cups.CupsDecision``).

    Replays the decision's earlier events of its session, then featurizes its Shown
    event (prompt, suggestion, measurements, time). Cost is linear in the number of
    earlier events; use :func:`featurize_cups_session` to featurize a whole session.
    """
    replayer = CupsReplayer()
    for event in _earlier_events(d):
        replayer.feed(event, compute=False)
    t = cups_time(_get(d, "time"))
    replayer._observe_prompt(d, t, shown=True)
    return featurize_shown(d, replayer.state, t, replayer.last_shown)


class CupsFeaturizer:
    """``featurize_cups`` for a whole file in linear time: keeps one replayer per
    session and feeds it only the events it has not seen yet. Decisions of a session
    must come in Shown order (as ``tact.telemetry.cups.cups_decisions`` yields them);
    otherwise it falls back to a fresh replay (same result, just slower).

    Usable as the ``featurize`` callback of ``tact.telemetry.cups.import_cups``.
    """

    def __init__(self) -> None:
        self._sessions: dict[Any, tuple[CupsReplayer, int]] = {}

    def __call__(self, d: Any) -> dict[str, float | str]:
        history = _earlier_events(d)
        key = _get(d, "session")
        replayer, seen = self._sessions.get(key, (None, 0))
        if replayer is None or seen > len(history):
            replayer, seen = CupsReplayer(), 0
        for event in history[seen:]:
            replayer.feed(event, compute=False)
        t = cups_time(_get(d, "time"))
        # The Shown event itself is applied after featurizing, as the replay does.
        replayer._observe_prompt(d, t, shown=True)
        features = featurize_shown(d, replayer.state, t, replayer.last_shown)
        replayer.shown(d, t)
        replayer._last_time = t
        self._sessions[key] = (replayer, len(history) + 1)
        return features
