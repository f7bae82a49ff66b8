"""Ranking of syntax repairs: the file's own evidence and whole-file validation."""

from __future__ import annotations

import ast

from tact.server.fixes.syntax import compile_error, syntax_fixes
from tact.server.fixes.syntax.ranker import adjusted

# A break in the first function of a file whose rest is fine.
FILE_WITH_LATER_CODE = '''\
def a(errcode, errmsg):
    refused = {}
    refused[errcode] = errmsg
    if not refused:
        return None
    ( return refused


class Options:
    x = "a"
    y = "b"

    def f(self):
        return self.x + "c"
'''


def test_a_fix_never_just_pushes_the_error_further() -> None:
    # Opening a string can swallow the broken line and move the error to a later
    # line; that is not a repair when the rest of the file compiled.
    fixes = syntax_fixes(FILE_WITH_LATER_CODE)
    assert fixes
    for f in fixes:
        assert compile_error(f.fixed_source) is None, f.operator
    assert "    return refused\n" in fixes[0].fixed_source


def test_missing_name_comes_from_the_file() -> None:
    broken = ('def a(parts):\n    return ", ".join(parts)\n\n\n'
              'def b(items):\n    names = [str(x) for x in items]\n    return ", ".(names)\n')
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source.split("\n")[6] == '    return ", ".join(names)'


def test_missing_first_keyword_is_inserted_at_an_indentation_level() -> None:
    good = "class Box:\n    def __init__(self, w):\n        self.w = w\n\n    def area(self):\n" \
           "        return self.w * self.w\n"
    broken = good.replace("    def area", "     area")
    fixes = syntax_fixes(broken)
    assert fixes
    assert ast.dump(ast.parse(fixes[0].fixed_source)) == ast.dump(ast.parse(good))


def test_missing_name_absent_from_the_file_comes_from_the_prior() -> None:
    """A deleted `__init__` / `join` appears nowhere else in the code: the global
    prior's common names (what follows `def`, what sits between `.` and `(`) supply it."""
    cases = {
        "class Point:\n    def (self, x, y):\n        self.x = x\n        self.y = y\n":
            "class Point:\n    def __init__(self, x, y):\n        self.x = x\n"
            "        self.y = y\n",
        'def names(items):\n    return ", ".(str(x) for x in items)\n':
            'def names(items):\n    return ", ".join(str(x) for x in items)\n',
    }
    for broken, orig in cases.items():
        fixes = syntax_fixes(broken)
        assert fixes, broken
        assert ast.dump(ast.parse(fixes[0].fixed_source)) == ast.dump(ast.parse(orig))


def _fixed_line(broken: str, line: int) -> str:
    fixes = syntax_fixes(broken)
    assert fixes, broken
    return fixes[0].fixed_source.split("\n")[line]


def test_a_token_typed_twice_loses_one_copy() -> None:
    """``,,`` / ``..`` / ``((``: dropping the copy beats adding a word between them."""
    assert _fixed_line("def f(key, pdict):\n    return key,, pdict\n", 1) == \
        "    return key, pdict"
    assert _fixed_line("def f(s):\n    return s..strip()\n", 1) == "    return s.strip()"
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes("def f(a, b):\n    return g(a,, b)\n", collect=got)
    assert any(f.get("dup_rm") for f, new in got if "g(a, b)" in new)
    assert not any(f.get("dup_rm") for f, new in got if "g(a, b)" not in new)


def test_a_left_out_comma_is_restored_not_the_word_deleted() -> None:
    """The slip a programmer makes is a missing comma; deleting a parameter that the
    body uses would be the fix for a stray word nobody typed."""
    for good in ("def save(self, obj):\n    self.write(obj)\n    self.memoize(obj)\n",
                 "def title(self, titlestring):\n    self._root.title(titlestring)\n"):
        broken = good.replace("self, ", "self ", 1)
        fixes = syntax_fixes(broken)
        assert fixes and fixes[0].fixed_source == good, broken


def test_a_defined_function_called_as_an_attribute_is_no_role_mismatch() -> None:
    """``def __init__`` reached as ``super().__init__(``: a method the file defines
    is used after a dot, so restoring it there is no mismatch of roles."""
    good = ("class Handler(Base):\n"
            "    def __init__(self, level):\n"
            "        super().__init__(level)\n")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(good.replace("super().__init__(", "super().("), collect=got)
    restored = [f for f, new in got if new == good]
    assert restored and restored[0].get("mismatch", 0.0) == 0.0


