"""The confidence signals of recently returned candidates, found again by score.

The server's pipeline hands the gate a candidate's text, score and token count, not
the Candidate object, and filters may trim the text. So that the engine's richer
signals (``Candidate.details``) still reach the gate's features without a change to
that call, the provider remembers the details of the last few candidates it returned,
keyed by (score, num_tokens): the score is a float computed from the candidate's own
token probabilities, so two different recent candidates practically never share it.
A caller that has the Candidate passes ``details`` directly and never needs this.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from tact.models.engine.provider import Candidate

_CAPACITY = 256
_lock = threading.Lock()
_recent: OrderedDict[tuple[float, int], Mapping[str, float]] = OrderedDict()


def remember(candidates: Iterable[Candidate]) -> None:
    """Keep the details of ``candidates`` (the oldest entries fall out)."""
    with _lock:
        for c in candidates:
            if c.details:
                key = (float(c.score), int(c.num_tokens))
                _recent[key] = c.details
                _recent.move_to_end(key)
        while len(_recent) > _CAPACITY:
            _recent.popitem(last=False)


def lookup(score: float | None, num_tokens: int | None) -> Mapping[str, float] | None:
    """The details of a recently returned candidate with this score and length."""
    if score is None or num_tokens is None:
        return None
    try:
        key = (float(score), int(num_tokens))
    except (TypeError, ValueError):
        return None
    with _lock:
        return _recent.get(key)


def clear() -> None:
    with _lock:
        _recent.clear()
