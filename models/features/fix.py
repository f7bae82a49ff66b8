"""Features of a quick fix: what the fix gate sees, in training and in serving alike.

A validated fix can still be the wrong one: the edit that makes the file compile or
the failing test pass is not always the edit the programmer meant. What predicts that
is mostly visible on the fix itself: how big the edit is, which repair operator made
it, how strongly it was validated (compiles only, the tests, generated inputs that
agree), whether runtime values back the explanation, and how it ranks against the
other candidates for the same problem (a clear winner versus a close call).

:func:`fix_features` turns a fix (anything with the attributes of
``tact.server.fixes.types.Fix``; this layer does not import the server) into a flat
dict of scalars. That dict is stored in the telemetry record of every fix decision, and
:data:`FIX_SCHEMA` turns stored and live dicts into the same float32 vectors, so the
model is trained on exactly what the server computes. Bump FIX_SCHEMA_VERSION when a
feature's meaning, transform or vocabulary changes.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from tact.models.features.schema import FeatureSpec, as_float
from tact.telemetry.records import FeatureValue

FIX_SCHEMA_NAME = "tact-fix-features"
FIX_SCHEMA_VERSION = "1"

FIX_KINDS = ("syntax", "test")
# Syntax edits (server.fixes.syntax) by their first word, and the repair operator
# families of test repair (server.fixes.mutate.PRIORITY keys).
SYNTAX_FAMILIES = ("insert", "insert-name", "delete", "replace", "indent")
TEST_FAMILIES = ("comparison", "arithmetic", "boolean", "off-by-one", "constant",
                 "remove-operand", "negate", "name", "call", "swap", "return", "import",
                 "attribute", "delete-statement", "variable")
VALIDATIONS = ("compiles", "compiles-locally", "tests", "tests+probes")
PRECISIONS = ("lenient", "standard", "strict")
# What a syntax edit inserts or removes, by the class of its text.
TOKEN_CLASSES = ("colon", "comma", "paren", "bracket", "brace", "quote", "equals",
                 "operator", "name", "keyword", "number", "space", "mixed", "none")

_KEYWORDS = frozenset(keyword.kwlist)
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+(?:\.\d*)?|\S")


class FixLike(Protocol):
    """The attributes of ``tact.server.fixes.types.Fix`` the features read."""

    new_text: str
    fixed_source: str
    operator: str
    edit_size: int
    title: str
    explanation: str
    validation: str
    score: float
    problem: Any
    tests_fixed: list[str]
    tests_kept: list[str]
    evidence: dict[str, Any]

    @property
    def span(self) -> Any: ...


def _n(name: str, transform: str = "none", default: float = 0.0) -> FeatureSpec:
    return FeatureSpec(name, "fix", "num", transform, default)


def _c(name: str, vocab: Sequence[str]) -> FeatureSpec:
    return FeatureSpec(name, "fix", "cat", vocab=tuple(vocab))


FIX_SPECS: tuple[FeatureSpec, ...] = (
    _c("fix_kind", FIX_KINDS),
    _c("fix_family", SYNTAX_FAMILIES + TEST_FAMILIES),
    _c("fix_token_class", TOKEN_CLASSES),
    # edit size
    _n("fix_edit_size", "log1p"),
    _n("fix_inserted_chars", "log1p"),
    _n("fix_removed_chars", "log1p"),
    _n("fix_inserted_tokens", "log1p"),
    _n("fix_span_lines", "log1p", 1.0),
    _n("fix_inserted_lines", "log1p"),
    _n("fix_doc_lines", "log1p"),
    # validation strength
    _c("fix_validation", VALIDATIONS),
    _c("fix_precision", PRECISIONS),
    _n("fix_tests_fixed", "log1p"),
    _n("fix_tests_kept", "log1p"),
    _n("fix_probes", "log1p"),
    _n("fix_probe_disagree"),
    _n("fix_probe_hangs", "log1p"),
    _n("fix_runtime_values"),
    _n("fix_validated_candidates", "log1p"),
    _n("fix_tried_candidates", "log1p"),
    # ranking among the candidates for the same problem
    _n("fix_rank", "log1p"),
    _n("fix_candidates", "log1p", 1.0),
    _n("fix_score", "slog"),
    _n("fix_score_margin", "slog"),
    _n("fix_has_score"),
    # explanation
    _n("fix_title_chars", "log1p"),
    _n("fix_explanation_chars", "log1p"),
)


def operator_family(operator: str, kind: str) -> str:
    """The operator's family: ``insert ':'`` -> ``insert``, ``comparison`` -> itself.

    Syntax operators carry the token (``insert ')'``); the token goes into
    ``fix_token_class`` instead, so the one-hot stays small and general."""
    op = operator.strip()
    if kind == "test":
        return op
    if op.startswith("insert name"):
        return "insert-name"
    return op.split(" ", 1)[0] if op else ""


def token_class(text: str) -> str:
    """A coarse class of an inserted or removed piece of code."""
    s = text.strip()
    if not s:
        return "space" if text else "none"
    toks = _TOKEN.findall(s)
    if len(toks) != 1:
        return "mixed"
    t = toks[0]
    if t in _KEYWORDS:
        return "keyword"
    if t[0].isalpha() or t[0] == "_":
        return "name"
    if t[0].isdigit():
        return "number"
    return {":": "colon", ",": "comma", "(": "paren", ")": "paren", "[": "bracket",
            "]": "bracket", "{": "brace", "}": "brace", "'": "quote", '"': "quote",
            "=": "equals"}.get(t, "operator")


def _quoted(operator: str) -> str | None:
    m = re.search(r"'([^']*)'|\"([^\"]*)\"", operator)
    if m is None:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


def fix_features(
    fix: FixLike,
    *,
    rank: int = 0,
    siblings: Sequence[FixLike] = (),
    precision: str = "standard",
) -> dict[str, FeatureValue]:
    """The feature dict of ``fix``, ranked ``rank`` (0 = best) among ``siblings`` (all
    candidates offered for the same problem, ``fix`` included, best first).

    Stored as is in the fix's telemetry record; :data:`FIX_SCHEMA` vectorizes it. The
    first eight names predate the schema (older records have only those) and keep
    their meaning."""
    problem = getattr(fix, "problem", None)
    kind = str(getattr(problem, "kind", "") or ("test" if fix.tests_fixed else "syntax"))
    evidence = fix.evidence if isinstance(fix.evidence, dict) else {}
    inserted = fix.new_text
    removed_chars = max(0, int(fix.edit_size) - len(inserted))
    span = fix.span
    span_lines = int(span.end_line) - int(span.start_line) + 1
    # The class of what changed: the inserted text, else the token an operator names
    # (``delete ')'``), else the removed characters' length only.
    if inserted.strip():
        tclass = token_class(inserted)
    else:
        named = _quoted(fix.operator) if kind == "syntax" else None
        tclass = token_class(named) if named else ("space" if removed_chars else "none")
    scores = [float(getattr(s, "score", 0.0) or 0.0) for s in siblings] or [float(fix.score)]
    score = float(fix.score or 0.0)
    # A clear winner (rank 0 far above the runner-up) versus a close call.
    margin = 0.0
    if len(scores) > 1:
        margin = score - scores[1] if rank == 0 else score - scores[0]
    has_score = kind == "syntax" or score != 0.0
    return {
        "fix_edit_size": int(fix.edit_size),
        "fix_operator": fix.operator,
        "fix_validation": fix.validation,
        "fix_kind": kind,
        "fix_rank": int(rank),
        "fix_tests_fixed": len(fix.tests_fixed),
        "fix_tests_kept": len(fix.tests_kept),
        "fix_precision": precision,
        "fix_family": operator_family(fix.operator, kind),
        "fix_token_class": tclass,
        "fix_inserted_chars": len(inserted),
        "fix_removed_chars": removed_chars,
        "fix_inserted_tokens": len(_TOKEN.findall(inserted)),
        "fix_span_lines": span_lines,
        "fix_inserted_lines": inserted.count("\n"),
        "fix_doc_lines": fix.fixed_source.count("\n") + 1,
        "fix_probes": int(evidence.get("probes", 0) or 0),
        "fix_probe_disagree": float(evidence.get("disagree_near_passing", 0.0) or 0.0),
        "fix_probe_hangs": int(evidence.get("hangs", 0) or 0),
        "fix_runtime_values": int("Runtime values" in fix.explanation),
        "fix_validated_candidates": int(evidence.get("validated", 0) or 0),
        "fix_tried_candidates": int(evidence.get("tried", 0) or 0),
        "fix_candidates": max(1, len(siblings)),
        "fix_score": score,
        "fix_score_margin": round(margin, 4),
        "fix_has_score": int(has_score),
        "fix_title_chars": len(fix.title),
        "fix_explanation_chars": len(fix.explanation),
    }


class FixFeatureSchema:
    """Fix feature dicts -> fixed-width float32 vectors (one-hot with an ``other``
    column per categorical, fixed numeric transforms: the same rules as the gate's
    schema, whose :class:`FeatureSpec` it reuses)."""

    def __init__(self, name: str = FIX_SCHEMA_NAME, version: str = FIX_SCHEMA_VERSION,
                 specs: tuple[FeatureSpec, ...] = FIX_SPECS) -> None:
        self.name = name
        self.version = version
        self.specs = specs
        self._plan: list[tuple[int, FeatureSpec, dict[str, int] | None]] = []
        col = 0
        for spec in specs:
            index = None
            if spec.kind == "cat":
                index = {v: col + i for i, v in enumerate(spec.vocab)}
                index[""] = col + len(spec.vocab)  # the "other" column
            self._plan.append((col, spec, index))
            col += len(spec.columns)
        self.width = col

    @property
    def columns(self) -> list[str]:
        return [c for s in self.specs for c in s.columns]

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    def vectorize(self, features: Mapping[str, object]) -> np.ndarray:
        """One feature dict -> a float32 vector of ``width`` columns."""
        out = [0.0] * self.width
        for col, spec, index in self._plan:
            value = features.get(spec.name)
            if index is not None:
                key = value if isinstance(value, str) else ""
                out[index.get(key, index[""])] = 1.0
                continue
            out[col] = _transform(as_float(value, spec.default), spec.transform)
        return np.asarray(out, dtype=np.float32)

    def vectorize_many(self, rows: Iterable[Mapping[str, object]]) -> np.ndarray:
        """Many dicts -> a [N, width] float32 matrix (row by row: fix data is small)."""
        rows = list(rows)
        if not rows:
            return np.zeros((0, self.width), dtype=np.float32)
        return np.vstack([self.vectorize(r) for r in rows])

    def describe(self) -> dict[str, object]:
        """The schema as stored in the fix model's card."""
        return {"name": self.name, "version": self.version, "columns": self.columns}



def _transform(x: float, how: str) -> float:
    if how == "log1p":
        return math.log1p(x) if x > 0.0 else 0.0
    if how == "slog":
        return math.copysign(math.log1p(abs(x)), x)
    return x


FIX_SCHEMA = FixFeatureSchema()

__all__ = ["FIX_SCHEMA", "FIX_SPECS", "FixFeatureSchema", "FixLike", "fix_features",
           "operator_family", "token_class"]
