"""Where the syntax-repair search looks, and the features its ranker sees."""

from __future__ import annotations

import ast

from tact.server.fixes.syntax import (
    compile_error,
    may_balance,
    ranker_weights,
    search,
    syntax_fixes,
)


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


def test_a_closer_lost_far_before_the_error_inside_its_bracket() -> None:
    # The compiler reports the ``:`` (the bracket is still open there), more than ten
    # tokens after the place the ``)`` was lost.
    good = ("def has_filter(f):\n"
            "    if callable(f) or callable(getattr(f, 'filter', None)):\n"
            "        return True\n"
            "    return False\n")
    broken = good.replace("callable(f) or", "callable(f or")
    err = compile_error(broken)
    assert err is not None and "never closed" not in err.message
    assert broken.index("(f or") + 10 < err.offset
    fixes = syntax_fixes(broken, max_fixes=10)
    assert any(same_ast(f.fixed_source, good) for f in fixes)


def test_a_lost_operator_between_two_names_splits_the_joined_word() -> None:
    # ``__str__(self`` without its ``(`` lexes as one unknown name ``__str__self``.
    good = ("class Point:\n"
            "    def __str__(self):\n"
            "        return 'point'\n")
    broken = good.replace("__str__(self", "__str__self")
    fixes = syntax_fixes(broken, max_fixes=10)
    assert fixes and same_ast(fixes[0].fixed_source, good)


def test_a_decorator_after_the_broken_block_stays_with_its_function() -> None:
    # The block around the error once ran on into the next function's ``@rule``: a
    # decorator with no definition, so no candidate compiled.
    good = ("def rule(f):\n    return f\n\n\n"
            "@rule\ndef rgb(h):\n    if h.startswith(b'\\001'):\n        return 'rgb'\n\n\n"
            "@rule\ndef pbm(h):\n    if h.startswith(b'P'):\n        return 'pbm'\n")
    broken = good.replace("def rgb(h):", "def rgb(h:")
    fixes = syntax_fixes(broken)
    assert fixes and same_ast(fixes[0].fixed_source, good)


def test_a_block_cut_from_a_long_class_may_hold_nonlocal_and_return() -> None:
    # A class over 60 lines narrows the compiled block to the method; on its own that
    # method's ``nonlocal`` has no enclosing function, which only the compiler proper
    # (not the parser) rejects.
    filler = "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(25))
    good = ("class Registry:\n" + filler +
            "    def dispatch(self, cls):\n"
            "        token = None\n\n"
            "        def lookup(key):\n"
            "            nonlocal token\n"
            "            if token is not None:\n"
            "                return token\n"
            "            token = key\n"
            "            return key\n"
            "        return lookup(cls)\n")
    assert good.count("\n") > 60
    broken = good.replace("if token is not None:", "if token != is not None:")
    fixes = syntax_fixes(broken)
    assert fixes and same_ast(fixes[0].fixed_source, good)


def test_only_edits_touching_a_bracket_or_quote_are_compiled_for_a_bracket_error() -> None:
    assert not may_balance("unmatched ')'", "", "+")
    assert not may_balance("'(' was never closed", "x", "y")
    assert not may_balance(
        "closing parenthesis ']' does not match opening parenthesis '('", ",", "")
    assert may_balance("unmatched ')'", "", "(")
    assert may_balance("'[' was never closed", "", "]")
    assert may_balance("unmatched ')'", "", "'")  # a quote can swallow the bracket
    assert may_balance("invalid syntax", "", "+")  # other errors: anything may fix
    # sound: every compiling repair of bracket breaks touches a bracket or quote
    good = ("def disable(self, arg):\n"
            "    for bp in self.get_breaks(arg):\n"
            "        self.message('Disabled %s of %s' % (bp, arg))\n")
    for broken in (good.replace("message(", "message"), good.replace("arg))", "arg)"),
                   good.replace("(bp, arg)", "(bp, arg]")):
        err = compile_error(broken)
        assert err is not None and not may_balance(err.message, "", "+")
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
    from tact.server.fixes.syntax.token_evidence import name_roles

    code = "class Box:\n    def area(self, w=w):\n        return self.w * f(k=w)\n"
    roles = name_roles(lex(code))
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


