"""Engine confidence signals (Candidate.details) and repetition features, end to end:
a real engine's candidates -> the gate's feature dicts -> schema vectors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tact.models.engine import CompletionRequest, EmbeddedProvider
from tact.models.engine.provider import DETAIL_KEYS, Candidate
from tact.models.features import SCHEMA, stage1_features, stage2_features
from tact.models.features.repetition import context_repetition, suggestion_repetition

CODE = '''import logging

log = logging.getLogger(__name__)


def load(path):
    log.debug("loading %s", path)
    with open(path) as f:
        return f.read()


def save(path, text):
    log.debug("saving %s", path)
    with open(path, "w") as f:
        f.write(text)
'''


@pytest.fixture
def engine(tmp_path: Path) -> EmbeddedProvider:
    p = tmp_path / "io_utils.py"
    p.write_text(CODE)
    e = EmbeddedProvider()
    assert e.index_paths([p]) == 1
    return e


def _ask(engine: EmbeddedProvider, prefix: str) -> Candidate:
    found = engine.complete(CompletionRequest("file:///w/new.py", "python", prefix, ""))
    assert found, prefix
    return found[0]


def test_candidates_carry_consistent_details(engine: EmbeddedProvider) -> None:
    cand = _ask(engine, "import logging\n\nlog = logging.")
    d = cand.details
    assert d is not None and set(DETAIL_KEYS) <= set(d)
    assert 0.0 < d["first_token_prob"] <= 1.0
    assert d["first_margin"] == pytest.approx(d["first_token_prob"] - d["runner_up_prob"])
    # the least probable token is no more probable than the average one
    assert d["min_token_logprob"] <= cand.score + 1e-12
    assert d["global_order"] >= 1 and d["global_context_count"] >= 1
    assert 0.0 <= d["local_share"] <= 1.0


def test_candidate_without_details_still_constructs() -> None:
    c = Candidate("x", -1.0, -1.0, 1, "other")
    assert c.details is None


def test_details_reach_stage2_features_from_the_candidate(engine) -> None:
    prefix = "import logging\n\nlog = logging."
    cand = _ask(engine, prefix)
    s1 = stage1_features(prefix, "", "python", None, 0.0)
    # what the server passes: the candidate's details
    f = stage2_features(s1, prefix, "", "python", cand.text, cand.score, cand.num_tokens,
                        details=cand.details)
    assert f["eng_has_details"] == 1.0
    assert f["eng_first_token_prob"] == pytest.approx(cand.details["first_token_prob"])
    # passing the candidate itself gives the same
    g = stage2_features(s1, prefix, "", "python", cand.text, cand.score, cand.num_tokens,
                        candidate=cand)
    assert g == f
    # without details (another engine, e.g. CUPS rows) the engine features are defaults
    c = stage2_features(s1, prefix, "", "python", cand.text, cand.score, cand.num_tokens,
                        engine="copilot")
    assert c["eng_has_details"] == 0.0 and c["eng_first_token_prob"] == 0.0
    for feats, stage in ((s1, 1), (f, 2)):
        v = SCHEMA.vectorize(feats, stage)
        assert v.shape == (SCHEMA.width(stage),) and all(math.isfinite(x) for x in v)


def test_context_repetition_counts_only_the_past() -> None:
    prefix = "total = compute(alpha)\nother = 1\ntotal = compute("
    f = context_repetition(prefix)
    assert f["ctx_rep_tail8"] == 1.0  # "compute(" once before the cursor's own
    assert f["ctx_rep_next_agree"] == 1.0  # ... and followed by the same text
    # the cursor line's text began an earlier line (after a line break) once
    assert context_repetition("x\n" + prefix)["ctx_rep_line"] == 1.0
    assert context_repetition("a\nb")["ctx_rep_tail8"] == 0.0
    fresh = context_repetition("x = 1\ny = 2\nzeta = quux(")
    assert fresh["ctx_rep_tail8"] == 0.0 and fresh["ctx_rep_next_agree"] == 0.0
    assert fresh["ctx_partial_word"] == 0.0
    assert context_repetition("x = 1\nval")["ctx_partial_word"] == 3.0


def test_suggestion_repetition_tells_seen_from_new_continuations() -> None:
    prefix = "result = compute(alpha)\nresult = compute("
    seen = suggestion_repetition(prefix, "alpha)")
    new = suggestion_repetition(prefix, "beta_gamma)")
    assert seen["sug_follow_ratio8"] == 1.0 and seen["sug_copy_frac"] == 1.0
    assert new["sug_follow_ratio8"] == 0.0 and new["sug_copy_chars"] == 0.0


def test_context_stats_reach_stage1_features(engine: EmbeddedProvider) -> None:
    from tact.models.engine.embedded import CONTEXT_STAT_KEYS

    known = "import logging\n\nlog = logging."
    stats = engine.context_stats(CompletionRequest("file:///w/new.py", "python", known, ""))
    assert set(stats) == set(CONTEXT_STAT_KEYS)
    assert stats["has_stats"] == 1.0
    assert 0.0 < stats["top_prob"] <= 1.0 and stats["global_context_count"] >= 1
    # the same first-token probability the search reports for its candidate
    cand = _ask(engine, known)
    assert stats["top_prob"] == pytest.approx(cand.details["first_token_prob"])
    # an unseen context: a shorter context found, a flatter next-token distribution
    fresh = engine.context_stats(
        CompletionRequest("file:///w/new.py", "python", "zz = quux_frob(", "")
    )
    assert fresh["global_order"] < stats["global_order"]
    assert fresh["top_prob"] < stats["top_prob"]
    # inside a string the engine declines up front: no stats
    declined = engine.context_stats(
        CompletionRequest("file:///w/new.py", "python", 'x = "abc', "")
    )
    assert declined["has_stats"] == 0.0

    s1 = stage1_features(known, "", "python", None, 0.0, engine_stats=stats)
    assert s1["ctx_eng_has_stats"] == 1.0
    assert s1["ctx_eng_top_prob"] == pytest.approx(stats["top_prob"])
    assert {f"ctx_eng_{k}" for k in CONTEXT_STAT_KEYS} <= set(SCHEMA.stage1_names)
    v = SCHEMA.vectorize(s1, 1)
    assert v.shape == (SCHEMA.width(1),) and all(math.isfinite(x) for x in v)


def test_stage1_vector_is_finite_without_engine_stats() -> None:
    s1 = stage1_features("x = 1\ny = ", "", "python", None, 0.0)
    assert s1["ctx_eng_has_stats"] == 0.0 and s1["ctx_eng_top_prob"] == 0.0
    bad = stage1_features("x = 1\ny = ", "", "python", None, 0.0,
                          engine_stats={"top_prob": float("nan"), "has_stats": 1.0})
    assert bad["ctx_eng_top_prob"] == 0.0
    for feats in (s1, bad):
        v = SCHEMA.vectorize(feats, 1)
        assert v.shape == (SCHEMA.width(1),) and all(math.isfinite(x) for x in v)


def test_path_signals_are_consistent(engine: EmbeddedProvider) -> None:
    """v6 details: confidence is the first line's probability (so no more than the
    probability of its first half, nor of the first token), support is measured."""
    from tact.models.engine.provider import PROVIDER_SIGNAL_KEYS

    cand = _ask(engine, "def save(path, text):\n    log.")
    d = cand.details
    assert d is not None and set(PROVIDER_SIGNAL_KEYS) <= set(d)
    assert 0.0 < d["confidence"] <= d["first_token_prob"] + 1e-12
    assert math.log(d["confidence"]) <= d["half_line_logprob"] + 1e-12 <= 1e-12
    assert d["half_line_logprob"] <= math.log(d["first_token_prob"]) + 1e-12
    assert d["mean_alt_logprob"] <= 0.0
    assert -1.0 <= d["mean_margin"] <= 1.0 and d["low_tokens"] >= 0
    # "log." then "debug(" was seen in the indexed file: found at a deep order
    assert 1 <= d["min_depth"] <= d["mean_depth"] and d["min_support"] >= 1


def test_provider_signals_from_any_engine() -> None:
    """The generic signals come from details of any provider (Copilot's in CUPS),
    without pretending that provider had the embedded engine's details."""
    prefix = "import logging\n\nlog = logging."
    s1 = stage1_features(prefix, "", "python", None, 0.0)
    f = stage2_features(s1, prefix, "", "python", "getLogger(__name__)", -0.3, 6,
                        engine="copilot", details={"mean_alt_logprob": -3.5,
                                                   "confidence": 0.6})
    assert f["sug_alt_logprob"] == -3.5 and f["sug_has_alt"] == 1.0
    assert f["sug_confidence"] == 0.6 and f["sug_has_confidence"] == 1.0
    assert f["eng_has_details"] == 0.0
    g = stage2_features(s1, prefix, "", "python", "getLogger(__name__)", -0.3, 6,
                        engine="copilot")
    assert g["sug_has_alt"] == 0.0 and g["sug_has_confidence"] == 0.0


def test_cups_rows_carry_copilot_confidence() -> None:
    from tact.models.features.cups import featurize_cups_session

    events = [
        {"session": 0, "time": "2022-08-08T16:05:28.904Z", "event": "Shown",
         "suggestion": "(X, Y)", "prompt": "import x\nf(",
         "measurements": {"meanLogProb": -0.2, "numTokens": 4.0, "confidence": 0.7,
                          "meanAlternativeLogProb": -3.0, "timeSinceIssuedMs": 300.0}},
        {"session": 0, "time": "2022-08-08T16:05:30.000Z", "event": "Shown",
         "suggestion": "(X)", "prompt": "import x\ng(",
         "measurements": {"numTokens": 2.0}},
    ]
    (_, a), (_, b) = list(featurize_cups_session(events))
    assert a["sug_confidence"] == 0.7 and a["sug_alt_logprob"] == -3.0
    assert b["sug_has_confidence"] == 0.0 and b["sug_has_alt"] == 0.0


def test_path_support_measures_the_whole_suggestion(engine: EmbeddedProvider) -> None:
    """v8: evidence along every token of the suggestion, and after its end."""
    from tact.models.engine.embedded import PATH_KEYS

    seen = _ask(engine, CODE.split("def save")[0] + "def save(path, text):\n    log.")
    d = seen.details
    assert d is not None and set(PATH_KEYS) <= set(d)
    assert 0 <= d["path_min_depth"] <= d["path_mean_depth"]
    assert d["path_min_context"] >= 1
    for key in ("path_global_min_prob", "path_local_min_prob", "path_global_top",
                "path_local_top", "path_local_seen", "end_eol_prob", "end_top_prob"):
        assert 0.0 <= d[key] <= 1.0, key
    assert d["beam_gap"] >= 0.0 and d["first_entropy"] >= 0.0
    # the new document has no model of its own yet: no document-model evidence
    assert d["path_local_min_prob"] == 0.0 and d["path_local_top"] == 0.0
    # a line seen whole before ends where a line ends
    assert seen.text.startswith("debug(") and d["end_eol_prob"] > 0.5
    # a context the workspace never saw: shallower matches along the way
    fresh = _ask(engine, "zz = quux_frob(path)\nlog.")
    assert fresh.details["path_mean_depth"] < d["path_mean_depth"]


def test_document_model_evidence_once_the_document_is_open(engine: EmbeddedProvider) -> None:
    """With the document open (its own cache model), the path features see it."""
    uri = "file:///w/open.py"
    engine.update_document(uri, "python", CODE)
    prefix = CODE + "\n\ndef save_again(path, text):\n    log."
    cand = engine.complete(CompletionRequest(uri, "python", prefix, ""))[0]
    assert cand.details["path_local_min_prob"] > 0.0
    assert cand.details["path_local_top"] > 0.0
    stats = engine.context_stats(CompletionRequest(uri, "python", prefix, ""))
    assert stats["roll_path_local_min_prob"] > 0.0
    assert 0.0 <= stats["roll_end_eol_prob"] <= 1.0 and stats["top_entropy"] >= 0.0
    s2 = stage2_features(stage1_features(prefix, "", "python", None, 0.0, engine_stats=stats),
                         prefix, "", "python", cand.text, cand.score, cand.num_tokens,
                         candidate=cand)
    assert s2["eng_path_local_top"] == pytest.approx(cand.details["path_local_top"])
    assert s2["ctx_eng_roll_path_local_min_prob"] == pytest.approx(
        stats["roll_path_local_min_prob"])
