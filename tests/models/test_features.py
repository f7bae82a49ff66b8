"""Gate features: context, suggestion, programmer state, schema, CUPS replay."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from tact.models.evaluation.synthetic import synthetic_cups_events
from tact.models.features import (
    FEATURE_SCHEMA_VERSION,
    SCHEMA,
    ProgrammerState,
    context_features,
    request_features,
    stage1_features,
    stage2_features,
    suggestion_features,
)
from tact.models.features.cups import CupsFeaturizer, featurize_cups, featurize_cups_session

CODE = '''import os


def greet(name):
    """Say hello."""
    message = "Hello, " + name
    print(message)
    return message


def main():
    greet("world")
'''


def at(marker: str) -> tuple[str, str]:
    """Split CODE at the first occurrence of ``marker`` (cursor after it)."""
    i = CODE.index(marker) + len(marker)
    return CODE[:i], CODE[i:]


def test_schema_has_a_version_and_stage2_extends_stage1() -> None:
    assert FEATURE_SCHEMA_VERSION
    assert SCHEMA.stage1_names == SCHEMA.stage2_names[: len(SCHEMA.stage1_names)]
    assert not any(n.startswith("sug_") for n in SCHEMA.stage1_names)
    assert any(n.startswith("sug_") for n in SCHEMA.stage2_names)
    assert len(SCHEMA.stage2_columns) == SCHEMA.width(2) > SCHEMA.width(1)


def test_every_computed_feature_is_in_the_schema_and_back() -> None:
    prefix, suffix = at("message = ")
    f = request_features(prefix, suffix, "python", ProgrammerState(), 10.0,
                         '"Hi, " + name', -0.3, 5)
    assert set(f) == set(SCHEMA.stage2_names)
    assert f["sug_engine"] == "tact"
    # Rows recorded before the engine feature existed count as tact's own engine.
    cols = SCHEMA.columns(2)
    assert SCHEMA.vectorize({}, 2)[cols.index("sug_engine=tact")] == 1.0


def test_context_sees_string_comment_and_call_arguments() -> None:
    inside_string = context_features(*at('message = "Hel'), "python")
    assert inside_string["ctx_node"] == "string"
    assert inside_string["ctx_in_string"] == 1.0
    args = context_features(*at("main():\n    greet("), "python")
    assert args["ctx_node"] == "arguments"
    assert args["ctx_last_char"] == "open_paren"
    assert args["ctx_open_bracket"] == "paren"
    comment = context_features("x = 1\n# compute the", "\n", "python")
    assert comment["ctx_in_comment"] == 1.0
    top = context_features(*at("import os\n"), "python")
    assert top["ctx_line_before_empty"] == 1.0
    assert top["ctx_line_no"] == 1.0


def test_context_indentation_and_lines() -> None:
    f = context_features(*at("    message = "), "python")
    assert f["ctx_indent"] == 4.0
    assert f["ctx_col"] == len("    message = ")
    assert f["ctx_line_kind"] == "assign"
    assert f["ctx_prev_line_kind"] == "other"  # the docstring line
    assert f["ctx_rest_of_line_empty"] == 0.0
    assert f["ctx_next_char"] == "quote"


def test_suggestion_parse_and_repetition() -> None:
    prefix, _ = at("def main():\n")
    good = suggestion_features(prefix, "", "python", '    greet("you")', -0.2, 4)
    assert good["sug_parses"] == 1.0
    bad = suggestion_features(prefix, "", "python", "    greet((", -0.2, 3)
    assert bad["sug_parses"] == 0.0
    assert bad["sug_error_delta"] == 1.0
    repeat = suggestion_features(prefix, "", "python", "    print(message)", -0.2, 4)
    assert repeat["sug_repeats_above"] == 1.0
    assert good["sug_repeats_above"] == 0.0
    assert repeat["sug_known_ident_frac"] == 1.0
    unknown = suggestion_features(prefix, "", "python", "    frobnicate(zz)", -0.2, 4)
    assert unknown["sug_known_ident_frac"] == 0.0
    multi = suggestion_features(prefix, "", "python", "    a = 1\n    b = 2\n", None, None)
    assert multi["sug_lines"] == 3.0 and multi["sug_nonempty_lines"] == 2.0
    assert multi["sug_has_score"] == 0.0 and multi["sug_tokens"] > 0


def test_suggestion_in_other_languages_and_unknown_language() -> None:
    js = suggestion_features("function f(a) {\n  return ", "\n}\n", "javascript", "a + 1;", -0.1, 3)
    assert js["sug_parses"] == 1.0
    plain = suggestion_features("hello ", "", "cobol", "world", -0.1, 1)
    assert plain["sug_parses"] == -1.0 and plain["sug_node"] == "unknown"
    assert context_features("hello ", "", "cobol")["ctx_node"] == "unknown"


def test_features_work_on_a_large_document() -> None:
    body = "".join(f"def f{i}(x):\n    '''Doc {i}.'''\n    return x + {i}\n\n" for i in range(1300))
    cut = len(body) // 2
    f1 = stage1_features(body[:cut], body[cut:], "python", ProgrammerState(), 0.0)
    f2 = stage2_features(f1, body[:cut], body[cut:], "python", "return x", -0.5, 3)
    assert f1["ctx_line_no"] > 2000
    assert 0.3 < float(f1["ctx_doc_frac"]) < 0.7
    assert np.isfinite(SCHEMA.vectorize(f2, 2)).all()


def test_cursor_inside_a_long_docstring_is_a_string() -> None:
    doc = "def f():\n    '''\n" + "Words of prose here.\n" * 400
    f = context_features(doc, "'''\n", "python")
    assert f["ctx_node"] == "string" and f["ctx_in_string"] == 1.0


def test_programmer_state_uses_only_the_past() -> None:
    st = ProgrammerState()
    for i in range(10):
        st.observe_edit(100.0 + i * 0.5, 1, 0)
    st.observe_edit(104.8, 0, 3)
    f = st.features(105.0)
    assert f["st_since_keystroke"] == pytest.approx(0.2)
    assert f["st_typing_speed"] == pytest.approx(1.0)  # 10 chars in the last 10 s
    assert f["st_deleted_since_decision"] == 3.0
    assert f["st_last_outcome"] == "none"
    st.observe_decision(105.0, shown=True)
    assert st.features(105.5)["st_deleted_since_decision"] == 0.0
    assert st.features(105.5)["st_last_outcome"] == "pending"
    st.observe_outcome(106.0, accepted=True)
    st.observe_decision(107.0, shown=True)
    st.observe_outcome(108.0, accepted=False)
    f = st.features(110.0)
    assert f["st_last_outcome"] == "rejected"
    assert f["st_since_accept"] == pytest.approx(4.0)
    assert f["st_outcomes_k"] == 2.0
    assert f["st_accept_rate_k"] == pytest.approx((1 + 0.3 * 2) / (2 + 2))
    assert f["st_decisions"] == 2.0
    # An edit observed "later" than the query time does not count as recent typing.
    st.observe_edit(200.0, 50, 0)
    assert st.features(116.0)["st_edits_recent"] == 0.0
    assert st.features(201.0)["st_edits_recent"] == 1.0
    assert ProgrammerState().features(0.0)["st_since_keystroke"] == 600.0


def test_vectorize_matches_vectorize_many_and_handles_bad_values() -> None:
    rows = [
        request_features(*at("greet("), "python", ProgrammerState(), 1.0, '"x")', -0.2, 3),
        {"ctx_language": 7, "sug_chars": "oops", "ctx_col": math.nan, "st_since_keystroke": None,
         "ctx_node": "no-such-category"},
        {},
    ]
    for stage in (1, 2):
        many = SCHEMA.vectorize_many(rows, stage)
        one = np.stack([SCHEMA.vectorize(r, stage) for r in rows])
        assert many.dtype == np.float32 and many.shape == (3, SCHEMA.width(stage))
        np.testing.assert_array_equal(many, one)
        assert np.isfinite(many).all()
    cols = SCHEMA.columns(1)
    bad = SCHEMA.vectorize(rows[1], 1)
    assert bad[cols.index("ctx_language=other")] == 1.0
    assert bad[cols.index("ctx_node=other")] == 1.0
    assert bad[cols.index("st_since_keystroke")] == pytest.approx(math.log1p(600.0))
    good = SCHEMA.vectorize(rows[0], 1)
    assert good[cols.index("ctx_language=python")] == 1.0


def test_cups_featurizer_is_incremental_and_blind_to_the_future(tmp_path) -> None:
    from tact.telemetry.cups import cups_decisions, read_cups_events

    events = synthetic_cups_events(n_sessions=2, decisions_per_session=12, seed=3)
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    decisions = list(cups_decisions(read_cups_events(path)))
    inc = CupsFeaturizer()
    fast = [inc(d) for d in decisions]
    slow = [featurize_cups(d) for d in decisions]
    assert fast == slow
    # Same features from the raw-event replay.
    by_session = [e for e in events if e["session"] == 0]
    replayed = [f for _, f in featurize_cups_session(by_session)]
    assert replayed == [f for d, f in zip(decisions, fast, strict=True) if d.session == 0]
    # Changing what happens after decision k leaves decision k's features unchanged.
    k = 5
    cut = next(i for i, e in enumerate(by_session)
               if e["event"] == "Shown" and sum(x["event"] == "Shown" for x in by_session[:i]) == k)
    altered = by_session[: cut + 1] + [
        {**e, "prompt": e["prompt"] + "zzz", "event": "Accepted" if e["event"] == "Rejected"
         else e["event"]} for e in by_session[cut + 1 :]
    ]
    again = [f for _, f in featurize_cups_session(altered)]
    assert again[: k + 1] == replayed[: k + 1]
    assert again[k + 1 :] != replayed[k + 1 :]
    assert all(f["sug_engine"] == "copilot" for f in fast)  # Copilot's score scale
    # The state reflects earlier outcomes.
    assert replayed[0]["st_last_outcome"] == "none"
    assert replayed[3]["st_decisions"] == 3.0
