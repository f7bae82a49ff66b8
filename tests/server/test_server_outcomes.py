"""Outcome inference: typing through, divergence, supersession, timeout, late accepts."""

from __future__ import annotations

from tact.server.lsp.protocol import Edit
from tact.server.pipeline.outcomes import OutcomeTracker, Pending
from tact.telemetry.records import Outcome


def tracker_with(text: str = "foo(bar)", offset: int = 10) -> OutcomeTracker:
    tracker = OutcomeTracker(reject_timeout_s=15.0)
    assert tracker.add(Pending("s1", "file:///a.py", offset, text, time=100.0)) == []
    return tracker


def test_typing_the_suggestion_keeps_it_pending() -> None:
    t = tracker_with()
    assert t.on_edits("file:///a.py", [Edit(10, 10, "foo")], 101.0) == []
    assert t.on_edits("file:///a.py", [Edit(13, 13, "(")], 101.5) == []
    assert t.pending("file:///a.py").typed == 4


def test_divergent_edit_rejects() -> None:
    t = tracker_with()
    t.on_edits("file:///a.py", [Edit(10, 10, "f")], 101.0)
    [r] = t.on_edits("file:///a.py", [Edit(11, 11, "x")], 102.0)
    assert (r.id, r.outcome, r.reason, r.time) == ("s1", Outcome.REJECTED, "diverged", 102.0)
    assert t.pending("file:///a.py") is None


def test_deletion_rejects_and_other_documents_do_not_matter() -> None:
    t = tracker_with()
    assert t.on_edits("file:///b.py", [Edit(0, 5, "")], 101.0) == []
    [r] = t.on_edits("file:///a.py", [Edit(8, 10, "")], 101.0)
    assert r.outcome is Outcome.REJECTED


def test_accept_after_the_editor_inserted_the_text() -> None:
    t = tracker_with()
    assert t.on_edits("file:///a.py", [Edit(10, 10, "foo(bar)")], 101.0) == []
    r = t.accept("s1", 101.0)
    assert r is not None and r.outcome is Outcome.ACCEPTED and r.accepted_chars == 8
    assert t.accept("s1", 102.0) is None  # credited once


def test_typed_through_then_moved_on_is_rejected() -> None:
    t = tracker_with("ab")
    t.on_edits("file:///a.py", [Edit(10, 10, "ab")], 101.0)
    [r] = t.on_edits("file:///a.py", [Edit(12, 12, "\n")], 102.0)
    assert r.reason == "typed" and r.outcome is Outcome.REJECTED


def test_newer_suggestion_supersedes() -> None:
    t = tracker_with()
    [r] = t.add(Pending("s2", "file:///a.py", 20, "x", time=105.0))
    assert (r.id, r.reason) == ("s1", "superseded")


def test_timeout_uses_the_given_clock() -> None:
    t = tracker_with()
    assert t.expire(114.9) == []
    [r] = t.expire(200.0)
    assert r.reason == "timeout" and r.time == 115.0


def test_partial_then_full_accept_overrides() -> None:
    t = tracker_with()
    p = t.partial("s1", 3, 101.0)
    assert p is not None and p.outcome is Outcome.PARTIAL and p.accepted_chars == 3
    full = t.accept("s1", 102.0)
    assert full is not None and full.overrides and full.outcome is Outcome.ACCEPTED


def test_unknown_id_is_ignored() -> None:
    assert tracker_with().accept("nope", 1.0) is None
