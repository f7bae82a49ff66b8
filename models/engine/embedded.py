"""The embedded completion engine: a token n-gram model of the workspace's own code.

How it predicts: per language, one n-gram model (order 6, count-dependent absolute
discounting, ``ngram.py``) counts every indexed file and every open document; each
recently edited document also has its own cache model (order 8: code repeats itself
within a file far more than across files). The next-token probability mixes the two,
the cache weighted by how much evidence it has for the current context. A suggestion is
the most probable token sequence (a width-3 beam for the current line, greedy for the
lines of a block) from the cursor (completing a partly typed word) to the end of the
line, or a few lines when the line opens a block (ends in ":" outside brackets, "{",
"(" ...). Decoding never closes a bracket that is not open, stops before
closing text the editor already shows after the cursor, and stops where a token is less
likely than ``min_next_prob``; no suggestion at all when the first token is less likely
than ``min_first_prob``, inside a string or comment, or in the middle of a line's text.

How it updates as files change: ``update_document`` diffs the new text against the last
version, re-tokenises only the changed lines and subtracts/adds the n-grams that
overlap them (``documents.Document.update``), so a keystroke costs about a millisecond
even in a 5,000-line file; the first update of a file replaces its copy from disk (the
editor's text wins); ``complete`` tokenises only a bounded window of lines before the
cursor. One lock guards the counts: ``complete`` may run in a worker thread while
updates arrive from another; ``index_paths`` tokenises outside the lock and counts in
chunks, so requests interleave with indexing.
"""

from __future__ import annotations

import gc
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from tact.models import syntax
from tact.models.engine.documents import Document, flat_with_padding, segment_text
from tact.models.engine.ngram import BOS, NgramCounts, Table, probability
from tact.models.engine.provider import Candidate, CompletionRequest

_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        "target",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        "dist",
        "build",
    }
)
_INDEX_CHUNK = 4096  # tokens counted per lock hold while indexing
_BLOCK_OPENERS = (":", "{", "(", "[", "=>")
_IN_TEXT_NODES = frozenset(
    {
        "comment",
        "line_comment",
        "block_comment",
        "string_content",
        "string_fragment",
        "escape_sequence",
    }
)
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def model_key(language: str) -> str:
    """TSX shares TypeScript's statistics: the code around the JSX is the same."""
    return "typescript" if language == "tsx" else language