def test_an_attribute_assignment_binds_no_name() -> None:
    """``self.encoding = encoding`` binds the attribute, not ``encoding``: deleting
    the parameter leaves the body reading an unbound name, and the feature says so."""
    broken = "def set_encoding(self encoding):\n    self.encoding = encoding\n"
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(broken, collect=got)
    deleted = [f for f, new in got if new.startswith("def set_encoding(self ):")]
    assert deleted and deleted[0].get("unbound_lost", 0.0) >= 1.0


def test_a_format_tuple_keeps_one_value_per_placeholder() -> None:
    # ``(msg, lineno colno, pos)``: deleting ``lineno`` compiles, but four ``%``
    # conversions need four values; the left-out comma is the fix
    good = ("def err(msg, doc, pos, lineno, colno):\n"
            "    errmsg = '%s: line %d column %d (char %d)' % (msg, lineno, colno, pos)\n"
            "    return errmsg\n")
    broken = good.replace("(msg, lineno, colno", "(msg, lineno colno")
    assert broken != good
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == good


def test_self_is_never_deleted_from_a_method_that_reads_it() -> None:
    # ``def __ge__(self other)``: deleting ``self`` leaves the body's ``self`` unbound,
    # and ``self`` is never a module-level name a function shown alone cannot see
    good = ("class V:\n    def __ge__(self, other):\n        c = self._cmp(other)\n"
            "        return c >= 0\n")
    fixes = syntax_fixes(good.replace("self, other", "self other"))
    assert fixes and fixes[0].fixed_source == good


def test_a_parameter_the_body_reads_keeps_its_comma() -> None:
    # deleting ``delta`` compiles and reads well to a token model, but the body reads it
    broken = "def restore(delta which):\n    return which[delta:]\n"
    fixes = syntax_fixes(broken)
    assert fixes[0].fixed_source == "def restore(delta, which):\n    return which[delta:]\n"


def test_adjustments_scale_and_shift_fitted_weights() -> None:
    fitted = {"unbound_lost": -1.5, "comma_in_call": 1.0, "lm": 1.0}
    got = adjusted(fitted, {"scale": {"unbound_lost": 3}, "add": {"comma_in_call": 0.5,
                                                                  "comma_in_def": 0.5}})
    assert got == {"unbound_lost": -4.5, "comma_in_call": 1.5, "lm": 1.0, "comma_in_def": 0.5}
    assert fitted["unbound_lost"] == -1.5  # the fitted numbers are not changed in place


def test_a_parameter_the_broken_def_binds_is_no_module_name() -> None:
    """``def f(value script=False)`` binds ``script``; a fix that deletes it leaves the
    body's ``script`` unbound, whatever the broken line itself binds."""
    good = ("def fmt(value, script=False):\n    if script:\n        value = str(value)\n"
            "    return value\n")
    fixes = syntax_fixes(good.replace("value, ", "value ", 1))
    assert fixes and fixes[0].fixed_source == good


def test_deleting_the_only_use_of_an_unbound_name_repairs_nothing() -> None:
    """``getline(file lnum)`` in a function shown alone: ``file`` is unbound before and
    after deleting it, so the deletion gains nothing on the restored comma; binding an
    unbound name does (a parameter put back)."""
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes("def f(lnum):\n    return linecache.getline(file lnum[0])\n", collect=got)
    unbound = {new.split("\n")[1].strip(): f.get("unbound", 0.0) for f, new in got}
    assert unbound["return linecache.getline( lnum[0])"] == 2.0
    assert unbound["return linecache.getline(file, lnum[0])"] == 2.0
    got.clear()
    syntax_fixes("def f(a, , b):\n    return a + b + c\n", collect=got)
    restored = [f for f, new in got if new.startswith("def f(a, c, b)")]
    deleted = [f for f, new in got if new.startswith("def f(a,  b)")]
    assert restored and deleted, [new.split("\n")[0] for f, new in got]
    assert restored[0].get("unbound", 0.0) < deleted[0].get("unbound", 0.0)


def test_a_word_becomes_no_closer_that_leaves_a_trailing_comma() -> None:
    """``def f(self, attrs:`` lost its ``)``; ``def f(self, ):`` (the word turned into
    the closer) ends a one-line list with a comma, which one-line code almost never
    does."""
    good = "def start(self, name, attrs):\n    self.name = name\n"
    fixes = syntax_fixes(good.replace("attrs)", "attrs", 1))
    assert fixes and fixes[0].fixed_source == good


