"""Repetition features: how much of what comes next the document already shows.

Code repeats itself, and a completion engine is confident (and usually right) exactly
where the text before the cursor has occurred before and was followed by the same
thing each time. These features measure that from the text alone, so they exist
before generating (stage 1), for any engine, and for recorded CUPS sessions too (their
prompt is the prefix). Everything is ``str.count``/``str.find`` over a bounded tail of
the prefix (C speed: tens of microseconds on a large file).
"""

from __future__ import annotations

import math
from collections import Counter

from tact.models.engine.embedded import CONTEXT_STAT_KEYS
from tact.models.engine.provider import DETAIL_KEYS, PROVIDER_SIGNAL_KEYS

# How far back the document is searched for repeats.
HAYSTACK_CHARS = 60_000
TAILS = (8, 16, 32)
_MAX_OCCURRENCES = 24  # occurrences examined for what followed them
_NEXT_CHARS = 8
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def _haystack(prefix: str) -> str:
    """The searched text: the prefix tail without its last character, so the cursor's
    own occurrence of a tail is never counted."""
    return prefix[max(0, len(prefix) - HAYSTACK_CHARS) : len(prefix) - 1]


def context_repetition(prefix: str) -> dict[str, float]:
    """Stage-1 features: counts of the prefix's last 8/16/32 characters earlier in the
    document, how consistently the longest repeated tail was followed by the same
    characters, whether the cursor line's text (with its indentation) began an earlier
    line, and the length of the word being typed."""
    hay = _haystack(prefix)
    out: dict[str, float] = {}
    best_tail = 0
    for k in TAILS:
        tail = prefix[-k:]
        n = hay.count(tail) if len(prefix) > k else 0
        out[f"ctx_rep_tail{k}"] = float(n)
        if n:
            best_tail = k
    agree = 0.0
    if best_tail:
        tail = prefix[-best_tail:]
        nexts: list[str] = []
        start = 0
        while len(nexts) < _MAX_OCCURRENCES:
            i = hay.find(tail, start)
            if i < 0:
                break
            j = i + len(tail)
            nexts.append(prefix[j : j + _NEXT_CHARS])
            start = i + 1
        if nexts:
            agree = Counter(nexts).most_common(1)[0][1] / len(nexts)
    out["ctx_rep_tail_len"] = float(best_tail)
    out["ctx_rep_next_agree"] = agree
    nl = prefix.rfind("\n")
    line = prefix[nl + 1 :]
    out["ctx_rep_line"] = (
        float(hay.count("\n" + line, 0, max(nl, 0))) if line.strip() else 0.0
    )
    partial = 0
    for ch in reversed(line):
        if ch not in _WORD:
            break
        partial += 1
    out["ctx_partial_word"] = float(partial)
    return out


def suggestion_repetition(prefix: str, text: str) -> dict[str, float]:
    """Stage-2 features: does the suggestion continue the prefix the way the document
    already did somewhere (the longest k of its first 4/8/16/32/64 characters such
    that the prefix's last 12 characters followed by them occur earlier), and how
    often its first non-blank line already occurs in the document."""
    hay = _haystack(prefix)
    anchor = prefix[-12:]
    body = text.rstrip()
    copied = 0
    if body and anchor:
        for k in (4, 8, 16, 32, 64):
            piece = body[:k]
            if (anchor + piece) not in hay:
                break
            copied = len(piece)
            if k >= len(body):
                break
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    # Of the earlier places where the prefix's tail occurred, the share followed by
    # this suggestion's start: the document's own estimate of P(suggestion | context).
    piece = body[:16]
    follow: dict[str, float] = {}
    for k in (8, 24):
        tail = prefix[-k:]
        n = hay.count(tail) if body and len(prefix) > k else 0
        hits = hay.count(tail + piece) if n else 0
        follow[f"sug_follow_ratio{k}"] = hits / n if n else 0.0
        follow[f"sug_follow_count{k}"] = float(hits)
    return {
        **follow,
        "sug_copy_chars": float(copied),
        "sug_copy_frac": copied / len(body) if body else 0.0,
        "sug_line_in_doc": float(hay.count(first)) if len(first) > 3 else 0.0,
    }


def engine_detail_features(details: object) -> dict[str, float]:
    """The engine's own confidence signals (``Candidate.details``) as features;
    ``eng_has_details`` = 0 and neutral values when the engine gave none (CUPS,
    other providers), so one model serves both."""
    out = {f"eng_{k}": 0.0 for k in DETAIL_KEYS}
    out.update(provider_signal_features(details))
    if not isinstance(details, dict) and not hasattr(details, "get"):
        out["eng_has_details"] = 0.0
        return out
    found = False
    for k in DETAIL_KEYS:
        v = details.get(k)  # type: ignore[union-attr]
        if isinstance(v, (int, float)) and v == v:
            out[f"eng_{k}"] = float(v)
            found = True
    out["eng_has_details"] = float(found)
    return out


def provider_signal_features(details: object) -> dict[str, float]:
    """Confidence signals any provider can give (``PROVIDER_SIGNAL_KEYS``): the
    runner-up tokens' mean log-probability and the provider's own 0..1 confidence.
    Copilot's telemetry has both (``meanAlternativeLogProb``, ``confidence``), the
    embedded engine computes them from its token probabilities; a ``has`` flag says
    whether each is known (engines' scales differ: ``sug_engine`` tells them apart)."""
    out = {"sug_alt_logprob": 0.0, "sug_has_alt": 0.0, "sug_confidence": 0.0,
           "sug_has_confidence": 0.0}
    if details is None or not hasattr(details, "get"):
        return out
    alt = details.get(PROVIDER_SIGNAL_KEYS[0])  # type: ignore[union-attr]
    if isinstance(alt, (int, float)) and math.isfinite(alt):
        out["sug_alt_logprob"], out["sug_has_alt"] = float(alt), 1.0
    conf = details.get(PROVIDER_SIGNAL_KEYS[1])  # type: ignore[union-attr]
    if isinstance(conf, (int, float)) and math.isfinite(conf):
        out["sug_confidence"], out["sug_has_confidence"] = float(conf), 1.0
    return out


def engine_context_features(stats: object) -> dict[str, float]:
    """The engine's pre-generation statistics at the cursor
    (``EmbeddedProvider.context_stats``) as stage-1 features ``ctx_eng_*``: whether the
    n-gram models know this context and how peaked the next token is predicts whether
    a confident, accepted suggestion will come, before paying for the search. Neutral
    zeros (``ctx_eng_has_stats`` = 0) without stats, so CUPS rows still vectorize."""
    out = {f"ctx_eng_{k}": 0.0 for k in CONTEXT_STAT_KEYS}
    if stats is None or not hasattr(stats, "get"):
        return out
    for k in CONTEXT_STAT_KEYS:
        v = stats.get(k)  # type: ignore[union-attr]
        if isinstance(v, (int, float)) and v == v and abs(v) != float("inf"):
            out[f"ctx_eng_{k}"] = float(v)
    return out
