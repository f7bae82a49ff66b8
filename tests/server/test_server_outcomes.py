"""Outcome inference: typing through, divergence, supersession, timeout, late accepts."""

from __future__ import annotations

from tact.server.pipeline.outcomes import OutcomeTracker, Pending
from tact.telemetry.records import Outcome

URI = "file:///a.py"
BEFORE = "x = 1\nvalue = "  # the cursor is at the end of this prefix...
AFTER = "\nprint(value)\n"  # ...and this follows it
SUGGESTION = "foo(bar)"


def tracker_with() -> OutcomeTracker:
    tracker = OutcomeTracker(reject_timeout_s=15.0)
    item = Pending("s1", URI, len(BEFORE), SUGGESTION, time=100.0, suffix_len=len(AFTER))
    assert tracker.add(item) == []
    return tracker


def doc(typed: str) -> str:
    return BEFORE + typed + AFTER


def test_typing_the_suggestion_keeps_it_pending() -> None:
    t = tracker_with()
    assert t.on_edits(URI, doc(""), doc("foo"), 101.0) == []
    assert t.on_edits(URI, doc("foo"), doc("foo("), 101.5) == []
    assert t.pending(URI).typed == 4


def test_divergent_edit_rejects() -> None:
    t = tracker_with()
    t.on_edits(URI, doc(""), doc("f"), 101.0)
    [r] = t.on_edits(URI, doc("f"), doc("fx"), 102.0)
    assert (r.id, r.outcome, r.reason, r.time) == ("s1", Outcome.REJECTED, "diverged", 102.0)
    assert t.pending(URI) is None


def test_edits_before_or_after_the_suggestion_reject() -> None:
    t = tracker_with()
    [r] = t.on_edits(URI, doc(""), "y" + doc(""), 101.0)
    assert r.outcome is Outcome.REJECTED
    t = tracker_with()
    [r] = t.on_edits(URI, doc(""), doc("") + "#", 101.0)
    assert r.outcome is Outcome.REJECTED


def test_other_documents_do_not_matter() -> None:
    t = tracker_with()
    assert t.on_edits("file:///b.py", "abc", "", 101.0) == []
    assert t.pending(URI) is not None


def test_net_effect_of_a_batch_counts_not_each_edit() -> None:
    # Vim deletes the typed word and types it again inside one didChange: net no change.
    t = tracker_with()
    assert t.on_edits(URI, doc(""), doc(""), 101.0) == []
    # A whole-line replacement that inserts the suggestion is an insert of it.
    assert t.on_edits(URI, doc(""), doc(SUGGESTION), 101.5) == []
    assert t.pending(URI).complete


def test_accept_after_the_editor_inserted_the_text() -> None:
    t = tracker_with()
    assert t.on_edits(URI, doc(""), doc(SUGGESTION), 101.0) == []
    # Further edits (auto-indent, the next keystroke) before the command arrives.
    assert t.on_edits(URI, doc(SUGGESTION), doc(SUGGESTION) + "  ", 101.1) == []
    r = t.accept("s1", 101.2)
    assert r is not None and r.outcome is Outcome.ACCEPTED and r.accepted_chars == 8
    assert not r.overrides
    assert t.accept("s1", 102.0) is None  # credited once


def test_typed_through_without_accept_times_out() -> None:
    t = tracker_with()
    t.on_edits(URI, doc(""), doc(SUGGESTION), 101.0)
    assert t.expire(110.0) == []
    [r] = t.expire(116.0)
    assert r.reason == "timeout" and r.outcome is Outcome.REJECTED


def test_newer_suggestion_supersedes() -> None:
    t = tracker_with()
    [r] = t.add(Pending("s2", URI, 20, "x", time=105.0))
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


def test_completion_item_is_anchored_at_the_word_it_replaces() -> None:
    # "val" typed, the completion item replaces it with "value = 1": Vim deletes the word
    # and types it again (in separate batches); only the final text decides.
    t = OutcomeTracker(reject_timeout_s=15.0)
    prefix, word = "x = 1\n", "val"
    t.add(Pending("c1", URI, len(prefix), word + "ue = 1", time=1.0, suffix_len=0, lead=3))
    assert t.on_edits(URI, prefix + "val", prefix + "va", 1.1) == []
    assert t.on_edits(URI, prefix + "va", prefix, 1.2) == []
    assert t.on_edits(URI, prefix, prefix + "value = 1", 1.3) == []
    r = t.accept("c1", 1.4)
    assert r is not None and r.accepted_chars == len("ue = 1")
