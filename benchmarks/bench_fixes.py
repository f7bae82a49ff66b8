"""Benchmark the self-debug fixer (no LLM, offline).

Each part prints: share of bugs with a validated fix shown, share of shown fixes that
are right, median time per fix.

- ``humanevalfix``: ``../shared/data/humanevalfix/tasks.jsonl``. The buggy module is
  ``declaration + buggy_solution``; the fixer sees only *part* of each task's asserts
  (every other top-level assert of ``check``, as separate pytest-style tests). A shown
  fix is judged right when it passes ALL of the asserts (the hidden ones included)
  and agrees with ``canonical_solution`` on inputs generated from the test calls.
  ``canonical_solution`` is read here only for that judgement, never by the fixer.
- ``cpython``: ``../shared/data/cpython_syntax/cases.json``: how many get a fix that
  compiles with a small edit (no reference fix exists; declining is often right).
- ``breaks``: single-token breaks (delete / insert / replace one token) of correct
  functions (standard-library files the n-gram prior was NOT trained on, plus the
  HumanEvalFix buggy solutions, which are syntactically fine): right = the fixed code
  has the same AST as the original. Also split by what changed: only keywords and
  operators (``syntax token``: a lost ``:``, ``)`` or ``and``) or a name, number or
  string (``word``: often one the document has nowhere else, so unrecoverable).

- ``natural``: 300 of the slips programmers make most (a closer, ``:`` or ``,`` left
  out; an operator typed twice) in the same functions; right = same AST.
- ``named``: 400 breaks of the kinds issue 4 names, 50 of each in turn: a ``:``, ``)``,
  ``]``, quote or comma left out; a line's indentation off by one level or one to three
  spaces; a stray token (a token of the function inserted anywhere, as ``breaks``'s
  inserts); ``==`` written ``=``; right = same AST.
- ``habits``: mistakes of habit from other languages and Python 2, and lost quotes.
- ``pasted``: code as a paste from a web page or a chat leaves it (typographic quotes,
  no-break spaces, dashes, zero-width spaces, full-width punctuation).

Usage: ``python benchmarks/bench_fixes.py [humanevalfix|cpython|breaks|natural|named|habits|
pasted|all] [--seed N] [--limit N]``
"""

from __future__ import annotations

import argparse
import ast
import functools
import io
import itertools
import json
import keyword
import random
import statistics
import sys
import tempfile
import textwrap
import time
import tokenize
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _report(name: str, total: int, shown: int, right: int, times: list[float]) -> None:
    med = statistics.median(times) if times else float("nan")
    print(f"[{name}] bugs={total} fix shown={shown} ({shown / max(1, total):.1%}) "
          f"right={right} ({right / max(1, shown):.1%} of shown) "
          f"median time={med:.2f}s p90={_p90(times):.2f}s")


def _p90(xs: list[float]) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(0.9 * len(s)))]


# --------------------------------------------------------------------------- breaks


def _functions_from(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    lines = text.split("\n")
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.end_lineno:
            n = node.end_lineno - node.lineno + 1
            if 4 <= n <= 40 and not node.decorator_list:
                src = textwrap.dedent("\n".join(lines[node.lineno - 1 : node.end_lineno]))
                try:
                    compile(src, "<f>", "exec")
                except SyntaxError:
                    continue
                out.append(src + "\n")
    return out


def _tokens(src: str) -> list[tokenize.TokenInfo]:
    skip = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
            tokenize.COMMENT, tokenize.ENDMARKER, tokenize.ENCODING}
    return [t for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type not in skip]


def _offset(src: str, pos: tuple[int, int]) -> int:
    return _line_starts(src)[pos[0] - 1] + pos[1]


@functools.lru_cache(maxsize=8)
def _line_starts(src: str) -> list[int]:
    starts = [0]
    for ln in src.split("\n"):
        starts.append(starts[-1] + len(ln) + 1)
    return starts


def _function_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of the functions (4-40 lines) defined anywhere in ``text``."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    lines = text.split("\n")
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln) + 1)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.end_lineno and (
                4 <= node.end_lineno - node.lineno + 1 <= 40):
            out.append((starts[node.lineno - 1], starts[node.end_lineno]))
    return out