def test_prior_probabilities_for_many_words_match_one_at_a_time() -> None:
    # ranking the common names at a position looks the history up once; the
    # probabilities must be the very floats the one-word path gives
    from tact.server.fixes.lexer import _prior_prob, default_prior

    prior = default_prior()
    words = [*sorted(prior.common)[:300], "self", "len", "never_seen_name"]
    for history in ([], ["self"], ["(", "self", "."], ["NEWLINE", "def", "NAME", "("]):
        assert prior.probs_after(history, words) == [
            _prior_prob(prior, [*history[-3:], w]) for w in words]
        assert prior.probs_before(history, words, "(") == [
            _prior_prob(prior, [*history[-2:], w, "("]) for w in words]
    assert len(set(prior.probs_after(["self", "."], words))) > 10  # not all the floor


def test_ranking_features_see_idle_statements_and_unbound_names() -> None:
    # ``places 7``: deleting ``7`` leaves an idle ``places`` and the later read of
    # ``places`` unbound; restoring ``=`` does neither.
    broken = "def f(x):\n    if x is None:\n        places 7\n    return places\n"
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, collect=got, max_fixes=1)
    by_text = {new.split("\n")[2].replace(" ", ""): feats for feats, new in got}
    assert by_text["places"].get("idle_expr", 0) >= 1
    # the broken text binds ``places`` nowhere: a name merely unbound, not one whose
    # binding the edit lost
    assert by_text["places"].get("unbound", 0) >= 1
    assert by_text["places=7"].get("idle_expr", 0) == 0
    assert by_text["places=7"].get("unbound", 0) == 0


def test_a_name_bound_only_in_another_function_is_unbound_here() -> None:
    # ``m`` is bound in thirty other functions, none of which this block can see: an
    # edit that leaves the body's ``m`` unbound (``, m`` or ``== m`` for the lost
    # ``as``) loses a binding; ``as m`` restores it. A module-level ``n`` stays bound.
    other = "".join(f"def other{i}(x):\n    m = x + {i}\n    return m\n\n\n" for i in range(30))
    broken = ("n = 2\n\n\n" + other
              + "def f(buf):\n    with memoryview(buf)  m:\n        return m.nbytes * n\n")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, collect=got, max_fixes=1)
    by_line = {new.split("\n")[-3].strip().replace(" ", ""): feats for feats, new in got}
    assert by_line["withmemoryview(buf)asm:"].get("unbound_lost", 0) == 0
    assert by_line["withmemoryview(buf),m:"].get("unbound_lost", 0) >= 1
    assert by_line["withmemoryview(buf)==m:"].get("unbound_lost", 0) >= 1
    assert all(f.get("unbound", 0) == 0 for f in by_line.values())  # ``n`` is visible


def test_a_deletion_between_two_words_keeps_them_apart() -> None:
    # Deleting the stray ``(`` of ``quote(str( ):`` must not glue ``quote`` and ``str``
    # into the new name ``quotestr`` (which compiles, but is no one's intent).
    broken = "def quote(str( ):\n    return str.replace('a', 'b')\n"
    fixes = syntax_fixes(broken, max_fixes=20)
    assert fixes
    assert not any("quotestr" in f.fixed_source for f in fixes)
    assert same_ast(fixes[0].fixed_source,
                    "def quote(str):\n    return str.replace('a', 'b')\n")


def test_a_stray_closer_far_before_the_unmatched_one_is_a_candidate() -> None:
    # ``and`` typed as ``)``: the compiler complains about the *last* ``)``, two lines
    # later; the stray one is earlier in the statement.
    good = ("def check(defn):\n"
            "    if not (isinstance(defn, tuple) and\n"
            "            (len(defn) in (1, 2)) and\n"
            "            (isinstance(defn[1], str) or defn[1] is None)):\n"
            "        raise TypeError('bad')\n")
    broken = good.replace("(1, 2)) and", "(1, 2)) )")
    assert "unmatched" in compile_error(broken).message
    fixes = syntax_fixes(broken, max_fixes=30)
    assert any(same_ast(f.fixed_source, good) for f in fixes)


def test_pair_features_count_the_files_own_bigrams_across_the_edit() -> None:
    # ``self.`` then a lost attribute: ``_headers`` follows ``self .`` elsewhere in
    # the file, so restoring it forms bigrams/trigrams the file already has.
    broken = ("def clean(self):\n    self._headers = [h for h in self.\n"
              "                     if h]\n    return self._headers\n")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, max_fixes=5, collect=got)
    restored = [f for f, new in got if "in self._headers\n" in new]
    assert restored and restored[0]["tri_seen"] > 0


