"""A forgiving Python lexer and a small token n-gram prior.

Why not :mod:`tokenize`: code with a syntax error is exactly what we lex here, and
``tokenize`` stops at the first unterminated string or unbalanced bracket. This
lexer never fails: it returns every token with its character offsets, so the
syntax-fix search can insert, delete or replace tokens anywhere.

The n-gram prior scores *abstract* token sequences (keywords and operators as
themselves, identifiers as ``NAME``...). Trained once on standard-library code
(``scripts`` below, counts shipped as package data), it tells ``foo(a, b)`` from
``foo(a), b`` without a language model, and the completion engine's score refines it
when available.
"""

from __future__ import annotations

import functools
import json
import keyword
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL_WEIGHT = 0.3  # share of the file's own (cache) model in LocalModel
NGRAM_FILE = Path(__file__).with_name("data") / "token_ngrams.json"

_STRING = r"""(?:[rRbBuUfF]{0,2})(?:'''(?:\\.|'(?!'')|[^'\\])*(?:'''|$)|\"\"\"(?:\\.|"(?!"")|[^"\\])*(?:\"\"\"|$)|'(?:\\.|[^'\\\n])*(?:'|(?=\n)|$)|"(?:\\.|[^"\\\n])*(?:"|(?=\n)|$))"""  # noqa: E501
_TOKEN_RE = re.compile(
    r"(?P<comment>\#[^\n]*)"
    r"|(?P<newline>\\?\r?\n)"
    r"|(?P<ws>[ \t\f]+)"
    rf"|(?P<string>{_STRING})"
    r"|(?P<number>(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?))"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*=|//=|>>=|<<=|\.\.\.|->|:=|==|!=|<=|>=|\*\*|//|<<|>>|[-+*/%&|^@]=|[-+*/%&|^~<>=.,:;@()\[\]{}])"
    r"|(?P<other>\S)",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name | number | string | op | keyword | other
    text: str
    start: int  # character offset in the source
    end: int
    line: int  # 0-based line of ``start``

    @property
    def abstract(self) -> str:
        if self.kind == "keyword" or self.kind == "op":
            return self.text
        if self.kind == "name":
            return "self" if self.text == "self" else "NAME"
        if self.kind == "string":
            return "STRING"
        if self.kind == "number":
            return "NUMBER"
        return "OTHER"


def lex(text: str) -> list[Token]:
    """All tokens except whitespace, comments and newlines (those are layout)."""
    tokens: list[Token] = []
    line = 0
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        s = m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "newline":
            line += 1
            continue
        if kind == "name" and keyword.iskeyword(s):
            kind = "keyword"
        tokens.append(Token(kind, s, m.start(), m.end(), line))
        line += s.count("\n")
    return tokens


def abstract_stream(text: str, common: frozenset[str] | None = None) -> list[str]:
    """Abstract tokens with layout (NEWLINE/INDENT/DEDENT) from line structure.

    Identifiers are ``NAME`` unless they are among the prior's common names (``self``,
    ``len``, ``append``...), which keep their text.
    """
    return [a for a, _ in token_stream(text, common)]


def token_stream(text: str, common: frozenset[str] | None = None,
                 indents: list[int] | None = None) -> list[tuple[str, str]]:
    """(abstract, concrete) tokens with layout (NEWLINE/INDENT/DEDENT).

    Brackets suppress NEWLINE like Python does, so continuation lines do not look like
    new statements. String literals are concrete ``STRING`` (their content is noise
    for a token model). ``indents``: the enclosing blocks' indentation widths where
    ``text`` starts inside a file (so a dedent by two levels shows as two DEDENTs).
    """
    if common is None:
        common = default_prior().common
    out: list[tuple[str, str]] = []
    depth = 0
    indents = list(indents or [0])
    last_line = -1
    lines = text.split("\n")
    for tok in lex(text):
        if tok.line != last_line and depth == 0:
            if last_line >= 0:
                out.append(("NEWLINE", "NEWLINE"))
            src = lines[tok.line] if tok.line < len(lines) else ""
            width = len(src) - len(src.lstrip(" \t"))
            if width > indents[-1]:
                indents.append(width)
                out.append(("INDENT", "INDENT"))
            else:
                while width < indents[-1]:
                    indents.pop()
                    out.append(("DEDENT", "DEDENT"))
        last_line = tok.line + tok.text.count("\n")
        if tok.text in "([{" and tok.kind == "op":
            depth += 1
        elif tok.text in ")]}" and tok.kind == "op":
            depth = max(0, depth - 1)
        a = tok.abstract
        if a == "NAME" and tok.text in common:
            a = tok.text
        out.append((a, "STRING" if a == "STRING" else tok.text))
    out.append(("NEWLINE", "NEWLINE"))
    return out


class LocalModel:
    """A cache language model of the file itself, backed off to the abstract prior.

    Code is repetitive: the file around an error is the best evidence of what the
    author writes (names, call shapes). Mixing a concrete trigram of the file with
    the abstract prior (times the file's frequency of the concrete token within its
    class) gives a cheap, offline stand-in for a code language model.
    """

    def __init__(self, text: str, prior: NgramPrior) -> None:
        self.prior = prior
        self.uni: dict[str, int] = {}
        self.bi: dict[tuple[str, str], int] = {}
        self.tri: dict[tuple[str, str, str], int] = {}
        self.ctx1: dict[str, int] = {}
        self.ctx2: dict[tuple[str, str], int] = {}
        self.cls: dict[str, int] = {}
        self.abs_of: dict[str, str] = {}
        stream = token_stream(text)
        seq = [("NEWLINE", "NEWLINE"), *stream]
        for i, (a, w) in enumerate(seq):
            self.uni[w] = self.uni.get(w, 0) + 1
            self.cls[a] = self.cls.get(a, 0) + 1
            self.abs_of[w] = a
            if i >= 1:
                u = seq[i - 1][1]
                self.bi[(u, w)] = self.bi.get((u, w), 0) + 1
                self.ctx1[u] = self.ctx1.get(u, 0) + 1
            if i >= 2:
                uv = (seq[i - 2][1], seq[i - 1][1])
                self.tri[(*uv, w)] = self.tri.get((*uv, w), 0) + 1
                self.ctx2[uv] = self.ctx2.get(uv, 0) + 1
        self.total = max(1, len(seq))

    def logprob(self, seq: list[tuple[str, str]]) -> float:
        return sum(self.logprobs(seq))

    def logprobs(self, seq: list[tuple[str, str]]) -> list[float]:
        """Log-probability of each token given the ones before it."""
        out: list[float] = []
        p_abs_all = self.prior
        for i, (a, w) in enumerate(seq):
            # abstract prior for the class, times the file's share of w within it
            pa = _prior_prob(p_abs_all, [x for x, _ in seq[max(0, i - 3) : i + 1]])
            if a in ("NAME", "NUMBER"):
                share = (self.uni.get(w, 0) + 0.2) / (self.cls.get(a, 0) + 2.0)
            else:
                share = 1.0
            p = (1 - LOCAL_WEIGHT) * pa * share
            c1 = self.uni.get(w, 0)
            pc = 0.05 * c1 / self.total
            if i >= 1:
                u = seq[i - 1][1]
                n = self.ctx1.get(u, 0)
                if n:
                    pc += 0.3 * self.bi.get((u, w), 0) / n
            if i >= 2:
                uv = (seq[i - 2][1], seq[i - 1][1])
                n = self.ctx2.get(uv, 0)
                if n:
                    pc += 0.65 * self.tri.get((*uv, w), 0) / n
            p += LOCAL_WEIGHT * pc
            out.append(math.log(p + 1e-9))
        return out


_ORDERS = ((2, 0.6), (3, 0.6), (4, 0.5))  # (n, weight of the n-gram estimate) mixed in


def _prior_prob(prior: NgramPrior, ctx: list[str]) -> float:
    """P(last | previous <= 3) under the abstract prior (not in log space).

    Recursive interpolation: each order with a seen context mixes its relative
    frequency with the next lower order, so an unseen 4-gram context falls back to
    the trigram estimate instead of to the unigram.
    """
    w = ctx[-1]
    p = 0.1 / prior.vocab + 0.9 * prior.uni.get(w, 0) / prior.total
    for n, lam in _ORDERS:
        if len(ctx) < n:
            break
        h = " ".join(ctx[-n:-1])
        c = prior.ctx[n].get(h, 0)
        if c:
            p = lam * prior.grams[n].get(f"{h} {w}", 0) / c + (1 - lam) * p
    return p


class NgramPrior:
    """Interpolated 4-gram model over abstract tokens (log-probabilities, natural log)."""

    def __init__(self, counts: dict[str, Any]) -> None:
        self.uni: dict[str, int] = counts.get("1", {})
        self.grams: dict[int, dict[str, int]] = {n: counts.get(str(n), {}) for n in (2, 3, 4)}
        self.ctx: dict[int, dict[str, int]] = {n: {} for n in (2, 3, 4)}
        for n, table in self.grams.items():
            hist = self.ctx[n]
            for k, c in table.items():
                h = k.rsplit(" ", 1)[0]
                hist[h] = hist.get(h, 0) + c
        self.total = max(1, sum(self.uni.values()))
        self.vocab = max(1, len(self.uni))
        self.common: frozenset[str] = frozenset(counts.get("common", []))

    def logprob(self, seq: list[str]) -> float:
        return sum(math.log(_prior_prob(self, seq[max(0, i - 3) : i + 1]))
                   for i in range(len(seq)))

    def probs_after(self, history: Sequence[str], words: Iterable[str]) -> list[float]:
        """``P(w | history)`` for each of ``words``, as :func:`_prior_prob` gives it
        for ``[*history, w]`` (the same floats), with the history's contexts looked up
        once instead of per word: ranking the ~1,700 common names at one position costs
        a dict lookup per order and word."""
        levels = []
        for n, lam in _ORDERS:
            if len(history) + 1 < n:
                break
            h = " ".join(history[len(history) - n + 1 :])
            c = self.ctx[n].get(h, 0)
            if c:
                levels.append((lam, h + " ", c, self.grams[n]))
        floor, uni, total = 0.1 / self.vocab, self.uni, self.total
        out = []
        for w in words:
            p = floor + 0.9 * uni.get(w, 0) / total
            for lam, h, c, table in levels:
                p = lam * table.get(h + w, 0) / c + (1 - lam) * p
            out.append(p)
        return out

    def probs_before(self, left: Sequence[str], words: Iterable[str],
                     nxt: str) -> list[float]:
        """``P(nxt | [*left[-2:], w])`` for each of ``words`` (as :func:`_prior_prob`
        gives it, the same floats): how well each candidate word leads into the token
        after it."""
        left = list(left[-2:])
        prefixes = [""] + [" ".join(left[len(left) - k :]) + " " for k in (1, 2)
                           if len(left) >= k]
        base = 0.1 / self.vocab + 0.9 * self.uni.get(nxt, 0) / self.total
        out = []
        for w in words:
            p = base
            for (n, lam), pre in zip(_ORDERS, prefixes, strict=False):
                h = pre + w
                c = self.ctx[n].get(h, 0)
                if c:
                    p = lam * self.grams[n].get(h + " " + nxt, 0) / c + (1 - lam) * p
            out.append(p)
        return out


def train_counts(texts: Iterable[str], min_count: int = 2,
                 common_min: int = 40) -> dict[str, Any]:
    """Counts for :class:`NgramPrior` from well-formed source files.

    Identifiers seen at least ``common_min`` times keep their text (they carry
    grammar-like regularities: ``self.``, ``len(``, ``.append(``); the rest are NAME.
    """
    texts = list(texts)
    freq: dict[str, int] = {}
    for text in texts:
        for tok in lex(text):
            if tok.kind == "name":
                freq[tok.text] = freq.get(tok.text, 0) + 1
    common = frozenset(k for k, v in freq.items() if v >= common_min)
    uni: dict[str, int] = {}
    bi: dict[str, int] = {}
    tri: dict[str, int] = {}
    quad: dict[str, int] = {}
    for text in texts:
        stream = abstract_stream(text, common)
        seq = ["NEWLINE", *stream]
        for i, w in enumerate(seq):
            uni[w] = uni.get(w, 0) + 1
            if i >= 1:
                k = f"{seq[i - 1]} {w}"
                bi[k] = bi.get(k, 0) + 1
            if i >= 2:
                k = f"{seq[i - 2]} {seq[i - 1]} {w}"
                tri[k] = tri.get(k, 0) + 1
            if i >= 3:
                k = " ".join(seq[i - 3 : i + 1])
                quad[k] = quad.get(k, 0) + 1
    return {
        "common": sorted(common),
        "1": uni,
        "2": {k: v for k, v in bi.items() if v >= min_count},
        "3": {k: v for k, v in tri.items() if v >= min_count},
        "4": {k: v for k, v in quad.items() if v >= min_count},
    }


@functools.cache
def default_prior() -> NgramPrior:
    """The shipped prior (empty, i.e. uniform, if the data file is missing); loaded
    once per process, on first use."""
    try:
        counts = json.loads(NGRAM_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        counts = {}
    return NgramPrior(counts)


def stdlib_files(half: int) -> list[Path]:
    """Standard-library modules split in two halves by a stable hash of their name.

    Half 0 trains the shipped prior; half 1 is kept for evaluating syntax repair, so
    the benchmark never scores code the prior was trained on.
    """
    import sysconfig
    import zlib

    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    skip = {"test", "tests", "idlelib", "lib2to3", "site-packages", "dist-packages"}
    for p in sorted(root.rglob("*.py")):
        if skip & set(p.relative_to(root).parts):
            continue
        if zlib.crc32(p.name.encode()) % 2 == half:
            out.append(p)
    return out


def site_files(half: int, limit: int | None = None) -> list[Path]:
    """Third-party modules installed next to tact (not tact, not tests), one half by
    a stable hash of the file name, in a stable pseudo-random order (a spread over
    all packages). Half 0 adds to the prior's training code; half 1 trains the
    syntax-repair ranker (``benchmarks/train_syntax_ranker.py``)."""
    import sysconfig
    import zlib

    root = Path(sysconfig.get_paths()["purelib"])
    out = []
    for p in sorted(root.rglob("*.py")):
        parts = set(p.relative_to(root).parts)
        if parts & {"tact", "tests", "test", "_vendor", "__pycache__"}:
            continue
        if p.stat().st_size > 200_000 or zlib.crc32(p.name.encode()) % 2 != half:
            continue
        out.append(p)
    out.sort(key=lambda p: zlib.crc32(str(p.relative_to(root)).encode()))
    return out[:limit]


def _train_main() -> None:
    """``python -m tact.server.fixes.lexer [--site N]`` regenerates the shipped counts
    (the stdlib's half 0, plus N third-party modules of half 0 with ``--site``)."""
    import sys

    files = stdlib_files(0)
    if "--site" in sys.argv:
        files += site_files(0, int(sys.argv[sys.argv.index("--site") + 1]))
    texts = []
    for p in files:
        try:
            texts.append(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    min_count = 2 if "--site" not in sys.argv else 3
    counts = train_counts(texts, min_count=min_count, common_min=40)
    out = NGRAM_FILE
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(counts, separators=(",", ":"), sort_keys=True))
    print(f"trained on {len(texts)} files -> {out} ({len(counts['3'])} trigrams)")


if __name__ == "__main__":
    _train_main()