def make_breaks(n: int, seed: int = 0, in_file: bool = False,
                stats: dict[str, int] | None = None, files: list[Path] | None = None,
                humanevalfix: bool = True) -> list[tuple[str, str, str]]:
    """(original, broken, kind) triples where ``broken`` does not compile.

    A one-token change that still compiles is no syntax error: it is excluded (and
    counted in ``stats["still_compiles"]``), another token of the unit is tried.

    One token of a real function is deleted, inserted (a token of the same file) or
    replaced. With ``in_file`` the function stays inside its whole file (as when
    editing); otherwise the function alone is the document. ``files`` defaults to the
    standard-library half the n-gram prior was not trained on.
    """
    from tact.server.fixes.lexer import stdlib_files

    rng = random.Random(seed)
    units: list[tuple[str, int, int]] = []  # (document, function start, function end)
    for p in stdlib_files(1) if files is None else files:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if in_file:
            units.extend((text, a, b) for a, b in _function_ranges(text))
        else:
            units.extend((f, 0, len(f)) for f in _functions_from(text))
    tasks = DATA / "humanevalfix" / "tasks.jsonl"
    if tasks.exists() and humanevalfix:
        for line in tasks.read_text().splitlines():
            t = json.loads(line)
            src = t["declaration"] + t["buggy_solution"]
            units.append((src, 0, len(src)))
    rng.shuffle(units)
    out = []
    for src, lo, hi in units:
        if len(out) >= n:
            break
        try:
            all_toks = _tokens(src)
        except (tokenize.TokenError, SyntaxError):
            continue
        toks = [t for t in all_toks if lo <= _offset(src, t.start) < hi]
        if len(toks) < 5:
            continue
        vocab = sorted({t.string for t in toks if t.type != tokenize.STRING})
        for _ in range(5):
            t = rng.choice(toks)
            a, b = _offset(src, t.start), _offset(src, t.end)
            kind = rng.choice(["delete", "insert", "replace"])
            # Keep token boundaries: a new word next to a word gets a space.
            new = rng.choice(vocab)
            if kind == "delete":
                new = ""
            elif kind == "insert":
                b = a
                new = new + " "
            left = src[:a]
            right = src[b:]
            if new.strip() and left[-1:].isidentifier() | left[-1:].isdigit() and (
                    new[:1].isidentifier() or new[:1].isdigit()):
                new = " " + new
            if new.strip() and (right[:1].isidentifier() or right[:1].isdigit()) and (
                    new.rstrip()[-1:].isidentifier() or new.rstrip()[-1:].isdigit()):
                new = new.rstrip() + " "
            broken = left + new + right
            if kind == "delete" and (left[-1:].isalnum() and right[:1].isalnum()):
                continue  # deleting would merge two words into one token
            try:
                with warnings.catch_warnings():  # the broken code's warnings are noise here
                    warnings.simplefilter("ignore")
                    compile(broken, "<b>", "exec")
                if stats is not None:
                    stats["still_compiles"] = stats.get("still_compiles", 0) + 1
            except SyntaxError:
                out.append((src, broken, kind))
                break
            except ValueError:
                continue
    return out


def _same_ast(a: str, b: str) -> bool:
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except SyntaxError:
        return False


def _is_string(tok: str) -> bool:
    return tok[:1] in "'\"" or tok[:2].lower() in ("f'", 'f"', "b'", 'b"', "r'", 'r"')


def _lost_token(orig: str, broken: str, kind: str) -> str:
    """What the break took away, as a class: the token a deletion or replacement lost
    (a name the broken text still has elsewhere, a common name of the n-gram prior, a
    name found nowhere, keyword, operator, number, string), or ``inserted`` for an
    inserted token (nothing was lost)."""
    import difflib
    import keyword

    from tact.server.fixes.lexer import default_prior, lex

    if kind == "insert":
        return "inserted"
    a, b = [t.text for t in lex(orig)], [t for t in lex(broken)]
    ops = difflib.SequenceMatcher(None, a, [t.text for t in b], autojunk=False).get_opcodes()
    lost = " ".join(" ".join(a[i1:i2]) for tag, i1, i2, _j1, _j2 in ops if tag != "equal")
    if keyword.iskeyword(lost):
        return "keyword"
    if lost.isidentifier():
        if any(t.text == lost for t in b):
            return "name in the file"
        return "common name" if lost in default_prior().common else "name nowhere else"
    if lost[:1].isdigit():
        return "number"
    if _is_string(lost):
        return "string"
    return "operator" if lost else "other"


def _changed_class(orig: str, broken: str) -> str:
    """``syntax token`` when the break removed and inserted only keywords and operators
    (a lost ``:``, ``)``, ``and``, a stray ``,``), else ``word`` (a name, number or string
    was lost or added: often unrecoverable when the document has it nowhere else)."""
    import keyword

    from tact.server.fixes.lexer import lex
    from tact.server.fixes.types import edit_between

    s, e, t = edit_between(orig, broken)
    changed = [x.text for x in lex(orig) if e > s and x.start < e and x.end > s]
    changed += [x.text for x in lex(broken) if t and x.start < s + len(t) and x.end > s]
    words = [x for x in changed
             if not keyword.iskeyword(x) and (x[:1].isalnum() or x[:1] == "_" or _is_string(x))]
    return "word" if words else "syntax token"