def test_trailing_commas_and_target_lists_read_from_tokens() -> None:
    from tact.server.fixes.lexer import lex
    from tact.server.fixes.syntax.token_evidence import (
        binding_indices,
        one_line_trailing_commas,
    )

    assert one_line_trailing_commas(lex("f(a, b, )")) == 1
    assert one_line_trailing_commas(lex("def f(x, ):")) == 1
    assert one_line_trailing_commas(lex("t = (x,)\nf(a,\n  b,\n)")) == 0

    def bound(src: str) -> list[str]:
        toks = lex(src)
        return sorted(toks[k].text for k in binding_indices(toks))

    assert bound("for name param in items: pass") == ["name", "param"]
    assert bound("import linecache reprlib") == ["linecache", "reprlib"]
    assert bound("a, (b, c) = d") == ["a", "b", "c"]
    assert bound("x[i], y.z = 1, 2") == []
    assert bound("f(a, key=b)") == ["key"]  # an argument is read, not bound


def test_an_augmented_assignment_reads_its_target() -> None:
    """``r *= 2`` needs an ``r`` bound before it: deleting ``r`` from ``q r = divmod()``
    leaves it unbound, which the ranker must see."""
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes("def f(a, b):\n    q r = divmod(a, b)\n    r *= 2\n    return q\n",
                 collect=got)
    dropped = [f for f, new in got if "    q  = divmod(a, b)" in new]
    assert dropped and dropped[0].get("unbound_lost") == 1.0


def test_a_name_declared_global_is_assigned_for_its_module_not_unused() -> None:
    """``global log, logfile logfp`` lost a comma: restoring it leaves every store a
    module-level one; deleting ``logfile`` turns its store into an unread local."""
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes("def init():\n    global log, logfile logfp\n    log = 1\n"
                 "    logfile = 2\n    logfp = 3\n", collect=got)
    unused = {new.split("\n")[1].strip(): f.get("unused", 0.0) for f, new in got}
    assert unused["global log, logfile, logfp"] == 0.0
    assert unused["global log,  logfp"] == 1.0


def test_two_names_before_an_assignment_are_unpacked_not_chained() -> None:
    """``q r = divmod(a, b)``: ``q = r = ...`` chains one value, which code does far
    less often than it unpacks two (``q, r = ...``)."""
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes("def f(a, b):\n    q r = divmod(a, b)\n    return q + r\n", collect=got)
    chained = {new.split("\n")[1].strip(): f.get("chained", 0.0) for f, new in got}
    assert chained["q, r = divmod(a, b)"] == 0.0
    assert max(chained.values()) == 1.0  # ``q= r = ...`` is among the candidates


def test_a_word_typed_for_a_bracket_is_marked() -> None:
    """``[handler`` lost its ``]``: turning ``handler`` into the closer (``[]``) swaps a
    word for a bracket, which ``bracket_word`` marks (its fitted weight says such swaps
    are rare)."""
    good = ("def capture(logger, handler, level):\n    logger.handlers = [handler]\n"
            "    logger.setLevel(level)\n    return handler\n")
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes(good.replace("[handler]", "[handler", 1), collect=got)
    kept = [f for f, new in got if new == good]
    assert kept and "bracket_word" not in kept[0]
    swapped = [f for f, new in got if "logger.handlers = []" in new]
    assert swapped and swapped[0].get("bracket_word") == 1.0


def test_deleted_openers_and_glued_numbers_are_marked() -> None:
    got: list[tuple[dict[str, float], str]] = []
    syntax_fixes("def f(a, b):\n    return g(a, [b)\n", collect=got)
    opener = [f for f, new in got if "return g(a, b)" in new]
    assert opener and opener[0].get("rm_opener") == 1.0
    got.clear()
    syntax_fixes("def f(b, n):\n    return memoryview(b)[0n]\n", collect=got)
    glued = [f for f, new in got if "memoryview(b)[n]" in new]
    assert glued and glued[0].get("rm_glued") == 1.0



def test_a_pair_appended_keeps_its_parentheses() -> None:
    """``append((a, b)`` lost a ``)``; deleting a ``(`` instead would pass ``append`` two
    items, which a sequence's ``append`` never takes."""
    good = ("def collect(pairs, option_string, optional):\n    for item in pairs:\n"
            "        if item:\n            pairs.append((option_string, optional))\n"
            "    return pairs\n")
    fixes = syntax_fixes(good.replace("optional))", "optional)", 1))
    assert fixes and fixes[0].fixed_source == good, fixes[0].fixed_source if fixes else None