def test_binding_features_see_a_lost_self_and_an_idle_parameter() -> None:
    # ``def __ge__(self other)``: deleting ``self`` leaves the body's ``self`` unbound,
    # deleting ``other`` leaves ``other`` unbound; the comma binds both.
    broken = ("def __ge__(self other):\n    c = self._cmp(other)\n"
              "    return c >= 0\n")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, max_fixes=5, collect=got)
    by_text = {new.split("\n", 1)[0]: feats for feats, new in got}
    assert by_text["def __ge__(self, other):"].get("unbound_lost", 0) == 0
    assert by_text["def __ge__( other):"]["unbound_lost"] >= 1  # ``self`` was a parameter
    assert by_text["def __ge__(self ):"]["unbound_lost"] >= 1  # and so was ``other``
    assert by_text["def __ge__( other):"]["unbound_self"] == 1  # never a global
    assert "unbound_self" not in by_text["def __ge__(self ):"]
    # an argument the body never reads once another token took its place
    broken = "def show(obj):\n    return isinstance(obj types.FunctionType)\n"
    got = []
    syntax_fixes(broken, max_fixes=5, collect=got)
    feats = {new.split("\n")[1].strip(): f for f, new in got}
    assert feats["return isinstance( types.FunctionType)"].get("unused_arg", 0) >= 1
    assert feats["return isinstance(obj, types.FunctionType)"].get("unused_arg", 0) == 0


def test_calls_with_a_count_of_arguments_the_callee_cannot_take_are_counted() -> None:
    import ast as _ast

    from tact.server.fixes.syntax.ast_evidence import arity_mismatches

    code = ("def f(a, b=1):\n    return a\n"
            "class A:\n    def m(self, x):\n        return self.m(x)\n")
    assert arity_mismatches(_ast.parse(code + "f(1)\nf(1, 2)\nisinstance(f, A)\n")) == 0
    bad = "f(1, 2, 3)\nf()\nisinstance(f, A, A)\nprint(f, A, 1)\n"
    assert arity_mismatches(_ast.parse(code + bad)) == 3
    assert arity_mismatches(_ast.parse(code.replace("return self.m(x)",
                                                     "return self.m(x, x)"))) == 1


def _huge_module(n: int) -> str:
    return "".join(f"@register\ndef f{i}(a, b):\n    \"\"\"Add.\n\nScaled.\"\"\"\n"
                   f"    return a + b * {i}\n\n\n" for i in range(n))


def test_a_huge_file_is_searched_around_its_error_and_fixed_whole() -> None:
    good = _huge_module(6000)
    assert len(good) > search.HUGE_FILE
    broken = good.replace("def f3000(a, b):", "def f3000(a, b)")
    line = broken.split("\n").index("def f3000(a, b)")
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == good
    assert fixes[0].span.start_line == line  # lines count in the file, not the excerpt
    assert fixes[0].problem is not None and fixes[0].problem.span.start_line == line
    assert f"(line {line + 1})" in fixes[0].title
    assert f"at line {line + 1}," in fixes[0].explanation


def test_a_huge_files_excerpt_starts_and_ends_at_whole_statements() -> None:
    text = _huge_module(6000)
    err = compile_error(text.replace("def f3000(a, b):", "def f3000(a, b)"))
    assert err is not None
    bounds = search._excerpt_bounds(text, err)
    assert bounds is not None
    a, b, line0 = bounds
    assert text[:a].count("\n") == line0 and 0 < a < b < len(text)
    # not inside a docstring, not between a decorator and its function
    assert text[a:].startswith("@register\ndef ") and text[b:].startswith("@register\ndef ")
    assert compile_error(text[a:b]) is None and compile_error(text[:a]) is None


def test_a_huge_file_whose_excerpt_would_cut_a_string_is_searched_whole() -> None:
    # one long string around the error: no clean cut has the same error
    body = "".join(f"line {i}\n" for i in range(60000))
    good = f'DOC = """\n{body}"""\n\n\ndef f(a, b):\n    return a + b\n\n\nEND = """\n{body}"""\n'
    broken = good.replace("def f(a, b):", "def f(a, b)")
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == good