def _lost_for_good(orig: str, broken: str) -> bool:
    """True when the break took away a word no fixer can know: a name, number or string
    that the broken document has nowhere else and that is no keyword, builtin or common
    name of the n-gram prior (``def _qencode(s)`` minus ``_qencode``, in a function
    shown alone). An upper bound on any repair rate, independent of tact's search."""
    import builtins
    import keyword

    from tact.server.fixes.lexer import default_prior, lex
    from tact.server.fixes.types import edit_between

    s, e, _t = edit_between(orig, broken)
    known = {x.text for x in lex(broken)} | set(dir(builtins)) | default_prior().common
    return any(x.kind != "op" and not keyword.iskeyword(x.text) and x.text not in known
               for x in lex(orig[s:e]))


def repair_cases(title: str, cases: list[tuple[str, str, str]], ceiling: bool = False,
                 lost_words: bool = True) -> str:
    """Run the syntax fixer on (original, broken, kind) cases and print the report;
    right = the first fix has the original's AST. Returns the per-kind line.

    ``ceiling``: also count the breaks where ANY compiling candidate has the original's
    AST (the most a better ranking could reach), split by what the break lost."""
    from tact.server.fixes.syntax import syntax_fixes

    shown = right = 0
    times = []
    by_kind: dict[str, list[int]] = {}
    by_class: dict[str, list[int]] = {}
    reach: dict[str, list[int]] = {}  # lost-token class -> [breaks, among candidates, first]
    lost_for_good = 0  # breaks that lost a word the document has nowhere
    for orig, broken, kind in cases:
        got: list[tuple[dict[str, float], str]] | None = [] if ceiling else None
        t0 = time.perf_counter()
        fixes = syntax_fixes(broken, collect=got)
        times.append(time.perf_counter() - t0)
        ok = bool(fixes) and _same_ast(fixes[0].fixed_source, orig)
        shown += bool(fixes)
        right += ok
        by_kind.setdefault(kind, [0, 0])
        by_kind[kind][0] += 1
        by_kind[kind][1] += ok
        row_c = by_class.setdefault(_changed_class(orig, broken), [0, 0])
        row_c[0] += 1
        row_c[1] += ok
        lost_for_good += _lost_for_good(orig, broken)
        if got is not None:
            row = reach.setdefault(f"{kind}: {_lost_token(orig, broken, kind)}", [0, 0, 0])
            row[0] += 1
            row[1] += ok or any(_same_ast(new, orig) for _, new in got)
            row[2] += ok
    _report(title, len(cases), shown, right, times)
    if lost_words:
        print(f"  lost for good: {lost_for_good}/{len(cases)} breaks took away a name, number "
              "or string the document has nowhere else (and no keyword, builtin or common "
              f"name): no fixer can repair more than {1 - lost_for_good / max(1, len(cases)):.1%}")
    if reach:
        total = sum(r[1] for r in reach.values())
        print(f"  ceiling: original among the compiling candidates for {total}/{len(cases)} = "
              f"{total / max(1, len(cases)):.1%} (first for {right})")
        for k, (n, among, first) in sorted(reach.items()):
            print(f"    {k:<28} breaks={n:4} among candidates={among:4} first={first:4}")
    share = right / max(1, len(cases))
    return (f"  repaired to an equivalent AST: {right}/{len(cases)} = {share:.1%}"
            " of all breaks; by kind: "
            + ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in sorted(by_kind.items()))
            + "; by what changed: "
            + ", ".join(f"{k} {v[1]}/{v[0]} = {v[1] / max(1, v[0]):.1%}"
                        for k, v in sorted(by_class.items())))


def bench_breaks(limit: int, in_file: bool = False, seed: int = 0,
                 ceiling: bool = False) -> None:
    stats: dict[str, int] = {}
    cases = make_breaks(limit, seed=seed, in_file=in_file, stats=stats)
    where = "functions in their files" if in_file else "functions alone"
    line = repair_cases(f"single-token breaks, {where}", cases, ceiling=ceiling)
    print(line + f"; {stats.get('still_compiles', 0)} drawn breaks still compiled (excluded)")


# --------------------------------------------------------------------------- natural