def document_key(uri: str) -> str:
    """One key per file whether it came from disk (a path) or the editor (a file URI)."""
    if uri.startswith("file:"):
        return os.path.normpath(unquote(urlparse(uri).path))
    if uri.startswith("/") or (len(uri) > 2 and uri[1] == ":"):
        return os.path.normpath(uri)
    return uri


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Knobs of the search; defaults chosen on held-out library code (see report)."""

    discounts: tuple[float, float, float] = (0.6, 1.0, 1.3)  # for counts 1, 2, 3+
    local_strength: float = 3.0  # pseudo-count: local weight = n / (n + strength)
    min_first_prob: float = 0.20  # decline when the first token is less likely than this
    min_next_prob: float = 0.15  # stop extending where a token is less likely than this
    # Stricter options (off by default): they raise precision but cut characters saved,
    # and the acceptance gate downstream is the better judge of what to show.
    min_line_prob: float = 0.0  # decline when the first line's joint probability is lower
    whole_lines: bool = False  # decline unless the suggestion reaches the line's end
    max_tokens: int = 48
    beam_width: int = 3  # > 1: the first line is the best of a small beam, not greedy
    max_chars: int = 240
    window_lines: int = 12  # lines before the cursor tokenised per request
    window_chars: int = 1500


class EmbeddedProvider:
    """Statistical completion engine implementing ``CompletionProvider``."""

    name = "embedded"

    def __init__(
        self,
        max_order: int = 6,
        local_order: int = 8,
        settings: EngineSettings | None = None,
        max_index_bytes: int = 8_000_000,
        max_file_bytes: int = 1_000_000,
        max_local_models: int = 16,
    ) -> None:
        self.order = max_order
        self.local_order = local_order
        # Documents pad and slice with the longer of the two orders.
        self.doc_order = max(max_order, local_order)
        self.settings = settings or EngineSettings()
        self.max_index_bytes = max_index_bytes
        self.max_file_bytes = max_file_bytes
        self.max_local_models = max_local_models
        self._lock = threading.RLock()
        self._models: dict[str, NgramCounts] = {}
        self._docs: dict[str, Document] = {}  # every counted document, by key
        # Open documents' own (cache) models, most recently edited last. Only the
        # latest few are kept: a replay or a long session opens hundreds of files.
        self._local: OrderedDict[str, NgramCounts] = OrderedDict()
        self._indexed_bytes = 0

    # ------------------------------------------------------------------ learning

    def _model(self, language: str) -> NgramCounts:
        key = model_key(language)
        model = self._models.get(key)
        if model is None:
            model = self._models[key] = NgramCounts(self.order)
        return model

    def _counters(self, key: str, language: str) -> list:
        counters = [self._model(language).update]
        local = self._local.get(key)
        if local is not None:
            counters.append(local.update)
        return counters

    def update_document(self, uri: str, language: str, text: str) -> None:
        """Learn an open document's current text (cheap on every keystroke: only the
        changed lines are recounted). An unsupported language forgets the document."""
        lang = syntax.language_for(language, uri)
        key = document_key(uri)
        with self._lock:
            doc = self._docs.get(key)
            if lang is None:
                if doc is not None:
                    self._forget(key)
                return
            if doc is not None and model_key(doc.language) != model_key(lang):
                self._forget(key)
                doc = None
            if key not in self._local:
                # First edit of a document: it becomes open, with its own cache model.
                if doc is not None:
                    doc.remove(self._counters(key, doc.language))
                self._local[key] = NgramCounts(self.local_order)
            else:
                self._local.move_to_end(key)
            while len(self._local) > self.max_local_models:
                # The evicted document stays in the language model; if it is edited
                # again it is recounted from scratch with a fresh cache model.
                self._local.popitem(last=False)
            if doc is None:
                doc = self._docs[key] = Document(key, lang, self.doc_order)
            doc.language = lang
            doc.update(text, self._counters(key, lang))

    def remove_document(self, uri: str) -> None:
        """Forget a document entirely (its counts leave the language model too)."""
        with self._lock:
            self._forget(document_key(uri))

    def _forget(self, key: str) -> None:
        doc = self._docs.pop(key, None)
        if doc is not None:
            doc.remove(self._counters(key, doc.language))
        self._local.pop(key, None)

    def index_paths(self, paths: Iterable[Path], languages: Iterable[str] | None = None) -> int:
        """Learn from files on disk (folders are walked, skipping VCS, virtualenv,
        build and dependency folders). Returns how many files were indexed.

        Files already open in the editor are left to ``update_document``. Indexing
        stops at ``max_index_bytes`` in total so a huge tree cannot exhaust memory.
        """
        wanted = (
            {model_key(syntax.language_for(x) or x) for x in languages}
            if languages is not None
            else None
        )
        count = 0
        for path in _walk(paths):
            lang = syntax.language_for(None, str(path))
            if lang is None or (wanted is not None and model_key(lang) not in wanted):
                continue
            try:
                size = path.stat().st_size
                if size > self.max_file_bytes:
                    continue
                if self._indexed_bytes + size > self.max_index_bytes:
                    break
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            key = document_key(str(path))
            if self._index_text(key, lang, text):
                self._indexed_bytes += size
                count += 1
        # Millions of long-lived count objects would make every full garbage collection
        # (a 20+ ms pause, i.e. a latency spike in some later request) walk them all:
        # move what exists now out of the collector's sight.
        gc.freeze()
        return count

    def _index_text(self, key: str, language: str, text: str) -> bool:
        """Count one file from disk. Tokenising runs outside the lock and counting in
        chunks, so a completion request never waits behind a whole big file."""
        with self._lock:
            if key in self._local:
                return False  # open in the editor: its live text wins
        segments = segment_text(text, language)
        seq = flat_with_padding(segments, self.order)
        k = self.order - 1
        with self._lock:
            model = self._model(language)
            old = self._docs.pop(key, None)
            if old is not None:
                old.remove(self._counters(key, old.language))
        for start in range(k, len(seq), _INDEX_CHUNK):
            with self._lock:
                model.update(seq[start - k : start + _INDEX_CHUNK], k, +1)
        with self._lock:
            if key in self._local or key in self._docs:
                model.update(seq, k, -1)  # opened or re-indexed meanwhile: undo ours
                return False
            doc = self._docs[key] = Document(key, language, self.doc_order)
            doc.text, doc.segments = text, segments
        return True

    # ------------------------------------------------------------------ scoring

    def score_text(self, text: str, language: str) -> float:
        """Mean natural-log probability per token of a snippet under the language model
        (higher = more like the workspace's code). -inf for an unsupported language,
        0.0 for text without tokens."""
        lang = syntax.language_for(language)
        if lang is None:
            return float("-inf")
        tokens = syntax.tokenize(text, lang)
        if not tokens:
            return 0.0
        with self._lock:
            model = self._models.get(model_key(lang))
            if model is None:
                model = NgramCounts(self.order)
            base = 1.0 / (model.vocabulary_size() + 2)
            seq = [BOS] * (self.order - 1) + tokens
            total = 0.0
            for i in range(self.order - 1, len(seq)):
                chain = model.chain(seq[i - self.order + 1 : i])
                p = probability(chain, seq[i], self.settings.discounts, base)
                total += math.log(max(p, 1e-12))
        return total / len(tokens)

    # ------------------------------------------------------------------ completion

    def complete(self, request: CompletionRequest, max_candidates: int = 1) -> list[Candidate]:
        """Best continuations first; [] when unsupported, inside a comment or string,
        in the middle of a line's text, or when the model is not confident."""
        lang = syntax.language_for(request.language, request.uri)
        if lang is None or max_candidates < 1:
            return []
        line_suffix = request.suffix.split("\n", 1)[0]
        closing = line_suffix.strip()
        if closing and any(ch not in ")]}'\";:, " for ch in closing):
            return []  # mid-line insertion: not this engine's job
        ctx = _Context.build(request.prefix, lang, self.settings, self.doc_order - 1)
        if ctx is None:
            return []
        with self._lock:
            model = self._models.get(model_key(lang))
            if model is None or not len(model):
                return []
            local = self._local.get(document_key(request.uri))
            search = _Search(self, model, local, ctx, request.max_lines, closing)
            found = search.run(max_candidates)
        return found

    def context_stats(self, request: CompletionRequest) -> dict[str, float]:
        """Cheap evidence, before generating, of whether a confident suggestion will
        come (for the gate's stage 1): the n-gram order and context counts reached at
        the cursor in the workspace and document models, the document model's share,
        and the best first token's probability and margin. Tokenises only the bounded
        window ``complete`` uses and scores one next-token distribution (no search).
        ``has_stats`` = 0 (and zeros) where ``complete`` would decline up front."""
        out = dict.fromkeys(CONTEXT_STAT_KEYS, 0.0)
        lang = syntax.language_for(request.language, request.uri)
        if lang is None:
            return out
        closing = request.suffix.split("\n", 1)[0].strip()
        if closing and any(ch not in ")]}'\";:, " for ch in closing):
            return out
        ctx = _Context.build(request.prefix, lang, self.settings, self.doc_order - 1)
        if ctx is None:
            return out
        with self._lock:
            model = self._models.get(model_key(lang))
            if model is None or not len(model):
                return out
            local = self._local.get(document_key(request.uri))
            search = _Search(self, model, local, ctx, request.max_lines, closing)
            history = list(ctx.tokens)
            signals = search._context_signals(history)
            first = [
                (p, t)
                for p, t in search._distribution(history, ctx.partial)
                if _fits(ctx.stack, t)
            ]
            roll = _rollout(search, history, first, ctx.stack)
        top = first[0][0] if first else 0.0
        runner = first[1][0] if len(first) > 1 else 0.0
        out.update(signals)
        out.update(roll)
        out["has_stats"] = 1.0
        out["top_prob"] = top
        out["top_margin"] = top - runner
        out["top_newline"] = 1.0 if first and first[0][1].startswith("\n") else 0.0
        out["candidates"] = float(len(first))
        out["top_entropy"] = _entropy(first)
        return out


# Keys of ``EmbeddedProvider.context_stats`` (the gate's ``ctx_eng_*`` features).
CONTEXT_STAT_KEYS = (
    "has_stats",
    "global_order",
    "local_order",
    "global_context_count",
    "local_context_count",
    "local_share",
    "partial_chars",
    "top_prob",
    "top_margin",
    "top_newline",
    "candidates",
    "roll_tokens",
    "roll_chars",
    "roll_min_prob",
    "roll_eol",
    "roll_logprob",
    "roll_margin",
    # v8: the first token's entropy, and the look-ahead's evidence (``_support``)
    "top_entropy",
    "roll_path_min_depth",
    "roll_path_mean_depth",
    "roll_path_local_seen",
    "roll_path_global_min_prob",
    "roll_path_local_min_prob",
    "roll_path_global_top",
    "roll_path_local_top",
    "roll_end_eol_prob",
)
_ROLLOUT_TOKENS = 6
_ROLL_PATH_KEYS = ("path_min_depth", "path_mean_depth", "path_local_seen",
                   "path_global_min_prob", "path_local_min_prob", "path_global_top",
                   "path_local_top", "end_eol_prob")


def _rollout(
    search: _Search, history: list[str], first: list[tuple[float, str]], stack: list[str]
) -> dict[str, float]:
    """A short greedy look-ahead from the best first token (at most ``_ROLLOUT_TOKENS``,
    no beam): how far the engine stays confident and whether it reaches the line's
    end -- the length and least token probability a suggestion would have, the
    strongest stage-2 signals, for a fraction of the search's cost."""
    if not first or first[0][0] < search.s.min_first_prob:
        return {"roll_tokens": 0.0, "roll_chars": 0.0, "roll_min_prob": 0.0, "roll_eol": 0.0,
                "roll_logprob": 0.0, "roll_margin": 0.0,
                **{f"roll_{k}": 0.0 for k in _ROLL_PATH_KEYS}}
    p0, tok = first[0]
    hist = [*history, tok]
    st = list(stack)
    _push_bracket(st, tok)
    n, chars, low, eol = 1, len(tok.strip()), p0, 0.0
    logprob = math.log(p0)
    margin = p0 - (first[1][0] if len(first) > 1 else 0.0)
    while n < _ROLLOUT_TOKENS and not tok.startswith("\n"):
        dist = search._distribution(hist, "")
        p, tok = next(((p, t) for p, t in dist if _fits(st, t)), (0.0, ""))
        if p < search.s.min_next_prob:
            break
        if tok.startswith("\n") or (
            search.closing and tok.strip() and search.closing.startswith(tok.strip())
        ):
            eol = 1.0
            low = min(low, p)
            logprob += math.log(p)
            break
        _push_bracket(st, tok)
        hist.append(tok)
        n += 1
        chars += len(tok)
        low = min(low, p)
        logprob += math.log(p)
        margin += p - next((q for q, t in dist[:2] if t != tok), 0.0)
    path = search._support(history, hist[len(history):])
    return {"roll_tokens": float(n), "roll_chars": float(chars), "roll_min_prob": low,
            "roll_eol": eol, "roll_logprob": logprob, "roll_margin": margin / n,
            **{f"roll_{k}": path[k] for k in _ROLL_PATH_KEYS}}


def _walk(paths: Iterable[Path]) -> Iterable[Path]:
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(
                d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")
            )
            for name in sorted(filenames):
                yield Path(dirpath) / name


@dataclass(slots=True)
class _Context:
    """What the search needs from the text before the cursor."""

    tokens: list[str]  # complete tokens before the cursor (last few)
    partial: str  # typed start of the next token (its leading spaces included)
    indent: str  # indentation current at the cursor
    language: str
    stack: list[str]  # closers expected for the brackets open at the cursor (innermost last)

    @staticmethod
    def build(
        prefix: str, language: str, settings: EngineSettings, pad: int = 8
    ) -> _Context | None:
        pos = len(prefix)
        for _ in range(settings.window_lines):
            pos = prefix.rfind("\n", 0, pos)
            if pos < 0:
                break
        start = 0 if pos < 0 else pos + 1
        if len(prefix) - start > settings.window_chars:
            cut = prefix.find("\n", len(prefix) - settings.window_chars)
            start = cut + 1 if cut >= 0 else len(prefix) - settings.window_chars
        window = prefix[start:]
        line = window[window.rfind("\n") + 1 :]
        if _inside_text(line, language) or (
            # An open docstring (counted over the whole prefix: a long one may start
            # above the window). A plain C-speed count, not a parse.
            language == "python" and (prefix.count('"""') % 2 or prefix.count("\'\'\'") % 2)
        ):
            return None
        tree = syntax.parse(window, language)
        end = tree.root_node.end_byte
        if end and syntax.node_type_at(tree, end) in _IN_TEXT_NODES:
            return None
        tokens, _, indent = syntax.tokenize_with_lines(window, language, tree=tree)
        if tokens and start > 0 and not tokens[0].startswith("\n"):
            # The window's first line: its indentation is not a spacing habit.
            first = tokens[0].lstrip(" \t")
            tokens = ([first] if first else []) + tokens[1:]
        if start == 0:
            tokens = [BOS] * pad + tokens  # the file's start, as documents are counted
        partial = ""
        if tokens:
            last = tokens[-1]
            if last.startswith("\n"):
                if window.endswith("\n"):
                    # Column 0 of a fresh line: the model picks the indentation too,
                    # relative to the last line with code.
                    tokens.pop()
                    partial = "\n"
                    indent = _last_code_indent(window)
            elif not last.strip():
                partial = tokens.pop()  # spaces typed after the last token
            elif last[-1] in _WORD_CHARS:
                partial = tokens.pop()  # a word being typed (or just finished)
        stack: list[str] = []
        for tok in tokens:
            _push_bracket(stack, tok)
        return _Context(tokens, partial, indent, language, stack)


class _Search:
    """Decoding with a stop rule, from the cursor to the line's (or block's) end: a beam
    for the current line, then greedy for the lines of a block."""

    def __init__(
        self,
        engine: EmbeddedProvider,
        model: NgramCounts,
        local: NgramCounts | None,
        ctx: _Context,
        max_lines: int,
        closing: str,
    ) -> None:
        self.s = engine.settings
        self.order = engine.doc_order
        self.model = model
        self.local = local if local is not None and len(local) else None
        self.ctx = ctx
        self.max_lines = max(1, max_lines)
        self.closing = closing
        self.base = 1.0 / (model.vocabulary_size() + 2)
        self._beam_gap = _GAP_CAP

    def _distribution(self, history: list[str], prefix: str) -> list[tuple[float, str]]:
        """Candidate next tokens with mixed probabilities, best first."""
        n = self.order - 1
        context = history[-n:] if n else []
        gchain = self.model.chain(context)
        lchain = self.local.chain(context) if self.local is not None else []
        names: dict[str, None] = {}
        for chain in (lchain, gchain):
            for table in chain[-2:][::-1]:
                for tok in _nominate(table, prefix):
                    names[tok] = None
        if not names:
            return []
        d = self.s.discounts
        lam = 0.0
        if lchain and len(lchain) > 1:
            depth_bonus = len(lchain) / max(len(gchain), 1)
            evidence = lchain[-1].total
            lam = evidence / (evidence + self.s.local_strength) * min(1.0, depth_bonus)
        out: list[tuple[float, str]] = []
        for tok in names:
            p = probability(gchain, tok, d, self.base)
            if lam:
                p = (1.0 - lam) * p + lam * probability(lchain, tok, d, self.base)
            out.append((p, tok))
        if prefix:
            # Renormalise over the tokens consistent with what is typed.
            total = sum(p for p, _ in out)
            out = [(p / total, t) for p, t in out] if total > 0 else out
        out.sort(reverse=True)
        return out

    def run(self, max_candidates: int) -> list[Candidate]:
        history = list(self.ctx.tokens)
        stack = self.ctx.stack
        first = [
            (p, t) for p, t in self._distribution(history, self.ctx.partial) if _fits(stack, t)
        ]
        results: list[Candidate] = []
        signals: dict[str, float] | None = None
        for i, (p, tok) in enumerate(first[:max_candidates]):
            if p < self.s.min_first_prob:
                break
            nxt = first[i + 1][0] if i + 1 < len(first) else 0.0
            if i > 0:
                nxt = max(nxt, first[0][0])  # the runner-up of a later pick is the best
            cand = self._extend(history, tok, p, nxt)
            if cand is not None:
                if signals is None:
                    signals = self._context_signals(history)
                details = dict(signals)
                details["first_token_prob"] = p
                details["runner_up_prob"] = nxt
                details["first_margin"] = p - nxt
                details["first_entropy"] = _entropy(first)
                details.update(cand.details or {})
                cand = replace(cand, details=details)
                results.append(cand)
        return results

    def _context_signals(self, history: list[str]) -> dict[str, float]:
        """How much evidence the model has at the cursor (for the gate): the n-gram
        order reached and the count of that context, globally and in the document,
        and the document model's share of the mixture. Two dict look-ups per order."""
        n = self.order - 1
        context = history[-n:] if n else []
        gchain = self.model.chain(context)
        lchain = self.local.chain(context) if self.local is not None else []
        lam = 0.0
        if lchain and len(lchain) > 1:
            evidence = lchain[-1].total
            lam = evidence / (evidence + self.s.local_strength) * min(
                1.0, len(lchain) / max(len(gchain), 1)
            )
        return {
            "global_order": float(max(len(gchain) - 1, 0)),
            "local_order": float(max(len(lchain) - 1, 0)),
            "global_context_count": float(gchain[-1].total) if gchain else 0.0,
            "local_context_count": float(lchain[-1].total) if lchain else 0.0,
            "local_share": lam,
            "partial_chars": float(len(self.ctx.partial.strip())),
        }

    def _extend(self, history: list[str], tok: str, p: float, alt: float = 0.0) -> Candidate | None:
        s = self.s
        stack = list(self.ctx.stack)
        opens = self._opens_block(history, stack)
        _push_bracket(stack, tok)
        hist = [*history, tok]
        out = [tok]
        logps = [math.log(p)]
        alts = [alt]  # the runner-up's probability at each step (for the gate)
        lines = 1
        multiline = False
        at_boundary = False  # stopped right before a newline: the last line is whole
        if tok.startswith("\n") and self.ctx.partial != "\n":
            # The line is done and a block opens: suggest the block's first lines.
            if not opens or self.max_lines < 2 or tok[:2] in ("\n<", "\n_"):
                return None
            multiline, lines = True, 2
        elif tok.startswith("\n_"):
            return None
        chars = len(tok)
        planned: list[str] = []
        self._beam_gap = _GAP_CAP  # no beam (a block's lines are greedy): no rival line
        if s.beam_width > 1 and not multiline:
            planned = self._beam(hist, stack, s.beam_width, s.max_tokens - 1)
        while len(out) < s.max_tokens and chars < s.max_chars:
            dist = self._distribution(hist, "")
            if not dist:
                break
            if planned:
                want = planned.pop(0)
                p, nxt = next(((p, t) for p, t in dist if t == want), (0.0, want))
            else:
                p, nxt = next(((p, t) for p, t in dist if _fits(stack, t)), (0.0, ""))
            if p < s.min_next_prob:
                break
            # dist is sorted: the runner-up is the best token other than the pick.
            alt = next((q for q, t in dist[:2] if t != nxt), 0.0)
            if self.closing and nxt.strip() and self.closing.startswith(nxt.strip()):
                at_boundary = True
                break  # the editor already has this closing text after the cursor
            if nxt.startswith("\n"):
                at_boundary = True
                block_end = nxt[:2] in ("\n<", "\n_") or lines >= self.max_lines
                if multiline:
                    if block_end:
                        break
                elif (
                    self._opens_block(hist, stack)
                    and self.max_lines >= 2
                    and not self.closing
                    and nxt[:2] not in ("\n<", "\n_")
                ):
                    multiline = True
                else:
                    break
                lines += 1
                at_boundary = False
            _push_bracket(stack, nxt)
            out.append(nxt)
            hist.append(nxt)
            logps.append(math.log(p))
            alts.append(alt)
            chars += len(nxt)
        if s.whole_lines and not multiline and not at_boundary:
            return None
        if s.min_line_prob > 0.0:
            first_line = 0.0
            seen_code = False
            for t, lp in zip(out, logps, strict=True):
                if t.startswith("\n") and seen_code:
                    break
                seen_code = seen_code or not t.startswith("\n")
                first_line += lp
            if first_line < math.log(s.min_line_prob):
                return None
        if multiline and not at_boundary:
            # Stopped mid-line: keep whole lines only, half a line is a worse guess.
            last_nl = max(i for i, t in enumerate(out) if t.startswith("\n"))
            out, logps, alts = out[:last_nl], logps[:last_nl], alts[:last_nl]
        if not out:
            return None
        text = syntax.detokenize(out, indent=self.ctx.indent)
        if self.ctx.partial:
            text = text[len(self.ctx.partial) :]
        if not text.strip():
            return None
        logprob = sum(logps)
        return Candidate(
            text=text,
            score=logprob / len(out),
            logprob=logprob,
            num_tokens=len(out),
            provider="embedded",
            details={**_path_signals(out, logps, alts), **self._support(history, out)},
        )

    def _support(self, history: list[str], out: list[str]) -> dict[str, float]:
        """How well the suggestion is backed by text seen before, in one walk over its
        tokens (a few dict look-ups per token plus one distribution).

        Per token: the deepest n-gram order at which the workspace or the document
        model saw it after its context, and how often. A line seen whole before (deep
        matches all along) is usually right; one stitched from short contexts usually
        is not. Over the first line: ``min_depth``, ``mean_depth``, ``min_support``.
        Over the WHOLE suggestion (``PATH_KEYS``): the same depths, the count of the
        deepest workspace context, whether the token is the most frequent follower in
        each model (do the two models agree?) and each model's own probability of it;
        then, after the last token, how likely the engine finds a line end (a
        suggestion that stops where the line ends is whole) and its best next token's
        probability (a cut-off suggestion stopped on a low one)."""
        d = self.s.discounts
        hist = list(history)
        depths: list[int] = []  # deepest order over both models, per token
        l_depths: list[int] = []  # the document model's alone
        first_line: list[tuple[int, int]] = []  # (order, count) of the first line's tokens
        ctx_counts: list[int] = []
        g_probs: list[float] = []
        l_probs: list[float] = []
        g_top = l_top = 0
        for i, tok in enumerate(out[: self.s.max_tokens]):
            gchain = self.model.chain(hist[-(self.model.order - 1):])
            lchain = (self.local.chain(hist[-(self.local.order - 1):])
                      if self.local is not None else [])
            deepest = []  # (order, count) per model; (0, 0) when never seen
            for chain in (gchain, lchain):
                k = next((k for k in range(len(chain) - 1, -1, -1)
                          if chain[k].counts.get(tok, 0)), None)
                deepest.append((0, 0) if k is None else (k, chain[k].counts[tok]))
            depths.append(max(deepest)[0])
            l_depths.append(deepest[1][0])
            if len(first_line) == i < _SUPPORT_TOKENS and not (i and tok.startswith("\n")):
                first_line.append(max((0, 0), *deepest))
            ctx_counts.append(gchain[-1].total if gchain else 0)
            g_probs.append(probability(gchain, tok, d, self.base))
            l_probs.append(probability(lchain, tok, d, self.base) if lchain else 0.0)
            g_top += bool(gchain) and gchain[-1].best(1)[:1] == [tok]
            l_top += bool(lchain) and lchain[-1].best(1)[:1] == [tok]
            hist.append(tok)
        n = len(depths)
        if not n:
            return dict.fromkeys(("min_depth", "mean_depth", "min_support", *PATH_KEYS), 0.0)
        rest = l_depths[1:]
        end = self._distribution(hist, "")
        eol = sum(p for p, t in end if t.startswith("\n") or (
            self.closing and t.strip() and self.closing.startswith(t.strip())))
        return {
            "min_depth": float(min(k for k, _ in first_line)),
            "mean_depth": sum(k for k, _ in first_line) / len(first_line),
            "min_support": float(min(c for _, c in first_line)),
            "path_min_depth": float(min(depths)),
            "path_mean_depth": sum(depths) / n,
            "path_min_context": float(min(ctx_counts)),
            "path_local_min_depth": float(min(rest)) if rest else float(l_depths[0]),
            "path_local_seen": sum(1 for x in rest if x >= 2) / len(rest) if rest else 0.0,
            "path_global_min_prob": min(g_probs),
            "path_local_min_prob": min(l_probs),
            "path_global_top": g_top / n,
            "path_local_top": l_top / n,
            "end_eol_prob": min(eol, 1.0),
            "end_top_prob": end[0][0] if end else 0.0,
            "beam_gap": self._beam_gap,
        }

    def _beam(self, hist: list[str], stack: list[str], width: int, limit: int) -> list[str]:
        """The most probable rest of the line (tokens before the newline or the closing
        text), by beam search; the newline's own probability counts, so a line that
        ends naturally beats one that trails off."""
        beams: list[tuple[float, list[str], list[str]]] = [(0.0, [], list(stack))]
        finished: list[tuple[float, list[str]]] = []
        grown: list[tuple[float, list[str], list[str]]] = []
        for _ in range(limit):
            grown = []
            for lp, toks, st in beams:
                taken = 0
                for p, t in self._distribution(hist + toks, ""):
                    if not _fits(st, t):
                        continue
                    score = lp + math.log(p)
                    if t.startswith("\n") or (
                        self.closing and t.strip() and self.closing.startswith(t.strip())
                    ):
                        finished.append((score, toks))
                    else:
                        st2 = list(st)
                        _push_bracket(st2, t)
                        grown.append((score, [*toks, t], st2))
                    taken += 1
                    if taken >= width:
                        break
            if not grown:
                break
            grown.sort(key=lambda b: b[0], reverse=True)
            beams = grown[:width]
            if finished and max(f[0] for f in finished) >= beams[0][0]:
                break
        scores = sorted((f[0] for f in finished), reverse=True)
        if scores:
            rival = max(scores[1] if len(scores) > 1 else -math.inf,
                        grown[0][0] if grown else -math.inf)
            self._beam_gap = min(scores[0] - rival, _GAP_CAP)
            return max(finished, key=lambda f: f[0])[1]
        return beams[0][1]

    @staticmethod
    def _opens_block(history: list[str], stack: list[str]) -> bool:
        """The line so far ends with a block opener: a bracket, or ":" outside brackets
        (a ":" inside brackets is a slice, dict entry or annotation, not a block)."""
        for tok in reversed(history):
            if tok.startswith("\n") or tok == BOS:
                return False
            t = tok.strip()
            if t:
                if t.endswith(":"):
                    return not stack
                return t.endswith(_BLOCK_OPENERS)
        return False


_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_CLOSE = frozenset(_BRACKETS.values())


_SUPPORT_TOKENS = 16  # first-line tokens whose n-gram support is measured
_GAP_CAP = 20.0  # log-probability gap to the beam's runner-up line when there is none

# Keys of ``_Search._support`` (added to ``Candidate.details``).
PATH_KEYS = (
    "path_min_depth",
    "path_mean_depth",
    "path_min_context",
    "path_local_min_depth",
    "path_local_seen",
    "path_global_min_prob",
    "path_local_min_prob",
    "path_global_top",
    "path_local_top",
    "end_eol_prob",
    "end_top_prob",
    "beam_gap",
)


def _entropy(dist: list[tuple[float, str]]) -> float:
    """Entropy (nats) of a candidate distribution, renormalised over its tokens: how
    spread the engine's belief is, beyond the top two probabilities."""
    total = sum(p for p, _ in dist)
    if total <= 0.0:
        return 0.0
    return max(0.0, -sum(p / total * math.log(p / total) for p, _ in dist if p > 0.0))


def _path_signals(out: list[str], logps: list[float], alts: list[float]) -> dict[str, float]:
    """The gate's confidence signals along a suggestion's tokens (cheap: one pass).

    A shown suggestion is mostly judged by its first line, and taken when at least its
    first half is right, so besides the least token's log-probability this measures
    the probability of the first line (``confidence``, the same meaning as an LLM's
    sequence probability) and of the tokens covering half of it, the runner-ups'
    mean log-probability (Copilot's ``meanAlternativeLogProb``), the mean margin to
    the runner-up, and how many tokens were coin flips (p < 0.5)."""
    line_lp, half_lp, line_chars = 0.0, 0.0, 0
    for t in out:
        if t.startswith("\n") and line_chars:
            break
        line_chars += len(t.strip())
    need = max(4, (line_chars + 1) // 2)
    seen, covered = 0, False
    for t, lp in zip(out, logps, strict=True):
        if t.startswith("\n") and seen:
            break
        line_lp += lp
        if not covered:
            half_lp += lp
            seen += len(t.strip())
            covered = seen >= need
    n = len(logps)
    ps = [math.exp(lp) for lp in logps]
    return {
        "min_token_logprob": min(logps),
        "confidence": math.exp(line_lp),
        "half_line_logprob": half_lp,
        "mean_alt_logprob": sum(math.log(max(a, 1e-4)) for a in alts) / n,
        "mean_margin": sum(p - a for p, a in zip(ps, alts, strict=True)) / n,
        "low_tokens": float(sum(1 for p in ps if p < 0.5)),
    }


def _push_bracket(stack: list[str], tok: str) -> None:
    """Track open brackets; a closer that does not match is ignored (the window may
    start inside a bracket)."""
    t = tok.strip()
    if t in _BRACKETS:
        stack.append(_BRACKETS[t])
    elif t in _CLOSE and stack and stack[-1] == t:
        stack.pop()


def _fits(stack: list[str], tok: str) -> bool:
    """A closing bracket may only close the innermost open bracket."""
    t = tok.strip()
    return t not in _CLOSE or (bool(stack) and stack[-1] == t)


_QUOTES = {"python": "\"'", "rust": '"', "go": "\"'`"}
_LINE_COMMENT = {"python": "#"}


def _inside_text(line: str, language: str) -> bool:
    """Whether the end of this line is inside a string or comment. Error recovery
    parses an unterminated string as code, so a small lexer over the line decides."""
    quotes = _QUOTES.get(language, "\"'`")
    comment = _LINE_COMMENT.get(language, "//")
    quote = ""
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in quotes:
            quote = ch
        elif line.startswith(comment, i):
            return True
        i += 1
    return bool(quote)


def _last_code_indent(window: str) -> str:
    for line in reversed(window.split("\n")):
        if line.strip():
            return line[: len(line) - len(line.lstrip(" \t"))]
    return ""


def _nominate(table: Table, prefix: str) -> list[str]:
    """A table's likely next tokens, or all that extend the typed prefix."""
    if not prefix:
        return table.best()
    if len(table.counts) > 4000:
        return [t for t in table.best(64) if t.startswith(prefix)]
    return [t for t in table.counts if t.startswith(prefix)]
