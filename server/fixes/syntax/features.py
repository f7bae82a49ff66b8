"""The ranking features of one compiling candidate.

:class:`RankContext` holds what every candidate of one error shares (the token
models' window, the file's names, roles, calls and bindings), so each candidate's
features cost a few log-prob lookups and one parse.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import functools
import keyword
import math
import re
import warnings
from collections import Counter
from typing import Any

from tact.server.fixes.calls import (
    CallSite,
    DefSite,
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
from tact.server.fixes.lexer import LocalModel, Token, default_prior, lex, token_stream
from tact.server.fixes.shapes import line_shapes, shape
from tact.server.fixes.syntax.ast_evidence import runtime_failures, use_before_bind
from tact.server.fixes.syntax.candidates import CLOSER, WORD, Candidate, error_index
from tact.server.fixes.syntax.diagnose import CompileError
from tact.server.fixes.syntax.ranker import CHANNEL
from tact.server.fixes.syntax.token_evidence import (
    binding_indices,
    fine_role,
    flat_continuations,
    mirrored,
    name_roles,
    one_line_trailing_commas,
    rebound,
    token_class,
)

ROLE_PAD = 2  # lines either side of an edit whose names are checked against the file
WINDOW_REACH = 8  # lines from the error within which candidates share one LM window
NEAR = 4  # tokens next to an edit whose log-prob change is a feature of its own
BRACKET_REACH = 400  # tokens searched back for the bracket an edit sits in
_BUILTIN_NAMES = frozenset(dir(builtins))
_BUILTINS = _BUILTIN_NAMES | {"self", "cls"}
_BRACKETS = frozenset("()[]{}")
_WORDS = ("name", "num", "str")  # token classes a bracket is never mistyped as
# expression statements that compute nothing (docstrings and ``...`` excepted)
_IDLE = (ast.Name, ast.Attribute, ast.Constant, ast.Compare, ast.BinOp, ast.Subscript,
         ast.Tuple, ast.BoolOp, ast.UnaryOp, ast.List, ast.Dict, ast.Set, ast.ListComp,
         ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.JoinedStr, ast.IfExp, ast.Lambda)
# ``x is x``, ``a - a``: an operator between one name and itself is rarely meant
_SELF_OPS = frozenset({"is", "==", "!=", "<", ">", "<=", ">=", "-", "/", "and", "or", "in"})


def _hint_bonus(msg: str, cand: Candidate, at_line_end: bool = False,
                err_offset: int = -1, item_end: bool = False) -> float:
    """How well the edit does what the compiler's message asks (``expected ':'``, an
    unclosed bracket, "Perhaps you forgot a comma?"), in nats."""
    new = cand.text.strip()
    b = 0.0
    m = re.search(r"expected '([^']+)'", msg)
    if m and new == m.group(1):
        b += 3.0
    if "forgot a comma" in msg and new == ",":
        b += 2.0
    if "Maybe you meant '==' or ':='" in msg and new == "==":
        b += 2.0
    m = re.search(r"'([(\[{])' was never closed", msg)
    if m and new == CLOSER[m.group(1)]:
        b += 2.0
        if at_line_end:  # the trailing closer is the one most often forgotten
            b += 1.0
    if m and cand.op.startswith("delete") and cand.start != err_offset:
        b -= 1.5  # the compiler named the unclosed bracket: deleting another is unlikely
    m = re.search(r"closing parenthesis '(.)' does not match opening parenthesis '(.)'", msg)
    if m and new == CLOSER.get(m.group(2)):
        b += 2.0
        if (at_line_end or item_end) and cand.op.startswith("insert"):
            b += 1.0  # a lost inner closer: the last on its line, or before its comma
    m = re.search(r"unmatched '(.)'", msg)
    if m and cand.op.startswith("delete") and m.group(1) in cand.op:
        b += 1.0
    if ("indent" in msg) and cand.op.startswith("indent"):
        b += 2.0
        if "unindent does not match" in msg:
            # the author meant to dedent to an outer level, most likely the nearest
            b += 2.0 if cand.text_dedents else -2.0
    return b


class RankContext:
    """Ranking features of a compiling candidate, relative to the broken text.

    Every language-model score is a *difference* over the same lines of the fixed and
    the broken text, so candidates on different lines compare fairly. Name features
    check the names around the edit against how the rest of the file uses them
    (an identifier the file only uses after ``.`` is unlikely to stand alone).
    """

    def __init__(self, text: str, toks: list[Token], err: CompileError, model: LocalModel,
                 vocab: int) -> None:
        self.text = text
        self.toks = toks
        self.err = err
        self.model = model
        self.prior = default_prior()
        self.log_vocab = math.log(vocab)
        self.e = error_index(toks, err)
        self.line_starts = [0]
        for ln in text.split("\n"):
            self.line_starts.append(self.line_starts[-1] + len(ln) + 1)
        self.counts: dict[str, int] = {}
        for t in toks:
            self.counts[t.text] = self.counts.get(t.text, 0) + 1
        self.in_string: dict[int, tuple[int, int]] = {}  # line -> the string's lines
        for t in toks:
            if t.kind == "string" and "\n" in t.text:
                span = (t.line, t.line + t.text.count("\n"))
                for ln in range(span[0], span[1] + 1):
                    self.in_string[ln] = span
        self._base: dict[tuple[int, int, int, int],
                         tuple[Any, float, float, float, float, float]] = {}
        self.chunk: tuple[int, int, str] | None = None
        self.window: tuple[int, int] | None = None  # shared LM window (lines), see set_window
        self.tok_starts = [t.start for t in toks]
        self._outside: dict[tuple[int, int], tuple[dict[tuple[str, str], int],
                                                   dict[str, int]]] = {}
        self._sites_outside: dict[tuple[int, int], tuple[dict[str, set[int]],
                                                         dict[str, list[DefSite]]]] = {}

    def set_window(self, cands: list[Candidate]) -> None:
        """One LM window (lines) covering the compiling candidates near the error."""
        lines = [ln for c in cands for ln in (self._line_of(c.start), self._line_of(c.end))
                 if abs(ln - self.err.line) <= WINDOW_REACH]
        if lines:
            self.window = (min(lines) - ROLE_PAD, max(lines) + ROLE_PAD)

    def _line_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.line_starts, offset) - 1)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one context per repair
    def _stack(self, line: int) -> list[int]:
        """Indentation widths of the blocks enclosing ``line`` (outermost first)."""
        lines = self.lines
        out: list[int] = []
        level: int | None = None
        for i in range(min(line, len(lines)) - 1, -1, -1):
            s = lines[i]
            if not s.strip() or s.lstrip().startswith("#"):
                continue
            w = len(s) - len(s.lstrip(" \t"))
            if level is None or w < level:
                out.append(w)
                level = w
                if w == 0:
                    break
        if not out or out[-1] != 0:
            out.append(0)
        return out[::-1]

    def _window_scores(self, window: str, edit_lines: str,
                       outside: dict[tuple[str, str], int], names_out: dict[str, int],
                       window_line: int) -> tuple[Any, float, float, float, float, float]:
        stream = token_stream(window, indents=self._stack(window_line))
        lm = (stream, self.model.logprobs(stream))
        ab = self.prior.logprob(["NEWLINE", *(a for a, _ in stream)])
        mismatch = novel = 0.0
        wt = lex(edit_lines)
        same = float(sum(1 for a, op, b in zip(wt, wt[1:], wt[2:], strict=False)
                         if a.kind == "name" and a.text == b.text and op.text in _SELF_OPS))
        for name, role in name_roles(wt):
            if keyword.iskeyword(name) or name in _BUILTINS:
                continue
            if names_out.get(name, 0) == 0:
                novel += 1
            elif outside.get((name, role), 0) == 0 and not (
                    role in ("attr", "bare") and (outside.get((name, "def"), 0)
                                                  or outside.get((name, "class"), 0))):
                # a function or class the file defines is reached bare or as an
                # attribute (``helper(x)``, ``self.method()``, ``super().__init__()``)
                mismatch += 1
        return lm, ab, mismatch, novel, same, float(flat_continuations(window))

    def features(self, c: Candidate, new: str, validation: str) -> dict[str, float]:
        """The ranking features of candidate ``c`` (``new`` is the fixed text): a sparse
        map of feature name to value, zero features left out; the group features are
        added later by :func:`~tact.server.fixes.syntax.ranker.group_features`."""
        kind = c.op.split(" ", 1)[0]
        f: dict[str, float] = dict(c.tags)
        la0, lb0 = self._line_of(c.start), self._line_of(c.end)
        # one LM window for all candidates when it covers this one (an unclosed
        # bracket's effect runs to the window's end: equal windows compare fairly)
        if self.window is not None and self.window[0] <= la0 and lb0 <= self.window[1]:
            la, lb = self.window
        else:
            la, lb = la0 - ROLE_PAD, lb0 + ROLE_PAD
        # the LM window never starts or ends inside a multi-line string
        la = max(0, la)
        la = self.in_string.get(la, (la, la))[0]
        lb = min(len(self.line_starts) - 2, lb)
        lb = min(len(self.line_starts) - 2, self.in_string.get(lb, (lb, lb))[1])
        ws, we = self.line_starts[la], self.line_starts[lb + 1] - 1
        # names on the edited line(s) are checked against the rest of the file
        rs, re_ = self.line_starts[la0], self.line_starts[lb0 + 1] - 1
        outside = self.toks_outside(rs, re_)
        base = self._base.get((la, lb, la0, lb0))
        if base is None:
            base = self._window_scores(self.text[ws:we], self.text[rs:re_], *outside, la)
            self._base[(la, lb, la0, lb0)] = base
        delta = len(c.text) - (c.end - c.start)
        fixed = self._window_scores(new[ws : we + delta], new[rs : re_ + delta], *outside, la)
        f["lm"] = sum(fixed[0][1]) - sum(base[0][1])
        # the edited tokens' own log-probs apart from their effect on the context: a
        # stray token is improbable where it stands; a restored one should fit
        (bs, bl), (fs, fl) = base[0], fixed[0]
        p = 0
        while p < min(len(bs), len(fs)) and bs[p] == fs[p]:
            p += 1
        q = 0
        while q < min(len(bs), len(fs)) - p and bs[-1 - q] == fs[-1 - q]:
            q += 1
        f["lm_rm"] = sum(bl[p : len(bl) - q])
        f["lm_ins"] = sum(fl[p : len(fl) - q])
        f["lm_ctx"] = sum(fl[len(fl) - q :]) - sum(bl[len(bl) - q :])
        f["lm_near"] = sum(fl[len(fl) - q : len(fl) - q + NEAR]) - sum(
            bl[len(bl) - q : len(bl) - q + NEAR])
        f["abs"] = fixed[1] - base[1]
        f["mismatch"] = fixed[2] - base[2]
        f["novel"] = fixed[3] - base[3]
        f["self_op"] = fixed[4] - base[4]
        f["flat_cont"] = fixed[5] - base[5]
        if kind == "delete":
            f["channel"] = -self.log_vocab - CHANNEL["delete"]
            f["k_delete"] = 1.0
        elif kind == "replace":
            f["channel"] = -self.log_vocab - CHANNEL["replace"]
            f["k_replace"] = 1.0
        elif kind == "indent":
            f["channel"] = -CHANNEL["indent"]
            f["k_indent"] = 1.0
        if kind != "indent":
            removed = self.text[c.start : c.end].strip()
            inserted = c.text.strip()
            if removed:
                rk = token_class(removed)
                f[f"rm_{rk}"] = 1.0
                f[f"{kind}_rm_{rk}"] = 1.0
                f["rm_elsewhere"] = math.log1p(self.counts.get(removed, 1) - 1)
                if kind == "delete" and removed in CLOSER:
                    # ``f(a, [b)``: an opener typed by mistake is rarer than a closer
                    # left out, which the language model, preferring the shorter
                    # ``f(a, b)``, cannot tell
                    f["rm_opener"] = 1.0
                glued = self.text[c.start + len(removed) : c.start + len(removed) + 1]
                if kind == "delete" and ((rk == "name" and glued in (".", "(", "[")) or (
                        rk == "num" and WORD.match(glued))):
                    # ``sety d.sety(150)``: a word glued to its attribute, call or index
                    # was written with it, as was a number glued to a name (``[0self``
                    # lost the ``:`` of ``[0:self``); a stray word is typed apart
                    f["rm_glued"] = 1.0
                if rk == "name":
                    # used in this same role elsewhere: it fits where it stands
                    role = fine_role(self._text_at(c.start - 1, -1), self._text_at(c.end, 1))
                    f["rm_role_seen"] = math.log1p(
                        max(0, self.fine_roles.get((removed, role), 0) - 1))
            if inserted:
                ik = token_class(inserted)
                f[f"ins_{ik}"] = 1.0
                f[f"{kind}_ins_{ik}"] = 1.0
                f["ins_elsewhere"] = math.log1p(self.counts.get(inserted, 0))
                if ik == "name":
                    f["ins_near"] = self._nearness(inserted, c.tok_index)
                    role = fine_role(self._text_at(c.start - 1, -1), self._text_at(c.end, 1))
                    f["ins_role_seen"] = math.log1p(self.fine_roles.get((inserted, role), 0))
                    f["ins_same_line"] = float(self._same_line(inserted, c.start))
            if kind == "replace" and (
                    (removed in _BRACKETS and token_class(inserted) in _WORDS)
                    or (inserted in _BRACKETS and token_class(removed) in _WORDS)):
                # ``[handler`` -> ``[]``, ``iter([))`` -> ``iter(ret_val))``: a word typed
                # for a bracket or the other way round; a bracket is left out instead
                f["bracket_word"] = 1.0
            f["nb_role"] = self._neighbour_roles(c)
            # a comma restored or a word dropped between two items: how likely each is
            # depends on the list (a parameter list, a call's arguments, a display)
            if (kind == "insert" and inserted == ",") or (
                    kind == "delete" and removed and token_class(removed) == "name"):
                where = self._bracket_context(c.start)
                if where:
                    f[f"{'comma' if inserted else 'rm_word'}_in_{where}"] = 1.0
            if removed and not inserted:
                # a token typed twice (``,,``, ``..``, ``((``): removing one copy is the
                # likeliest fix, and neither a stray word nor a lost one is
                if removed in (self._text_at(c.start - 1, -1), self._text_at(c.end, 1)):
                    # ``0 0`` or ``x x`` in a list may equally have lost a comma
                    f["dup_rm_word" if WORD.match(removed) else "dup_rm"] = 1.0
                ls = self.text.rfind("\n", 0, c.start) + 1
                le = self.text.find("\n", c.end)
                line = self.text[ls : len(self.text) if le == -1 else le]
                if not (line[: c.start - ls] + line[c.end - ls :]).strip():
                    f["empties_line"] = 1.0
        if c.bonus:
            f["bonus"] = c.bonus
        rest = self.text[c.end :].split("\n", 1)[0].split("#", 1)[0]
        f["hint"] = _hint_bonus(self.err.message, c, at_line_end=not rest.strip(),
                                err_offset=self.err.offset, item_end=rest.strip() == ",")
        opener = re.search(r"opening parenthesis '(.)' on line (\d+)", self.err.message)
        if opener and kind == "insert" and c.text.strip() == CLOSER[opener.group(1)] and (
                int(opener.group(2)) - 1 == la0):
            f["hint"] += 0.5  # most brackets close on the line they open
        dist = c.tok_index - self.e if c.tok_index >= 0 else 1
        f["dist"] = abs(dist)
        if abs(dist) <= 2:
            f[f"dist{abs(dist)}"] = 1.0
        if dist < 0:
            f["before"] = 1.0
        if validation != "compiles":
            f["local_only"] = 1.0
        if kind != "indent":
            self._pair_features(c, f)
        counts, bound = self._binding(c, new)
        f.update((name, value) for name, value in counts.items() if value)  # sparse
        if kind in ("insert", "replace") and c.text.strip() in bound:
            f["ins_bound"] = 1.0
        if kind != "indent":
            self._idiom_features(c, new, f, la0, lb0)
        self._call_features(new[ws : we + delta], ws, rs, re_, delta, f)
        return f

    @functools.cached_property
    def _sites(self) -> tuple[list[CallSite], list[DefSite]]:
        return call_sites(self.toks, self._brackets), def_sites(self.toks, self._brackets)

    def _call_features(self, window: str, ws: int, rs: int, re_: int, delta: int,
                       f: dict[str, float]) -> None:
        """Calls on the edited lines (characters [rs, re_) of the broken text, the
        fixed ``window`` starting at ``ws`` is ``delta`` characters longer) that pass
        a number of arguments the rest of the file never passes the same callee, and
        ``%`` formats whose tuple does not fill their placeholders."""
        got = self._sites_outside.get((rs, re_))
        if got is None:
            calls: dict[str, set[int]] = {}
            defs: dict[str, list[DefSite]] = {}
            for s in self._sites[0]:
                if not rs <= s.start < re_:
                    calls.setdefault(s.callee, set()).add(s.positional)
            for d in self._sites[1]:
                if not rs <= d.start < re_:
                    defs.setdefault(d.name, []).append(d)
            got = self._sites_outside[(rs, re_)] = (calls, defs)
        calls, defs = got
        wt = lex(window)
        match = matching_brackets(wt)
        edited = [s for s in call_sites(wt, match) if rs <= s.start + ws < re_ + delta]
        if bad := site_mismatches(edited, calls):
            f["site_arity"] = float(bad)
        if bad := call_def_mismatches(edited, defs):
            f["def_arity"] = float(bad)
        edited_defs = [d for d in def_sites(wt, match) if rs <= d.start + ws < re_ + delta]
        if bad := def_mismatches(edited_defs, calls):
            f["def_arity"] = f.get("def_arity", 0.0) + bad
        if bad := format_mismatches(wt, rs - ws, re_ + delta - ws, match):
            f["fmt_arity"] = float(bad)

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @functools.cached_property
    def shapes(self) -> dict[str, int]:
        """How many lines of the broken text have each token shape."""
        out: dict[str, int] = {}
        for s in self._shape_of_line.values():
            out[s] = out.get(s, 0) + 1
        return out

    @functools.cached_property
    def _shape_of_line(self) -> dict[int, str]:
        return line_shapes(self.toks)

    def _idiom_features(self, c: Candidate, new: str, f: dict[str, float], la0: int,
                        lb0: int) -> None:
        """Idioms a restored word completes, and whether the edited line takes a shape
        the file writes elsewhere.

        A lost name is often fixed by the line itself: ``self.x = x``, ``x=x``,
        ``values = list(values)``, ``super().__init__`` inside ``__init__``. Among edits the n-gram
        model finds equally likely, the one that recreates a line shape of the file
        (``def N(N, N, N):``, names -> N) is the likelier intent.
        """
        ra = self.line_starts[la0]
        delta = len(c.text) - (c.end - c.start)
        rb = self.line_starts[min(len(self.line_starts) - 1, lb0 + 1)] + delta
        region = lex(new[ra:rb])  # the fixed text of the edited line(s)
        texts = [t.text for t in region]
        lead = len(c.text) - len(c.text.lstrip())
        j = next((k for k, t in enumerate(region) if t.start == c.start - ra + lead), None)
        inserted = c.text.strip()
        if j is not None and inserted and texts[j] == inserted:
            if region[j].kind == "name":
                # ``f(x=x)`` copies a value under its own name; ``def f(x=x)`` would
                # read ``x`` from outside the function when it is defined
                # ``state = state`` alone on its line copies nothing: no mirror
                line = [t.text for t in region if t.line == region[j].line]
                if mirrored(texts, j) and self._bracket_context(c.start) != "def" and not (
                        len(line) == 3 and line[0] == line[2] and line[1] == "="):
                    f["ins_mirror"] = 1.0
                if rebound(texts, j):
                    f["ins_rebind"] = 1.0
                nxt = texts[j + 1] if j + 1 < len(texts) else ""
                if j > 0 and texts[j - 1] == "." and nxt == "(" and (
                        inserted == self._enclosing_def(c.start)):
                    f["ins_defname"] = 1.0
            elif region[j].kind in ("number", "string") and sum(
                    1 for t in region if t.line == region[j].line and t.text == inserted) > 1:
                f["lit_same_line"] = 1.0
        trail = one_line_trailing_commas(region) - self._trailing_commas(la0, lb0)
        if trail:
            f["trail_comma"] = float(trail)
        old_shape = self._shape_of_line.get(la0)
        new_line = [t for t in region if t.line == 0]
        if old_shape is not None and new_line:
            ns = shape(new_line)
            gain = (math.log1p(self.shapes.get(ns, 0))
                    - math.log1p(self.shapes.get(old_shape, 1) - 1))
            if ns != old_shape and gain:
                f["shape_seen"] = gain

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one context per repair
    def _trailing_commas(self, la0: int, lb0: int) -> int:
        """One-line trailing commas on lines ``la0``..``lb0`` of the broken text."""
        a = self.line_starts[la0]
        b = self.line_starts[min(len(self.line_starts) - 1, lb0 + 1)]
        return one_line_trailing_commas(lex(self.text[a:b]))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one context per repair
    def _enclosing_def(self, offset: int) -> str:
        """The name of the innermost ``def`` whose body holds ``offset`` ("" if none)."""
        line = self._line_of(offset)
        lines = self.lines
        cur = lines[line]
        width = len(cur) - len(cur.lstrip(" \t"))
        for i in range(line - 1, -1, -1):
            s = lines[i]
            w = len(s) - len(s.lstrip(" \t"))
            if s.strip() and w < width:
                m = re.match(r"\s*(?:async\s+)?def\s+(\w+)", s)
                if m:
                    return m.group(1)
                if not s.lstrip().startswith(("#", ")", "]", "}")):
                    width = w
                if w == 0:
                    break
        return ""

    @functools.cached_property
    def _grams(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str, str], int]]:
        bi: dict[tuple[str, str], int] = {}
        tri: dict[tuple[str, str, str], int] = {}
        texts = [t.text for t in self.toks]
        for k in range(len(texts) - 1):
            bi[(texts[k], texts[k + 1])] = bi.get((texts[k], texts[k + 1]), 0) + 1
            if k + 2 < len(texts):
                g = (texts[k], texts[k + 1], texts[k + 2])
                tri[g] = tri.get(g, 0) + 1
        return bi, tri

    def _pair_features(self, c: Candidate, f: dict[str, float]) -> None:
        """Does the file write the edit's token between these neighbours elsewhere?

        ``conn.send`` after ``conn.`` on other lines, ``self._headers`` again: the
        concrete bigrams and trigrams the fixed text forms across the edit, counted in
        the file (a deletion joins its two neighbours into one pair).
        """
        bi, tri = self._grams
        k = bisect.bisect_right(self.tok_starts, c.start - 1)  # first token at/after start
        while k > 0 and self.toks[k - 1].end > c.start:
            k -= 1
        left = [t.text for t in self.toks[max(0, k - 2) : k]]
        r = bisect.bisect_left(self.tok_starts, c.end)
        right = [t.text for t in self.toks[r : r + 2]]
        ins = [t.text for t in lex(c.text)]
        seq = [*left, *ins, *right]
        a, b = len(left), len(left) + len(ins)  # the inserted tokens' span in seq
        pairs = [seq[j : j + 2] for j in range(max(0, a - 1), min(len(seq) - 1, b))]
        trips = [seq[j : j + 3] for j in range(max(0, a - 2), min(len(seq) - 2, b))]
        f["pair_seen"] = sum(math.log1p(bi.get((x, y), 0)) for x, y in pairs)
        f["tri_seen"] = sum(math.log1p(tri.get((x, y, z), 0)) for x, y, z in trips)
        # the pairs the edit breaks up: the broken text holds each once right here, so
        # only occurrences beyond that one count
        removed = [t.text for t in lex(self.text[c.start : c.end])]
        old = [*left, *removed, *right]
        a, b = len(left), len(left) + len(removed)
        pairs = [old[j : j + 2] for j in range(max(0, a - 1), min(len(old) - 1, b))]
        f["pair_lost"] = sum(math.log1p(max(0, bi.get((x, y), 0) - 1)) for x, y in pairs)

    def _nearness(self, name: str, at: int) -> float:
        """1 when the name also occurs right next to the edit, falling towards 0 with
        the token distance to its nearest other occurrence (recency: ``host = ...``
        on the line before is the likely lost ``host``)."""
        idx = self.name_at.get(name)
        if not idx:
            return 0.0
        k = bisect.bisect_left(idx, at)
        d = min(abs(idx[j] - at) for j in (k - 1, k) if 0 <= j < len(idx))
        return 1.0 / (1.0 + d / 8.0)

    @functools.cached_property
    def name_at(self) -> dict[str, list[int]]:
        """Token indices of each name in the file (for how near its other uses are)."""
        out: dict[str, list[int]] = {}
        for k, t in enumerate(self.toks):
            if t.kind == "name":
                out.setdefault(t.text, []).append(k)
        return out

    def _binding(self, c: Candidate, new: str) -> tuple[dict[str, float], frozenset[str]]:
        """Names the fixed code reads but never binds, binds but never reads, idle
        expression statements (a bare name or comparison that computes nothing), and
        the names bound in the block or file; also rebound builtins, names defined
        twice in one body and parameters the body never reads.

        ``thread = wrthread()`` binds the ``thread`` that the next line reads;
        ``thread.wrthread()`` leaves it unbound; ``places = 7`` is no idle ``places``.
        Counted on the edited statement block (names bound anywhere in the file count
        as bound) or, for a file small enough to parse per candidate, the whole file.
        Returns the counts by feature name and the names bound.
        """
        elsewhere = self.file_bound  # names the rest of the file binds
        if self.chunk is not None and self.chunk[0] <= c.start and c.end <= self.chunk[1]:
            cs, ce, prefix = self.chunk
            src = prefix + new[cs : ce + len(c.text) - (c.end - c.start)]
            elsewhere = self.visible_bound  # another function's locals are not in scope
        elif len(new) < 20000:
            src = new
            elsewhere = frozenset()  # the whole file is parsed: its bindings are all seen
        else:
            return {}, self.file_bound
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return {}, self.file_bound
        idle = 0
        defs: list[str] = [f"m:{b.name}" for b in tree.body if isinstance(
            b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        loads: set[str] = set()
        stores: set[str] = set()
        bound: set[str] = set()
        args: list[str] = []
        # ``r *= 2`` reads ``r`` before it stores it: it binds nothing new, and it is no
        # use of ``r`` either (``i = 0`` ... ``i += 1`` with nothing else reading ``i``)
        augmented = {id(n.target) for n in ast.walk(tree) if isinstance(n, ast.AugAssign)}
        updated: set[str] = set()
        declared: set[str] = set()  # global or nonlocal: a store is the point, not unused
        chained = 0
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                if id(node) in augmented:
                    updated.add(node.id)
                else:
                    (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
                args.append(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
                # the same name defined twice in one body (a lost def name guessed wrong)
                defs.extend(f"{id(node)}:{b.name}" for b in node.body if isinstance(
                    b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                bound.update(node.names)
                declared.update(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.Assign) and len(node.targets) > 1:
                chained += 1
            elif isinstance(node, ast.Expr) and isinstance(node.value, _IDLE):
                idle += not (isinstance(node.value, ast.Constant)
                             and isinstance(node.value.value, str | type(...)))
        # what fails whenever it runs: counts that cannot fit, literals no operator joins
        arity = runtime_failures(tree)
        # ``self`` counts: ``def __ge__(other):`` with ``self`` in the body lost its self
        read = loads | updated
        unbound = read - stores - bound - elsewhere - _BUILTIN_NAMES
        unused = {n for n in (stores | updated) - loads - declared if not n.startswith("_")}
        # a parameter the body never reads (``isinstance(types.X)`` after deleting the
        # ``object`` argument leaves the ``object`` parameter idle)
        idle_args = sum(1 for a in args if a not in loads and a not in ("self", "cls")
                        and not a.startswith("_"))
        shadow = stores & _BUILTIN_NAMES  # ``list = ...``: rebinding a builtin is rare
        # a name the broken text binds (``def f(a_type typing)``) that the fix leaves
        # unbound lost its binding; other unbound names are mostly module-level names
        # a function shown alone cannot see, and deleting one is no repair
        # (a builtin's name included: ``def f(self, type name)`` minus ``type`` leaves
        # the body's ``type`` reading the builtin)
        lost = (read - stores - bound - elsewhere) & (self.file_bound | self.param_names)
        counts = {
            # a bare name the broken text reads and never binds is as unbound after an
            # edit that deletes its only use as before: deleting it repairs nothing
            # (``f(file lnum)``); binding it does (``def f(self, c, typeid)``)
            "unbound": float(len(unbound - lost) + len(self._reads_dropped(c))),
            "unbound_lost": float(len(lost)),
            # ``def __ge__(self other)`` minus ``self``: never a module-level name
            "unbound_self": float(bool(unbound & {"self", "cls"})),
            "unused": float(len(unused)),
            "idle_expr": float(idle),
            "shadow": float(len(shadow)),
            "dup_def": float(len(defs) - len(set(defs))),
            "unused_arg": float(idle_args),
            "arity": float(arity),
            "early_read": float(use_before_bind(tree)),
            # ``q = r = divmod(a, b)``: one value assigned in a chain. In 2,174
            # site-packages files, 384 of 95,585 assignments chain; two names unpacked
            # (``q, r = ...``) are 23 times as common as two names chained (3,107 to
            # 133), so ``q r = ...`` lost a comma, not an ``=``
            "chained": float(chained),
        }
        return counts, frozenset(stores | updated | bound) | self.file_bound

    @functools.cached_property
    def fine_roles(self) -> dict[tuple[str, str], int]:
        """How often each name occurs in each :func:`fine_role` in the broken text."""
        out: dict[tuple[str, str], int] = {}
        for k, t in enumerate(self.toks):
            if t.kind == "name":
                prev = self.toks[k - 1].text if k else ""
                nxt = self.toks[k + 1].text if k + 1 < len(self.toks) else ""
                key = (t.text, fine_role(prev, nxt))
                out[key] = out.get(key, 0) + 1
        return out

    def _text_at(self, offset: int, direction: int) -> str:
        """The token ending at/before ``offset`` (direction -1) or starting at/after it
        (+1), skipping whitespace; "" at the text's ends."""
        if direction < 0:
            k = bisect.bisect_right(self.tok_starts, offset) - 1
            while k >= 0 and self.toks[k].end > offset + 1:
                k -= 1
            return self.toks[k].text if k >= 0 else ""
        k = bisect.bisect_left(self.tok_starts, offset)
        return self.toks[k].text if k < len(self.toks) else ""

    def _bracket_context(self, pos: int) -> str | None:
        """What the innermost bracket open at character ``pos`` holds (see
        :func:`enclosing_bracket`)."""
        return enclosing_bracket(self.toks, bisect.bisect_left(self.tok_starts, pos) - 1,
                                 BRACKET_REACH)

    def _neighbour_roles(self, c: Candidate) -> float:
        """How much better the names right beside the edit fit their new roles.

        Deleting ``util`` from ``connection util .answer`` makes ``connection`` an
        object whose attribute is taken, as it is elsewhere in the file; deleting
        ``connection`` makes ``util`` one, which it never is elsewhere. Each
        neighbour scores log1p(uses elsewhere in the new role) minus the same in its
        old role.
        """
        k = bisect.bisect_right(self.tok_starts, c.start - 1)
        while k > 0 and self.toks[k - 1].end > c.start:
            k -= 1
        left = k - 1  # the token before the edit
        right = bisect.bisect_left(self.tok_starts, c.end)  # the token after it
        ins = [t.text for t in lex(c.text)]
        roles = self.fine_roles

        def text(j: int) -> str:
            return self.toks[j].text if 0 <= j < len(self.toks) else ""

        gain = 0.0
        for j, prev_new, next_new in (
                (left, text(left - 1), ins[0] if ins else text(right)),
                (right, ins[-1] if ins else text(left), text(right + 1))):
            if not 0 <= j < len(self.toks) or self.toks[j].kind != "name":
                continue
            name = self.toks[j].text
            old = fine_role(text(j - 1), text(j + 1))
            new = fine_role(prev_new, next_new)
            if new != old:
                gain += (math.log1p(roles.get((name, new), 0))
                         - math.log1p(roles.get((name, old), 1) - 1))
        return gain

    def _same_line(self, name: str, offset: int) -> int:
        """Occurrences of ``name`` on the line of ``offset`` (``self.x = x``)."""
        line = self._line_of(offset)
        a, b = self.line_starts[line], self.line_starts[line + 1]
        lo, hi = bisect.bisect_left(self.tok_starts, a), bisect.bisect_left(self.tok_starts, b)
        return sum(1 for t in self.toks[lo:hi] if t.text == name)

    @functools.cached_property
    def file_bound(self) -> frozenset[str]:
        """Names the whole file binds somewhere (cheap token scan)."""
        return frozenset(self.toks[k].text for k in self._binding_indices)

    @functools.cached_property
    def _binding_indices(self) -> frozenset[int]:
        return binding_indices(self.toks)

    def _reads_dropped(self, c: Candidate) -> set[str]:
        """Names in :attr:`bare_unbound` whose every use candidate ``c`` deletes."""
        removed = Counter(t.text for t in lex(self.text[c.start : c.end]) if t.kind == "name")
        kept = {t.text for t in lex(c.text) if t.kind == "name"}
        return {n for n, k in removed.items() if n in self.bare_unbound
                and self.counts.get(n, 0) <= k and n not in kept}

    @functools.cached_property
    def bare_unbound(self) -> frozenset[str]:
        """Bare names the broken text reads and never binds (module-level names a
        function shown alone cannot see, or names it never defined)."""
        bare = {name for name, role in name_roles(self.toks) if role == "bare"}
        return frozenset(bare - self.file_bound - self.param_names)

    @functools.cached_property
    def visible_bound(self) -> frozenset[str]:
        """Names bound where the edited block can see them: by module-level statements,
        ``global`` declarations, and statements enclosing the block (less indented, in
        the same top-level block, before it). ``m`` bound in another function is no
        binding of the ``m`` this block reads, and a parameter the broken block binds
        (``def f(value script=False)``) is no binding of a fix that drops it."""
        assert self.chunk is not None
        cs, ce, _prefix = self.chunk
        chunk_line = self.text.count("\n", 0, cs)
        chunk_indent = len(self.text[cs:].split("\n", 1)[0]) - len(
            self.text[cs:].split("\n", 1)[0].lstrip(" \t"))
        out: set[str] = set()
        depth = 0
        stmt_indent = 0  # indentation of the statement the token belongs to
        top_start = 0  # line of the current top-level statement
        last_line = -1
        for k, t in enumerate(self.toks):
            if t.line != last_line and depth == 0:
                stmt_indent = t.start - self.line_starts[t.line]
                if stmt_indent == 0:
                    top_start = t.line
            last_line = t.line
            if t.kind == "op" and t.text in "([{":
                depth += 1
            elif t.kind == "op" and t.text in ")]}":
                depth = max(0, depth - 1)
            if cs <= t.start < ce or k not in self._binding_indices:
                continue  # the block's own bindings are read from each fixed text
            enclosing = (stmt_indent < chunk_indent and t.line < chunk_line
                         and top_start <= chunk_line)
            if stmt_indent == 0 or self.toks[k - 1].text == "global" or enclosing:
                out.add(t.text)
        return frozenset(out)

    @functools.cached_property
    def param_names(self) -> frozenset[str]:
        """Names standing as parameters in the file's ``def`` lines."""
        return parameter_names(self.toks, self._brackets)

    @functools.cached_property
    def _brackets(self) -> dict[int, int]:
        return matching_brackets(self.toks)

    @functools.cached_property
    def _role_counts(self) -> tuple[list[int], list[tuple[str, str]],
                                    dict[tuple[str, str], int], dict[str, int]]:
        idx = [k for k, t in enumerate(self.toks) if t.kind == "name"]
        roles = name_roles(self.toks)
        by_role: dict[tuple[str, str], int] = {}
        by_name: dict[str, int] = {}
        for name, role in roles:
            by_role[(name, role)] = by_role.get((name, role), 0) + 1
            by_name[name] = by_name.get(name, 0) + 1
        return idx, roles, by_role, by_name

    def toks_outside(self, ws: int, we: int) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """How often each (name, role) and name occurs outside characters [ws, we)."""
        got = self._outside.get((ws, we))
        if got is not None:
            return got
        idx, roles, by_role, by_name = self._role_counts
        starts = self.tok_starts
        a, b = bisect.bisect_left(starts, ws), bisect.bisect_left(starts, we)
        out_r, out_n = dict(by_role), dict(by_name)
        for j in range(bisect.bisect_left(idx, a), bisect.bisect_left(idx, b)):
            name, role = roles[j]
            out_r[(name, role)] -= 1
            out_n[name] -= 1
        self._outside[(ws, we)] = (out_r, out_n)
        return out_r, out_n