def _shuffled_functions(rng: random.Random, files: list[Path] | None = None
                        ) -> Iterator[tuple[str, list[tokenize.TokenInfo]]]:
    """The functions of ``files`` (default: the standard-library half the n-gram prior
    was not trained on), shuffled by ``rng``, each with its tokens (those that do not
    tokenize are skipped)."""
    from tact.server.fixes.lexer import stdlib_files

    funcs: list[str] = []
    for p in stdlib_files(1) if files is None else files:
        try:
            funcs += _functions_from(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    rng.shuffle(funcs)
    for src in funcs:
        try:
            yield src, _tokens(src)
        except (tokenize.TokenError, SyntaxError):
            continue


def make_natural_breaks(n: int, seed: int = 0,
                        files: list[Path] | None = None) -> list[tuple[str, str, str]]:
    """(original, broken, kind): the slips programmers make most, unlike ``breaks``'s
    uniform draw: a closer, ``:`` or ``,`` left out, or an operator typed twice.

    ``files`` defaults to the same standard-library half as ``breaks`` (not the n-gram
    prior's); the ranker's training passes third-party files instead.
    """
    rng = random.Random(seed)
    out = []
    for src, toks in _shuffled_functions(rng, files):
        if len(out) >= n:
            break
        kind = rng.choice(["missing", "doubled"])
        if kind == "missing":
            pool = [t for t in toks if t.string in (")", "]", "}", ":", ",")]
        else:
            pool = [t for t in toks if t.type == tokenize.OP]
        if not pool:
            continue
        t = rng.choice(pool)
        a, b = _offset(src, t.start), _offset(src, t.end)
        broken = src[:a] + src[b:] if kind == "missing" else src[:b] + t.string + src[b:]
        try:
            compile(broken, "<b>", "exec")
            continue  # still valid Python: not a syntax error
        except SyntaxError:
            out.append((src, broken, f"{kind} {t.string}"))
        except ValueError:
            continue
    return out


def bench_natural(limit: int, seed: int = 0) -> None:
    cases = [(orig, broken, kind.split()[0])
             for orig, broken, kind in make_natural_breaks(limit, seed=seed)]
    print(repair_cases("natural slips (missing closer/colon/comma, doubled operator)", cases))


def make_pasted_breaks(n: int, seed: int = 0,
                       files: list[Path] | None = None) -> list[tuple[str, str, str]]:
    """(original, broken, kind): code as a paste from a web page, a document or a chat
    leaves it. One of: the strings of one line in typographic quotes (``quotes``), the
    indentation of a run of lines in no-break spaces (``nbsp``), a minus sign as an en
    dash or U+2212 (``dash``), a zero-width space after a token (``zero-width``), a
    bracket, comma or colon in its full-width form (``full-width``). Characters inside
    strings and comments are never touched: a paste keeps them, and Python accepts them.
    """
    rng = random.Random(seed)
    full = {"(": "\uff08", ")": "\uff09", ",": "\uff0c", ":": "\uff1a", "[": "\uff3b",
            "]": "\uff3d"}
    out = []
    for src, toks in _shuffled_functions(rng, files):
        if len(out) >= n:
            break
        kind = rng.choice(["quotes", "nbsp", "dash", "zero-width", "full-width"])
        edits: list[tuple[int, int, str]] = []  # (start, end, new text)
        if kind == "quotes":
            strs = [t for t in toks if t.type == tokenize.STRING and t.start[0] == t.end[0]
                    and t.string[:1] in "'\"" and t.string[-1:] == t.string[:1]
                    and len(t.string) >= 2 and t.string[:3] not in ('"""', "'''")]
            if not strs:
                continue
            row = rng.choice(strs).start[0]
            for t in (t for t in strs if t.start[0] == row):
                a, b = _offset(src, t.start), _offset(src, t.end)
                o, c = ("\u201c", "\u201d") if t.string[0] == '"' else ("\u2018", "\u2019")
                edits += [(a, a + 1, o), (b - 1, b, c)]
        elif kind == "nbsp":
            lines = src.split("\n")
            in_string = {r - 1 for t in toks if t.type == tokenize.STRING
                         for r in range(t.start[0] + 1, t.end[0] + 1)}  # 0-based rows
            rows = [i for i, ln in enumerate(lines)
                    if ln.startswith("    ") and i not in in_string]
            if not rows:
                continue
            first = rng.choice(rows)
            starts = _line_starts(src)
            for i in range(first, min(len(lines), first + rng.randint(1, 4))):
                w = len(lines[i]) - len(lines[i].lstrip(" "))
                if w and lines[i].strip() and i not in in_string:
                    edits.append((starts[i], starts[i] + w, "\u00a0" * w))
        else:
            if kind == "dash":
                pool = [t for t in toks if t.type == tokenize.OP and t.string == "-"]
            elif kind == "full-width":
                pool = [t for t in toks if t.type == tokenize.OP and t.string in full]
            else:
                pool = [t for t in toks if t.type in (tokenize.NAME, tokenize.OP)]
            if not pool:
                continue
            t = rng.choice(pool)
            a, b = _offset(src, t.start), _offset(src, t.end)
            if kind == "dash":
                edits.append((a, b, rng.choice(["\u2013", "\u2212"])))
            elif kind == "full-width":
                edits.append((a, b, full[t.string]))
            else:
                edits.append((b, b, "\u200b"))
        broken = src
        for a, b, new in sorted(edits, reverse=True):
            broken = broken[:a] + new + broken[b:]
        if broken == src:
            continue
        try:
            compile(broken, "<b>", "exec")
            continue  # still valid Python (a no-break space inside brackets)
        except SyntaxError:
            out.append((src, broken, kind))
        except ValueError:
            continue
    return out


def bench_pasted(limit: int, seed: int = 0) -> None:
    print(repair_cases("pasted characters (typographic quotes, no-break spaces, dashes, "
                       "zero-width spaces, full-width forms)", make_pasted_breaks(limit, seed),
                       lost_words=False))


HABITS = ("keyword typo", "c operator", "else if", "print statement", "def without ()",
          "// comment", "word order", "quote lost")


def make_habit_breaks(n: int, seed: int = 0,
                      files: list[Path] | None = None) -> list[tuple[str, str, str]]:
    """(original, broken, kind): mistakes of habit in real functions, the kinds drawn
    evenly: a keyword misspelt by one slip (a letter left out, doubled, or swapped with
    its neighbour: ``retrun``), a C/JavaScript operator (``&&``, ``||``, ``!x``,
    ``===``, ``!==``, ``i++``), ``else if`` for ``elif``, Python 2's ``print x``, ``def f:``
    for ``def f():``, a ``//`` comment, ``not is`` / ``in not`` for ``is not`` /
    ``not in``, or the opening or closing quote of a one-line string lost."""
    return _kinds_in_turn(n, seed, files, HABITS, _habit_edits)


Edits = Callable[[str, str, list[tokenize.TokenInfo], random.Random], list[tuple[int, int, str]]]


def _kinds_in_turn(n: int, seed: int, files: list[Path] | None, kinds: tuple[str, ...],
                   edits_of: Edits) -> list[tuple[str, str, str]]:
    """(original, broken, kind): one break of each of ``kinds`` in turn, each in the next
    shuffled function where ``edits_of(kind, src, tokens, rng)`` finds a place for it
    (one drawn at random), kept only when the function then fails to compile."""
    rng = random.Random(seed)
    out = []
    for src, toks in _shuffled_functions(rng, files):
        if len(out) >= n:
            break
        kind = kinds[len(out) % len(kinds)]
        edits = edits_of(kind, src, toks, rng)
        if not edits:
            continue
        a, b, new = rng.choice(edits)
        broken = src[:a] + new + src[b:]
        try:
            with warnings.catch_warnings():  # the broken code's warnings are noise here
                warnings.simplefilter("ignore")
                compile(broken, "<b>", "exec")
            continue  # still valid Python
        except SyntaxError:
            out.append((src, broken, kind))
        except ValueError:
            continue
    return out


def _habit_edits(kind: str, src: str, toks: list[tokenize.TokenInfo],
                 rng: random.Random) -> list[tuple[int, int, str]]:
    """The places ``kind`` can be made in ``src``: (start, end, new text)."""
    out: list[tuple[int, int, str]] = []
    code = [t for t in toks if t.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER,
                                          tokenize.STRING)]
    for k, t in enumerate(code):
        a, b = _offset(src, t.start), _offset(src, t.end)
        prev = code[k - 1].string if k else ""
        nxt = code[k + 1].string if k + 1 < len(code) else ""
        w = t.string
        if kind == "keyword typo" and keyword.iskeyword(w) and w.islower() and len(w) >= 3:
            i = rng.randrange(len(w) - 1)
            slip = rng.choice([w[:i] + w[i + 1] + w[i] + w[i + 2 :],  # swapped neighbours
                               w[:i] + w[i + 1 :], w[:i] + w[i] + w[i:]])  # left out, doubled
            if slip != w and not keyword.iskeyword(slip):
                out.append((a, b, slip))
        elif kind == "c operator":
            c = {"and": "&&", "or": "||", "==": "===", "!=": "!=="}.get(w)
            if c:
                out.append((a, b, c))
            elif w == "not" and prev != "is" and nxt != "in":
                out.append((a, _offset(src, code[k + 1].start), "!"))
            elif w in ("+=", "-=") and nxt == "1" and code[k + 1].end[0] != (
                    code[k + 2].start[0] if k + 2 < len(code) else -1) and prev.isidentifier():
                out.append((_offset(src, code[k - 1].end), _offset(src, code[k + 1].end),
                            w[0] * 2))
        elif kind == "else if" and w == "elif":
            out.append((a, b, "else if"))
        elif kind == "print statement" and w == "print" and nxt == "(" and (
                k == 0 or code[k - 1].end[0] < t.start[0]):
            close = _closing(code, k + 1)
            if close is not None and close + 1 < len(code) and code[close].end[0] == t.start[0] \
                    and code[close + 1].start[0] > t.start[0] and close > k + 2:
                inner = src[_offset(src, code[k + 2].start) : _offset(src, code[close - 1].end)]
                out.append((a, _offset(src, code[close].end), "print " + inner))
        elif kind == "def without ()" and w == "def" and k + 3 < len(code) and (
                code[k + 2].string == "(" and code[k + 3].string == ")"):
            out.append((_offset(src, code[k + 1].end), _offset(src, code[k + 3].end), ""))
        elif kind == "word order" and (w, nxt) in (("is", "not"), ("not", "in")):
            out.append((a, _offset(src, code[k + 1].end), f"{nxt} {w}"))
        elif kind == "quote lost" and t.type == tokenize.STRING and t.start[0] == t.end[0] \
                and w[:1] in "'\"" and len(w) >= 3 and w[:3] not in ('"""', "'''"):
            out.append(rng.choice([(a, a + 1, ""), (b - 1, b, "")]))
    if kind == "// comment":  # ``_tokens`` leaves comments out
        for t in tokenize.generate_tokens(io.StringIO(src).readline):
            if t.type == tokenize.COMMENT and not src[: _offset(src, t.start)].split(
                    "\n")[-1].strip():
                a = _offset(src, t.start)
                out.append((a, a + 1, "//"))
    return out


