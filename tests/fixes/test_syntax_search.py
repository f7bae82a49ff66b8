"""Where the syntax-repair search looks, and the features its ranker sees."""

from __future__ import annotations

import ast

from tact.server.fixes.syntax import compile_error, ranker_weights, syntax_fixes


def same_ast(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


def test_an_unindented_docstring_line_is_no_statement_boundary() -> None:
    # The docstring's second line starts at column 0: cutting the statement block
    # there made every candidate fail to compile.
    good = ('def realpath(filename, *, strict=False):\n    """Return the canonical path.\n'
            'symbolic links encountered in the path."""\n'
            '    filename = os.fspath(filename)\n'
            '    path, ok = _joinrealpath(filename[:0], filename, strict, {})\n'
            '    return abspath(path)\n')
    broken = good.replace("[:0],", "[:0]")
    assert compile_error(broken) is not None
    fixes = syntax_fixes(broken)
    assert fixes and any(same_ast(f.fixed_source, good) for f in fixes)


def test_a_lost_opener_far_before_the_unmatched_closer() -> None:
    good = ('def describe(self, items):\n'
            '    return "%s(%s)" % (self.__class__.__name__, ", ".join(items))\n')
    broken = good.replace("% (self", "% self")
    assert "unmatched" in compile_error(broken).message
    fixes = syntax_fixes(broken, max_fixes=10)
    assert any(same_ast(f.fixed_source, good) for f in fixes)


def test_a_lost_literal_comes_from_the_file() -> None:
    good = ('def show(names, firsts):\n    head = ", ".join(names)\n'
            '    return head + " " + ", ".join(firsts)\n')
    broken = good.replace('+ ", ".join(firsts)', "+ .join(firsts)")
    fixes = syntax_fixes(broken, max_fixes=20)
    assert any(same_ast(f.fixed_source, good) for f in fixes)


def test_candidate_features_are_collected_for_training() -> None:
    broken = "def f(x):\n    if x > 1\n        return x\n    return 2\n"
    got: list[tuple[dict[str, float], str]] = []
    fixes = syntax_fixes(broken, collect=got)
    assert fixes and len(got) >= len(fixes)
    assert all("lm" in feats for feats, _ in got)
    assert all(compile_error(new) is None or "local_only" in feats for feats, new in got)
    assert set(ranker_weights()) >= {"lm", "hint", "dist"}


def test_name_roles_tell_definitions_attributes_and_keywords_apart() -> None:
    from tact.server.fixes.lexer import lex
    from tact.server.fixes.syntax import _roles

    roles = _roles(lex("class Box:\n    def area(self, w=w):\n        return self.w * f(k=w)\n"))
    assert ("Box", "class") in roles and ("area", "def") in roles
    assert ("w", "attr") in roles and ("k", "kwarg") in roles and ("w", "bare") in roles


def test_a_window_inside_a_block_dedents_to_the_enclosing_levels() -> None:
    from tact.server.fixes.lexer import token_stream

    inside = [a for a, _ in token_stream("def g():\n    pass\n", indents=[0, 4, 8])]
    alone = [a for a, _ in token_stream("def g():\n    pass\n")]
    assert inside[:2] == ["DEDENT", "DEDENT"] and alone[0] == "def"


def test_per_token_log_probs_sum_to_the_sequence_log_prob() -> None:
    from tact.server.fixes.lexer import LocalModel, default_prior, token_stream

    model = LocalModel("x = 1\ny = x + 1\n", default_prior())
    seq = token_stream("z = x + 1\n")
    assert abs(sum(model.logprobs(seq)) - model.logprob(seq)) < 1e-9
    assert all(lp < 0 for lp in model.logprobs(seq))


def test_ranking_features_see_idle_statements_and_unbound_names() -> None:
    # ``places 7``: deleting ``7`` leaves an idle ``places`` and the later read of
    # ``places`` unbound; restoring ``=`` does neither.
    broken = "def f(x):\n    if x is None:\n        places 7\n    return places\n"
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, collect=got, max_fixes=1)
    by_text = {new.split("\n")[2].replace(" ", ""): feats for feats, new in got}
    assert by_text["places"].get("idle_expr", 0) >= 1
    assert by_text["places"].get("unbound", 0) >= 1
    assert by_text["places=7"].get("idle_expr", 0) == 0
    assert by_text["places=7"].get("unbound", 0) == 0