def test_an_outermost_closer_goes_after_a_line_final_comma_not_before_it() -> None:
    # ``2],`` compiles too, and makes ``xs`` a one-element tuple
    fixes = syntax_fixes("xs = [\n    1,\n    2,\n\ny = 3\n")
    assert fixes and same_ast(fixes[0].fixed_source, "xs = [1, 2]\ny = 3\n")
    # inside another bracket the comma separates items: close before it
    fixes = syntax_fixes('d = {\n    "a": [1, 2,\n    "b": [3],\n}\n')
    assert fixes and same_ast(fixes[0].fixed_source, 'd = {"a": [1, 2], "b": [3]}\n')


def test_an_unclosed_docstring_ends_before_the_first_line_of_code() -> None:
    broken = 'def f(x):\n    """Return x doubled.\n    return 2 * x\n\n\ndef g(y):\n    return y\n'
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == broken.replace("doubled.\n", 'doubled."""\n')
    broken = 'def f(x):\n    """Return x doubled.\n\n    Longer.\n    \n    return 2 * x\n'
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == broken.replace("\n    \n", '\n    """\n')


def test_an_f_string_field_left_open_is_closed_and_its_text_kept() -> None:
    fixes = syntax_fixes('name = "a"\nprint(f"hi {name")\n')
    assert fixes and fixes[0].fixed_source == 'name = "a"\nprint(f"hi {name}")\n'
    assert all("hi {name" in f.fixed_source for f in fixes)


def test_a_huge_file_with_a_second_mistake_still_gets_a_local_fix() -> None:
    good = "".join(f"def f{i}(a, b):\n    return a + b * {i}\n\n\n" for i in range(9000))
    broken = good.replace("def f4000(a, b):", "def f4000(a, b)") + "def tail(x)\n    return x\n"
    assert len(broken) > search.HUGE_FILE
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].validation == "compiles-locally"
    assert fixes[0].fixed_source.startswith(good.replace("def tail", "")[:200])
    assert "def f4000(a, b):" in fixes[0].fixed_source
    assert "later errors remain" in fixes[0].explanation


def test_a_long_list_gets_its_closer_back_on_its_last_line() -> None:
    # the ``]`` on its own line is lost; the list runs eleven lines, past the search's
    # usual reach, and ends where the code comes back to the statement's indentation
    items = "".join(f"        'item{i}',\n" for i in range(11))
    good = f"def f():\n    names = [\n{items}    ]\n    return names\n"
    broken = good.replace("    ]\n", "", 1)
    fixes = syntax_fixes(broken)
    assert fixes and ast.dump(ast.parse(fixes[0].fixed_source)) == ast.dump(ast.parse(good))


def test_an_index_glued_to_its_attribute_gets_its_closer_back() -> None:
    """``args[0].x`` without its ``]`` lexes as the float ``0.`` and a name: the closer
    goes before the dot, inside what was one token."""
    for good in ("def f(args):\n    return g(args[0].__class__)\n",
                 "def f(s, a, b):\n    return s[:3].replace(a, b)\n"):
        broken = good.replace("].", ".", 1)
        fixes = syntax_fixes(broken)
        assert fixes and same_ast(fixes[0].fixed_source, good), [f.title for f in fixes]


def test_a_list_item_closes_on_its_own_line() -> None:
    """``['uname', '-p',`` inside a call spread over lines: Python names the ``[`` four
    lines up when it meets the call's ``)``; the ``]`` goes before the comma that ends
    the item's line."""
    good = ("def f(subprocess):\n    return subprocess.check_output(\n"
            "        ['uname', '-p'],\n        stderr=subprocess.DEVNULL,\n        text=True,\n"
            "        encoding='utf8',\n    ).strip()\n")
    broken = good.replace("'-p'],", "'-p',")
    assert "line 3" in compile_error(broken).message
    fixes = syntax_fixes(broken)
    assert fixes and same_ast(fixes[0].fixed_source, good), [f.title for f in fixes]


def test_a_number_glued_to_a_name_may_have_lost_the_operator_between() -> None:
    """``b[0:n]`` without its ``:`` is ``b[0n]``, an "invalid decimal literal" that no
    edit of whole tokens repairs to the original: the split is among the fixes."""
    broken = "def f(b, n):\n    return memoryview(b)[0n]\n"
    assert "decimal literal" in compile_error(broken).message
    fixes = syntax_fixes(broken, max_fixes=10)
    assert any(same_ast(f.fixed_source, broken.replace("0n", "0:n")) for f in fixes)