def _closing(code: list[tokenize.TokenInfo], k: int) -> int | None:
    depth = 0
    for j in range(k, len(code)):
        depth += code[j].string in "([{" and code[j].type == tokenize.OP
        depth -= code[j].string in ")]}" and code[j].type == tokenize.OP
        if depth == 0:
            return j
    return None


def bench_habits(limit: int, seed: int = 0) -> None:
    cases = make_habit_breaks(limit, seed)
    print(repair_cases("mistakes of habit (keyword typo, C operator, else if, print x, def f:, "
                       "// comment, word order, quote lost)", cases, lost_words=False))


# --------------------------------------------------------------------------- named

NAMED = ("missing :", "missing )", "missing ]", "missing quote", "missing ,", "indentation",
         "stray token", "= for ==")
"""The syntax repairs issue 4 names, in its words: "the missing ``:``, ``)``, ``]``, quote
or comma; fix indentation; remove a stray token; ``=`` vs ``==``"."""


def make_named_breaks(n: int, seed: int = 0,
                      files: list[Path] | None = None) -> list[tuple[str, str, str]]:
    """(original, broken, kind): one break of each kind in ``NAMED`` in turn, in real
    functions, kept only when the function then fails to compile.

    ``indentation`` moves the first line of one statement a level (4 spaces) or one to
    three spaces in or out; ``stray token`` inserts a token of the function at a random
    token boundary, as ``breaks``'s uniform inserts do; ``= for ==`` writes a comparison's
    ``==`` as ``=``; ``missing quote`` drops the opening or closing quote of a one-line
    string."""
    return _kinds_in_turn(n, seed, files, NAMED, _named_edits)


