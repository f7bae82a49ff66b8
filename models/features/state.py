"""Programmer state: what an editor can observe about the person, online.

One :class:`ProgrammerState` per session. The server feeds it edits (keystrokes),
decisions (a suggestion shown or hidden) and outcomes (accepted or rejected) as they
happen, and asks for :meth:`ProgrammerState.features` at decision time. The CUPS
featurizer replays a recorded session's earlier events through the same object, so
training and serving compute these features the same way.

Only the past is used: features(time) never looks at anything observed after ``time``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

# Horizon of "recent" typing, and the k of "acceptance rate over the last k".
RECENT_SECONDS = 10.0
LAST_K = 10
# Prior for smoothed acceptance rates: (accepted + PRIOR_RATE * PRIOR_N) / (n + PRIOR_N).
PRIOR_RATE = 0.3
PRIOR_N = 2.0
# Durations are capped so that "never" and "long ago" look alike.
MAX_SECONDS = 600.0
OUTCOMES = ("none", "accepted", "rejected", "pending", "hidden")


@dataclass(frozen=True, slots=True)
class EditEvent:
    """One edit of the document: ``inserted``/``deleted`` characters at ``time`` (s)."""

    time: float
    inserted: int
    deleted: int


class ProgrammerState:
    """Online, observable-only state of one programmer's session (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._edits: deque[EditEvent] = deque(maxlen=512)
        self._first_time: float | None = None
        self._last_edit_time: float | None = None
        self._inserted_since_decision = 0
        self._deleted_since_decision = 0
        self._last_decision_time: float | None = None
        self._last_shown_time: float | None = None
        self._decisions = 0
        self._shown = 0
        self._shown_times: deque[float] = deque(maxlen=64)
        self._last_outcome = "none"
        self._last_outcome_time: float | None = None
        self._last_accept_time: float | None = None
        self._outcomes: deque[bool] = deque(maxlen=LAST_K)
        self._accepted_total = 0
        self._outcomes_total = 0

    def _seen(self, time: float) -> None:
        if self._first_time is None or time < self._first_time:
            self._first_time = time

    def observe_edit(self, time: float, inserted: int, deleted: int) -> None:
        """The programmer changed the document (typed ``inserted``, removed ``deleted``)."""
        if inserted <= 0 and deleted <= 0:
            return
        with self._lock:
            self._seen(time)
            self._edits.append(EditEvent(time, max(inserted, 0), max(deleted, 0)))
            self._last_edit_time = time
            self._inserted_since_decision += max(inserted, 0)
            self._deleted_since_decision += max(deleted, 0)

    def observe_decision(self, time: float, shown: bool) -> None:
        """A suggestion decision was made: shown to the programmer, or not."""
        with self._lock:
            self._seen(time)
            self._decisions += 1
            self._last_decision_time = time
            self._inserted_since_decision = 0
            self._deleted_since_decision = 0
            if shown:
                self._shown += 1
                self._last_shown_time = time
                self._shown_times.append(time)
                self._last_outcome = "pending"
            elif self._last_outcome in ("none", "pending"):
                self._last_outcome = "hidden"

    def observe_outcome(self, time: float, accepted: bool) -> None:
        """The last shown suggestion was accepted (or rejected)."""
        with self._lock:
            self._seen(time)
            self._outcomes.append(accepted)
            self._outcomes_total += 1
            self._accepted_total += int(accepted)
            self._last_outcome = "accepted" if accepted else "rejected"
            self._last_outcome_time = time
            if accepted:
                self._last_accept_time = time

    def features(self, time: float) -> dict[str, float | str]:
        """The state features at ``time`` (only what was observed so far)."""

        def since(t: float | None) -> float:
            if t is None:
                return MAX_SECONDS
            return min(max(time - t, 0.0), MAX_SECONDS)

        with self._lock:
            horizon = time - RECENT_SECONDS
            inserted = deleted = n_edits = 0
            for ev in reversed(self._edits):
                if ev.time < horizon:
                    break
                if ev.time > time:
                    continue
                inserted += ev.inserted
                deleted += ev.deleted
                n_edits += 1
            recent_shown = sum(1 for t in self._shown_times if time - 60.0 <= t <= time)
            k = len(self._outcomes)
            acc_k = sum(self._outcomes)
            return {
                "st_since_keystroke": since(self._last_edit_time),
                "st_typing_speed": inserted / RECENT_SECONDS,
                "st_edits_recent": float(n_edits),
                "st_deleted_recent": float(deleted),
                "st_inserted_since_decision": float(self._inserted_since_decision),
                "st_deleted_since_decision": float(self._deleted_since_decision),
                "st_since_decision": since(self._last_decision_time),
                "st_since_shown": since(self._last_shown_time),
                "st_last_outcome": self._last_outcome,
                "st_since_outcome": since(self._last_outcome_time),
                "st_since_accept": since(self._last_accept_time),
                "st_accept_rate_k": (acc_k + PRIOR_RATE * PRIOR_N) / (k + PRIOR_N),
                "st_outcomes_k": float(k),
                "st_accept_rate_session": (self._accepted_total + PRIOR_RATE * PRIOR_N)
                / (self._outcomes_total + PRIOR_N),
                "st_decisions": float(self._decisions),
                "st_shown_last_minute": float(recent_shown),
                "st_session_seconds": min(max(time - self._first_time, 0.0), 4 * 3600.0)
                if self._first_time is not None
                else 0.0,
            }
