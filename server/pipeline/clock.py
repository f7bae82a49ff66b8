"""The server's notion of "now": wall time, or the replay's simulated time.

Replay types thousands of suggestions in seconds, so wall time would make every
pause zero and no timeout would ever fire. Once a client sends the replay-only
``tact/replayClock`` notification, ``now()`` returns the last simulated time it sent
(never going backwards), and timeouts and programmer-state features follow it.
Latencies are always measured with the real ``perf_counter``: they describe the server.
"""

from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self._simulated: float | None = None

    @property
    def simulated(self) -> bool:
        return self._simulated is not None

    def now(self) -> float:
        """Epoch seconds: simulated when a replay drives the clock, else wall time."""
        return self._simulated if self._simulated is not None else time.time()

    def set(self, when: float) -> float:
        """Advance simulated time to ``when`` (a step back is ignored); returns now."""
        if self._simulated is None or when > self._simulated:
            self._simulated = float(when)
        return self._simulated