def _named_edits(kind: str, src: str, toks: list[tokenize.TokenInfo],
                 rng: random.Random) -> list[tuple[int, int, str]]:
    """The places ``kind`` can be made in ``src``: (start, end, new text)."""
    out: list[tuple[int, int, str]] = []
    if kind.startswith("missing ") and kind != "missing quote":
        mark = kind.split()[1]
        out = [(_offset(src, t.start), _offset(src, t.end), "") for t in toks
               if t.type == tokenize.OP and t.string == mark]
    elif kind == "missing quote":
        for t in toks:
            if t.type == tokenize.STRING and t.start[0] == t.end[0] \
                    and t.string[:1] in "'\"" and len(t.string) >= 3 \
                    and t.string[:3] not in ('"""', "'''"):
                a, b = _offset(src, t.start), _offset(src, t.end)
                out += [(a, a + 1, ""), (b - 1, b, "")]
    elif kind == "= for ==":
        out = [(_offset(src, t.start), _offset(src, t.end), "=") for t in toks
               if t.type == tokenize.OP and t.string == "=="]
    elif kind == "stray token":
        vocab = sorted({t.string for t in toks if t.type != tokenize.STRING})
        for t in toks[1:]:
            a = _offset(src, t.start)
            new = rng.choice(vocab) + " "
            if src[a - 1 : a].isalnum() and (new[:1].isalnum() or new[:1] == "_"):
                new = " " + new
            out.append((a, a, new))
    elif kind == "indentation":
        starts = _line_starts(src)
        firsts = [t.start[0] for prev, t in itertools.pairwise(toks)
                  if prev.end[0] < t.start[0]]
        for row in firsts:
            line = src[starts[row - 1] :].split("\n", 1)[0]
            w = len(line) - len(line.lstrip(" "))
            a = starts[row - 1]
            for d in (4, 1, 2, 3, -4, -1, -2, -3):
                if w + d >= 0:
                    out.append((a, a + w, " " * (w + d)))
    return out


