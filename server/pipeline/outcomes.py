"""Infer what happened to each shown suggestion.

Editors report accepts (the ``tact.accept`` command) and, with our clients, partial
accepts; nobody reports a rejection. So the server keeps the latest shown suggestion
per document as *pending* and resolves it:

* accepted / partially accepted: when the client says so (this also overrides a
  rejection inferred a moment earlier, e.g. by the edit that inserted the text);
* rejected: when an edit diverges from it (anything but typing its next characters),
  when a newer request for the same document supersedes it, when the document closes,
  or when ``reject_timeout`` passes on the server clock (simulated during replay).

Typing exactly the suggested characters keeps it pending, as an editor keeps showing
the rest of the ghost text. Once all of it is in the document (the editor inserted it,
or the programmer typed it through) it waits for the accept command; without one it is
rejected at the timeout or when a newer suggestion is shown.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from tact.telemetry.records import Outcome

# How many resolved suggestions to remember so a late accept can still be credited.
RECENT = 512


@dataclass(slots=True)
class Pending:
    id: str
    uri: str
    offset: int  # where the suggestion's text starts in the document
    text: str
    time: float  # when it was shown (server clock)
    suffix_len: int = 0  # characters after the cursor when it was shown
    typed: int = 0  # how many of its characters are in the document now
    complete: bool = False  # all of it is in the document: waiting for the accept
    lead: int = 0  # leading characters of ``text`` already typed when it was shown


@dataclass(frozen=True, slots=True)
class Resolution:
    id: str
    outcome: Outcome
    accepted_chars: int | None
    time: float
    reason: str  # "accept", "partial", "diverged", "superseded", "timeout", "closed"
    overrides: bool = False  # replaces an outcome inferred earlier


class OutcomeTracker:
    def __init__(self, reject_timeout_s: float) -> None:
        self.reject_timeout_s = reject_timeout_s
        self._pending: dict[str, Pending] = {}  # by uri
        self._by_id: dict[str, Pending] = {}
        self._recent: OrderedDict[str, tuple[Pending, Outcome]] = OrderedDict()

    def pending(self, uri: str) -> Pending | None:
        return self._pending.get(uri)

    def add(self, item: Pending) -> list[Resolution]:
        """Track a newly shown suggestion; it supersedes the document's previous one."""
        out = []
        previous = self._pending.get(item.uri)
        if previous is not None:
            out.append(self._resolve(previous, Outcome.REJECTED, 0, item.time, "superseded"))
        self._pending[item.uri] = item
        self._by_id[item.id] = item
        return out

    def on_edits(self, uri: str, before: str, after: str, now: float) -> list[Resolution]:
        """Judge one didChange batch by its net effect on the document.

        Editors differ in how they spell an insert (Vim deletes and re-types a word when
        a completion is taken; others replace whole lines), so the test is on content:
        the text before the suggestion and the text that was after the cursor are
        unchanged, and what lies between is a prefix of the suggestion. A completion
        item is anchored at the start of the word it replaces (its ``lead``), so an
        editor that deletes and re-types that word stays consistent. A suggestion
        typed to its end waits for the editor's accept (or the timeout).
        """
        item = self._pending.get(uri)
        if item is None or item.complete:
            return []
        p, n = item.offset, item.suffix_len
        typed = len(after) - p - n
        if (
            0 <= typed <= len(item.text)
            and after[p : p + typed] == item.text[:typed]
            and after[:p] == before[:p]
            and after[len(after) - n :] == before[len(before) - n :]
        ):
            item.typed = typed
            item.complete = typed == len(item.text)
            return []
        return [self._resolve(item, Outcome.REJECTED, 0, now, "diverged")]

    def accept(self, suggestion_id: str, now: float) -> Resolution | None:
        return self._client_outcome(suggestion_id, Outcome.ACCEPTED, None, now, "accept")

    def partial(self, suggestion_id: str, accepted_chars: int, now: float) -> Resolution | None:
        return self._client_outcome(suggestion_id, Outcome.PARTIAL, accepted_chars, now, "partial")

    def expire(self, now: float) -> list[Resolution]:
        """Reject every pending suggestion older than the timeout (as of ``now``)."""
        out = []
        for item in list(self._pending.values()):
            deadline = item.time + self.reject_timeout_s
            if now >= deadline:
                out.append(self._resolve(item, Outcome.REJECTED, 0, deadline, "timeout"))
        return out

    def close(self, uri: str, now: float) -> list[Resolution]:
        item = self._pending.get(uri)
        return [self._resolve(item, Outcome.REJECTED, 0, now, "closed")] if item else []

    def supersede(self, uri: str, now: float) -> list[Resolution]:
        """A new request for ``uri``: the suggestion shown before is no longer wanted."""
        item = self._pending.get(uri)
        return [self._resolve(item, Outcome.REJECTED, 0, now, "superseded")] if item else []

    def _client_outcome(
        self,
        suggestion_id: str,
        outcome: Outcome,
        chars: int | None,
        now: float,
        reason: str,
    ) -> Resolution | None:
        item = self._by_id.get(suggestion_id)
        if item is not None:
            if chars is None:
                chars = len(item.text) - item.lead
            return self._resolve(item, outcome, chars, now, reason)
        recent = self._recent.get(suggestion_id)
        if recent is None:
            return None  # unknown, or long forgotten: nothing to credit
        item, previous = recent
        if previous == Outcome.ACCEPTED:
            return None  # already credited in full
        if chars is None:
            chars = len(item.text) - item.lead
        self._recent[suggestion_id] = (item, outcome)
        return Resolution(item.id, outcome, chars, now, reason, overrides=True)

    def _resolve(
        self, item: Pending, outcome: Outcome, chars: int | None, now: float, reason: str
    ) -> Resolution:
        if self._pending.get(item.uri) is item:
            del self._pending[item.uri]
        self._by_id.pop(item.id, None)
        self._recent[item.id] = (item, outcome)
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        return Resolution(item.id, outcome, chars, now, reason)
