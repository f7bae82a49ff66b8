"""Call sites read from tokens: how many arguments each call passes, and which
edited calls, definitions and ``%`` formats disagree with the rest of the file."""

from __future__ import annotations

from tact.server.fixes.calls import (
    call_def_mismatches,
    call_sites,
    def_mismatches,
    def_sites,
    enclosing_bracket,
    format_mismatches,
    matching_brackets,
    parameter_names,
    site_mismatches,
)
from tact.server.fixes.lexer import lex
from tact.server.fixes.syntax import syntax_fixes


def test_call_sites_count_positional_arguments_only() -> None:
    src = ("x = HTTPError(url, code, msg, hdrs, None)\n"
           "super(A, self).close(x)\n"
           "os.path.join(a, b,)\n"
           "h(a, key=1)\n"
           "f(*args)\n"
           "g(x for x in y)\n"
           "def q(a, b): pass\n"
           "type(self)(year, month)\n")
    got = [(s.callee, s.positional) for s in call_sites(lex(src))]
    # ``*args`` and a generator say nothing about arity; a definition is no call;
    # ``.close`` and ``(year, month)`` are called on expressions, not on names
    assert got == [("HTTPError", 5), ("super", 2), ("os.path.join", 2), ("h", 1),
                   ("type", 1)]


def test_a_broken_text_still_yields_the_calls_that_balance() -> None:
    toks = lex("f(a,, b)\ng(a\nh(1, 2)\n")
    assert [(s.callee, s.positional) for s in call_sites(toks)] == [("h", 2)]
    assert matching_brackets(lex("(]")) == {}


def test_an_edited_call_is_judged_by_the_callees_other_calls() -> None:
    elsewhere = {"HTTPError": {5}, "print": {1, 2}}
    short = call_sites(lex("raise HTTPError(url, code, msg, hdrs)\n"))
    full = call_sites(lex("raise HTTPError(url, code, msg, hdrs, None)\n"))
    assert site_mismatches(short, elsewhere) == 1
    assert site_mismatches(full, elsewhere) == 0
    # a callee the file calls with several counts takes any count
    assert site_mismatches(call_sites(lex("print(a, b, c)\n")), elsewhere) == 0
    assert site_mismatches(call_sites(lex("unknown(a)\n")), elsewhere) == 0


def test_definitions_count_what_a_call_may_pass() -> None:
    src = ("def f(self, a, b=1, *rest, key=None, **kw): pass\n"
           "def g(a, *, b): pass\n"
           "def h(cls, x: int = 3, /, y=2): pass\n")
    got = [(d.name, d.fewest, d.most) for d in def_sites(lex(src))]
    assert got == [("f", 1, float("inf")), ("g", 1, 1), ("h", 0, 2)]


def test_a_definition_no_call_of_the_file_could_reach_is_counted() -> None:
    calls = {"self.set_encoding": {1}, "other.set_encoding": {1}}
    lost = def_sites(lex("def set_encoding(self ):\n    pass\n"))
    kept = def_sites(lex("def set_encoding(self, encoding):\n    pass\n"))
    assert def_mismatches(lost, calls) == 1
    assert def_mismatches(kept, calls) == 0
    defs = {d.name: [d] for d in kept}
    assert call_def_mismatches(call_sites(lex("self.set_encoding(a, b)\n")), defs) == 1
    assert call_def_mismatches(call_sites(lex("self.set_encoding(a)\n")), defs) == 0
    # another object's method of the same name may take anything
    assert call_def_mismatches(call_sites(lex("stream.set_encoding(a, b)\n")), defs) == 0


def test_a_format_whose_tuple_does_not_fill_its_conversions_is_counted() -> None:
    def bad(src: str) -> int:
        return format_mismatches(lex(src), 0, len(src))

    assert bad("m = '%s: line %d (%d%%)' % (msg, lineno)\n") == 1
    assert bad("m = '%s: line %d (%d%%)' % (msg, lineno, pos)\n") == 0
    assert bad("m = '%(a)s %(b)s' % (x, y, z)\n") == 0  # a mapping format
    assert bad("m = '%s' % (x)\n") == 0  # a parenthesised value, no tuple
    assert bad("m = 'a' '%s %s' % (x,)\n") == 0  # concatenated: not one token


def test_other_calls_of_the_callee_restore_a_left_out_comma() -> None:
    # ``raise HTTPError(url, code, msg, hdrs None)``: deleting ``None`` compiles too,
    # but every other call of ``HTTPError`` in the file passes five arguments
    broken = (
        "def open_a(url, code, msg, hdrs):\n"
        "    raise HTTPError(url, code, msg, hdrs, None)\n\n\n"
        "def open_b(url, code, msg, hdrs, fp):\n"
        "    raise HTTPError(url, code, msg, hdrs, fp)\n\n\n"
        "def open_c(url, code, msg, hdrs):\n"
        "    raise HTTPError(url, code, msg, hdrs None)\n")
    got: list[tuple[dict[str, float], str]] = []
    fixes = syntax_fixes(broken, max_fixes=3, collect=got)
    feats = {new.rsplit("\n", 2)[-2].strip(): f for f, new in got}
    assert feats["raise HTTPError(url, code, msg, hdrs )"].get("site_arity") == 1
    assert "site_arity" not in feats["raise HTTPError(url, code, msg, hdrs, None)"]
    assert fixes[0].fixed_source.endswith("raise HTTPError(url, code, msg, hdrs, None)\n")


def test_positional_after_keyword_is_reported_and_fixed_at_the_argument() -> None:
    from tact.server.fixes.syntax import compile_error

    # CPython points at the call's closing bracket; the slip is ``==`` for ``=``
    broken = ("codec = CodecInfo(\n    name='x',\n    encode==Codec().encode,\n"
              "    decode=Codec().decode,\n)\n")
    err = compile_error(broken)
    assert err is not None and err.message == "positional argument follows keyword argument"
    assert (err.line, err.col) == (2, 4)
    assert broken[err.offset : err.offset + 22] == "encode==Codec().encode"
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == broken.replace("==", "=")
    assert "Removing `=` at line 3" in fixes[0].explanation


def test_parameter_names_include_a_word_whose_comma_is_missing() -> None:
    src = ("def f(a_type typing, *args, key: int = size, **kw):\n    pass\n"
           "x = g(a, b)\n")
    assert parameter_names(lex(src)) == {"a_type", "typing", "args", "key", "kw"}


def test_enclosing_bracket_tells_parameters_from_arguments_and_displays() -> None:
    src = "def f(a, b): return g(x, [y, d[k]], (z,))"
    toks = lex(src)

    def where(word: str) -> str | None:
        return enclosing_bracket(toks, next(i for i, t in enumerate(toks) if t.text == word))

    assert where("a") == "def"
    assert where("x") == "call"
    assert where("y") == "display"
    assert where("k") == "subscript"
    assert where("z") == "display"
    assert where("return") is None