def bench_named(limit: int, seed: int = 0) -> None:
    cases = make_named_breaks(limit, seed)
    print(repair_cases("the repairs issue 4 names (missing : ) ] quote comma, indentation, "
                       "stray token, = for ==)", cases, lost_words=False))


# --------------------------------------------------------------------------- cpython


def bench_cpython(limit: int) -> None:
    from tact.server.fixes.syntax import syntax_fixes

    cases = json.loads((DATA / "cpython_syntax" / "cases.json").read_text())[:limit]
    cases = [c for c in cases if c.get("compile_fails_on_3.11")]
    shown = 0
    small = 0
    times = []
    for c in cases:
        t0 = time.perf_counter()
        fixes = syntax_fixes(c["source"])
        times.append(time.perf_counter() - t0)
        if fixes:
            shown += 1
            small += fixes[0].edit_size <= 8
    med = statistics.median(times) if times else float("nan")
    print(f"[cpython_syntax] cases={len(cases)} fix shown (compiles after one small edit)="
          f"{shown} ({shown / max(1, len(cases)):.1%}), edit<=8 chars: {small}; "
          f"declined={len(cases) - shown}; median time={med:.3f}s")


# --------------------------------------------------------------------------- humanevalfix


def check_helpers(test_src: str) -> str:
    """The test module's code besides ``check`` and bare expressions (imports, helper
    functions the asserts call), to put in front of every generated test."""
    tree = ast.parse(test_src)
    return "\n".join(ast.unparse(n) for n in tree.body
                     if not (isinstance(n, ast.FunctionDef) and n.name == "check")
                     and not isinstance(n, ast.Expr))


def split_check(test_src: str, entry: str) -> tuple[list[str], str]:
    """Turn ``check(candidate)``'s top-level statements into separate test functions.

    Returns (test function sources, the parameter name of ``check``). Non-assert
    statements before an assert (setup) are repeated in every following test.
    """
    tree = ast.parse(test_src)
    check = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check")
    param = check.args.args[0].arg
    prelude: list[str] = []
    tests = []
    for stmt in check.body:
        seg = ast.unparse(stmt)
        has_assert = any(isinstance(n, ast.Assert) for n in ast.walk(stmt))
        if not has_assert:
            prelude.append(seg)
            continue
        tests.append("\n".join([*prelude, seg]))
    return tests, param


def _test_file(entry: str, param: str, bodies: list[str], helpers: str) -> str:
    out = ["import buggy as _buggy_module\nfrom buggy import *\n", helpers, ""]
    for i, body in enumerate(bodies):
        out.append(f"def test_{i}():\n    {param} = _buggy_module.{entry}\n"
                   + textwrap.indent(body, "    ") + "\n")
    return "\n".join(out)


def bench_humanevalfix(limit: int, precision: str, timeout: float, verbose: bool) -> None:
    from tact.server.fixes.repair import repair_file

    rows = [json.loads(x) for x in (DATA / "humanevalfix" / "tasks.jsonl").read_text().splitlines()]
    rows = rows[:limit]
    shown = right = 0
    times: list[float] = []
    for row in rows:
        entry = row["entry_point"]
        bodies, param = split_check(row["test"], entry)
        helpers = check_helpers(row["test"])
        visible = bodies[::2] if len(bodies) > 1 else bodies
        buggy = row["declaration"] + row["buggy_solution"]
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "buggy.py").write_text(buggy)
            (d / "test_buggy.py").write_text(_test_file(entry, param, visible, helpers))
            t0 = time.perf_counter()
            result = repair_file(d / "buggy.py", [d / "test_buggy.py"], precision=precision,
                                 timeout=timeout)
            dt = time.perf_counter() - t0
        times.append(dt)
        fix = result.fixes[0] if result.fixes else None
        ok = False
        if fix is not None:
            shown += 1
            ok = _judge(fix.fixed_source, row, bodies, param, helpers, timeout)
            right += ok
        if verbose:
            status = "none" if fix is None else ("RIGHT" if ok else "WRONG")
            extra = result.note
            if fix:
                extra = (f"{fix.operator} fixed={len(fix.tests_fixed)} "
                         f"kept={len(fix.tests_kept)} valid={result.validated} "
                         f"{fix.validation} {fix.evidence} | {fix.title}")
            print(f"{row['task_id']:>12} {row['bug_type']:<16} {status:<5} {dt:5.2f}s {extra}",
                  flush=True)
    _report(f"humanevalfix precision={precision}", len(rows), shown, right, times)


def _judge(fixed: str, row: dict, bodies: list[str], param: str, helpers: str,
           timeout: float) -> bool:
    """Right = passes every assert of ``check`` (hidden ones included) AND agrees with
    ``canonical_solution`` on inputs generated from the test's calls (where the
    canonical solution returns normally). Both run in subprocesses."""
    return _passes_all(fixed, row, bodies, param, helpers, timeout) and _agrees(
        fixed, row, param, timeout)


def _agrees(fixed: str, row: dict, param: str, timeout: float) -> bool:
    import subprocess

    from tact.server.fixes.repair import _nudges

    inputs: list[str] = []
    for node in ast.walk(ast.parse(row["test"])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id == param) and not node.keywords:
            try:
                args = tuple(ast.literal_eval(a) for a in node.args)
            except (ValueError, SyntaxError):
                continue
            inputs.append(repr(args))
            for i, a in enumerate(args):
                for v in _nudges(a)[:4]:
                    inputs.append(repr((*args[:i], v, *args[i + 1 :])))
    if not inputs:
        return True
    script = (
        "import ast, json, signal, sys\n"
        "import fixed_mod, canon_mod\n"
        "class T(BaseException): pass\n"
        "def alarm(*a): raise T\n"
        "signal.signal(signal.SIGALRM, alarm)\n"
        "def call(f, args):\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0.5)\n"
        "    try:\n"
        "        return ('ok', repr(f(*args)))\n"
        "    except T:\n"
        "        return ('timeout', '')\n"
        "    except Exception as e:\n"
        "        return ('exc', type(e).__name__)\n"
        "    finally:\n"
        "        signal.setitimer(signal.ITIMER_REAL, 0)\n"
        f"fn = {row['entry_point']!r}\n"
        "bad = 0\n"
        "for line in sys.stdin:\n"
        "    args = ast.literal_eval(line)\n"
        "    c = call(getattr(canon_mod, fn), args)\n"
        "    if c[0] != 'ok':\n"
        "        continue\n"
        "    args = ast.literal_eval(line)\n"
        "    if call(getattr(fixed_mod, fn), args) != c:\n"
        "        bad += 1\n"
        "print('DISAGREE', bad)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "fixed_mod.py").write_text(fixed)
        (d / "canon_mod.py").write_text(row["declaration"] + row["canonical_solution"])
        (d / "agree.py").write_text(script)
        try:
            r = subprocess.run([sys.executable, "-s", "-E", "agree.py"], cwd=d, text=True,
                               input="\n".join(inputs[:200]) + "\n", capture_output=True,
                               timeout=max(30.0, timeout * 10))
        except subprocess.TimeoutExpired:
            return False
        return "DISAGREE 0" in r.stdout


def _passes_all(fixed: str, row: dict, bodies: list[str], param: str, helpers: str,
                timeout: float) -> bool:
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "buggy.py").write_text(fixed)
        script = _test_file(row["entry_point"], param, bodies, helpers)
        script += "\n\nif __name__ == '__main__':\n"
        for i in range(len(bodies)):
            script += f"    test_{i}()\n"
        script += "    print('ALL-PASSED')\n"
        (d / "judge.py").write_text(script)
        try:
            r = subprocess.run([sys.executable, "-s", "-E", "judge.py"], cwd=d, capture_output=True,
                               text=True, timeout=max(10.0, timeout * 3))
        except subprocess.TimeoutExpired:
            return False
        return "ALL-PASSED" in r.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("part", nargs="?", default="all",
                    choices=["all", "humanevalfix", "cpython", "breaks", "natural", "pasted",
                             "habits", "named"])
    ap.add_argument("--limit", type=int, default=10**6)
    ap.add_argument("--breaks", type=int, default=400, help="number of single-token breaks")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the breaks (develop on another seed than the one reported)")
    ap.add_argument("--variant", default="both", choices=["both", "alone", "in-file"],
                    help="breaks: functions alone, inside their whole files, or both")
    ap.add_argument("--ceiling", action="store_true",
                    help="breaks: also count breaks whose original is among the candidates")
    ap.add_argument("--precision", default="standard", choices=["lenient", "standard", "strict"])
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.part in ("all", "breaks"):
        if args.variant in ("both", "alone"):
            bench_breaks(min(args.limit, args.breaks), seed=args.seed, ceiling=args.ceiling)
        if args.variant in ("both", "in-file"):
            bench_breaks(min(args.limit, args.breaks), in_file=True, seed=args.seed,
                         ceiling=args.ceiling)
    if args.part in ("all", "natural"):
        bench_natural(min(args.limit, 300), seed=args.seed)
    if args.part in ("all", "habits"):
        bench_habits(min(args.limit, 400), seed=args.seed)
    if args.part in ("all", "named"):
        bench_named(min(args.limit, 400), seed=args.seed)
    if args.part in ("all", "pasted"):
        bench_pasted(min(args.limit, 300), seed=args.seed)
    if args.part in ("all", "cpython"):
        bench_cpython(args.limit)
    if args.part in ("all", "humanevalfix"):
        bench_humanevalfix(args.limit, args.precision, args.timeout, args.verbose)


if __name__ == "__main__":
    main()
