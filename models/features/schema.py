"""The named, versioned feature schema: feature dicts -> fixed float32 vectors.

A model is trained on vectors built by one schema version and travels with that
schema's name, version and column names (in its model card). The runtime refuses a
model whose columns this code cannot produce. Bump FEATURE_SCHEMA_VERSION whenever a
feature's meaning, transform or vocabulary changes.

Categorical features are one-hot encoded over a fixed vocabulary plus an ``other``
slot (unknown values land there), so vectors never change width with the data.
Numeric features get a fixed transform (``log1p`` for counts and durations, a signed
log for deltas); missing numbers take the feature's default.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from tact.models.features.state import OUTCOMES
from tact.models.features.text import CHAR_CLASSES, LINE_KINDS
from tact.models.features.window import NODE_CATEGORIES

FEATURE_SCHEMA_NAME = "tact-gate-features"
FEATURE_SCHEMA_VERSION = "8"

LANGUAGES = ("python", "javascript", "typescript", "go", "rust")
OPEN_BRACKETS = ("none", "paren", "square", "curly")
ENGINES = ("tact", "copilot")


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One input feature: its name, group, and how it becomes vector columns."""

    name: str
    group: str  # "context" | "state" | "suggestion"
    kind: str = "num"  # "num" | "cat"
    transform: str = "none"  # "none" | "log1p" | "slog" (num only)
    default: float = 0.0  # value when missing (num only)
    vocab: tuple[str, ...] = ()  # cat only; an "other" column is added
    missing: str = ""  # cat only: the value assumed when the feature is absent

    @property
    def columns(self) -> list[str]:
        if self.kind == "cat":
            return [f"{self.name}={v}" for v in (*self.vocab, "other")]
        return [self.name]


def _n(name: str, group: str, transform: str = "none", default: float = 0.0) -> FeatureSpec:
    return FeatureSpec(name, group, "num", transform, default)


def _c(name: str, group: str, vocab: Sequence[str], missing: str = "") -> FeatureSpec:
    return FeatureSpec(
        name, group, "cat", vocab=tuple(v for v in vocab if v != "other"), missing=missing
    )


CONTEXT_SPECS: tuple[FeatureSpec, ...] = (
    _c("ctx_language", "context", LANGUAGES),
    _n("ctx_col", "context", "log1p"),
    _n("ctx_col_text", "context", "log1p"),
    _n("ctx_indent", "context", "log1p"),
    _n("ctx_indent_delta", "context", "slog"),
    _n("ctx_line_no", "context", "log1p"),
    _n("ctx_lines_after", "context", "log1p"),
    _n("ctx_doc_frac", "context", default=1.0),
    _c("ctx_last_char", "context", CHAR_CLASSES),
    _c("ctx_last_nonws_char", "context", CHAR_CLASSES),
    _n("ctx_line_before_empty", "context"),
    _n("ctx_rest_of_line_empty", "context", default=1.0),
    _c("ctx_next_char", "context", CHAR_CLASSES),
    _n("ctx_ws_after", "context", "log1p"),
    _n("ctx_rest_of_line_len", "context", "log1p"),
    _c("ctx_line_kind", "context", LINE_KINDS),
    _c("ctx_prev_line_kind", "context", LINE_KINDS),
    _c("ctx_prev_line_last", "context", CHAR_CLASSES),
    _n("ctx_prev_line_len", "context", "log1p"),
    _n("ctx_blank_lines_before", "context", "log1p"),
    _n("ctx_mean_line_len", "context", "log1p"),
    _n("ctx_bracket_depth", "context"),
    _c("ctx_open_bracket", "context", OPEN_BRACKETS),
    _n("ctx_last_word_kw", "context"),
    _c("ctx_node", "context", NODE_CATEGORIES),
    _n("ctx_in_string", "context"),
    _n("ctx_in_comment", "context"),
    _n("ctx_window_error", "context"),
    _n("ctx_prefix_chars", "context", "log1p"),
    # v4: repetition of the text before the cursor (see features.repetition)
    _n("ctx_rep_tail8", "context", "log1p"),
    _n("ctx_rep_tail16", "context", "log1p"),
    _n("ctx_rep_tail32", "context", "log1p"),
    _n("ctx_rep_tail_len", "context"),
    _n("ctx_rep_next_agree", "context"),
    _n("ctx_rep_line", "context", "log1p"),
    _n("ctx_partial_word", "context", "log1p"),
    # v5: the engine's statistics at the cursor before generating (0 without them)
    _n("ctx_eng_has_stats", "context"),
    _n("ctx_eng_global_order", "context"),
    _n("ctx_eng_local_order", "context"),
    _n("ctx_eng_global_context_count", "context", "log1p"),
    _n("ctx_eng_local_context_count", "context", "log1p"),
    _n("ctx_eng_local_share", "context"),
    _n("ctx_eng_partial_chars", "context", "log1p"),
    _n("ctx_eng_top_prob", "context"),
    _n("ctx_eng_top_margin", "context"),
    _n("ctx_eng_top_newline", "context"),
    _n("ctx_eng_candidates", "context", "log1p"),
    _n("ctx_eng_roll_tokens", "context"),
    _n("ctx_eng_roll_chars", "context", "log1p"),
    _n("ctx_eng_roll_min_prob", "context"),
    _n("ctx_eng_roll_eol", "context"),
    # v6: the look-ahead's log-probability and mean margin to the runner-up
    _n("ctx_eng_roll_logprob", "context"),
    _n("ctx_eng_roll_margin", "context"),
)

STATE_SPECS: tuple[FeatureSpec, ...] = (
    _n("st_since_keystroke", "state", "log1p", 600.0),
    _n("st_typing_speed", "state", "log1p"),
    _n("st_edits_recent", "state", "log1p"),
    _n("st_deleted_recent", "state", "log1p"),
    _n("st_inserted_since_decision", "state", "log1p"),
    _n("st_deleted_since_decision", "state", "log1p"),
    _n("st_since_decision", "state", "log1p", 600.0),
    _n("st_since_shown", "state", "log1p", 600.0),
    _c("st_last_outcome", "state", OUTCOMES),
    _n("st_since_outcome", "state", "log1p", 600.0),
    _n("st_since_accept", "state", "log1p", 600.0),
    _n("st_accept_rate_k", "state", default=0.3),
    _n("st_outcomes_k", "state"),
    _n("st_accept_rate_session", "state", default=0.3),
    _n("st_decisions", "state", "log1p"),
    _n("st_shown_last_minute", "state", "log1p"),
    _n("st_session_seconds", "state", "log1p"),
)

SUGGESTION_SPECS: tuple[FeatureSpec, ...] = (
    _c("sug_engine", "suggestion", ENGINES, missing="tact"),  # older rows lack it
    _n("sug_chars", "suggestion", "log1p"),
    _n("sug_chars_stripped", "suggestion", "log1p"),
    _n("sug_lines", "suggestion", "log1p", 1.0),
    _n("sug_nonempty_lines", "suggestion", "log1p", 1.0),
    _n("sug_tokens", "suggestion", "log1p", 1.0),
    _n("sug_score", "suggestion"),
    _n("sug_has_score", "suggestion"),
    _n("sug_logprob", "suggestion", "slog"),
    _n("sug_first_line_chars", "suggestion", "log1p"),
    _n("sug_max_line_chars", "suggestion", "log1p"),
    _c("sug_first_char", "suggestion", CHAR_CLASSES),
    _c("sug_last_char", "suggestion", CHAR_CLASSES),
    _n("sug_starts_newline", "suggestion"),
    _c("sug_kind", "suggestion", LINE_KINDS),
    _c("sug_joined_kind", "suggestion", LINE_KINDS),
    _c("sug_node", "suggestion", NODE_CATEGORIES),
    _n("sug_parses", "suggestion", default=-1.0),
    _n("sug_error_delta", "suggestion"),
    _n("sug_identifiers", "suggestion", "log1p"),
    _n("sug_known_ident_frac", "suggestion", default=1.0),
    _n("sug_unknown_idents", "suggestion", "log1p"),
    _n("sug_repeats_above", "suggestion"),
    _n("sug_repeats_below", "suggestion"),
    _n("sug_dup_line_frac", "suggestion"),
    _n("sug_bracket_balance", "suggestion"),
    _n("sug_has_comment", "suggestion"),
    _n("sug_has_string", "suggestion"),
    _n("sug_filler", "suggestion"),
    _n("sug_ends_line", "suggestion"),
    _n("sug_only_ws", "suggestion"),
    # v4: the suggestion continues the document as it did before; engine signals
    _n("sug_copy_chars", "suggestion", "log1p"),
    _n("sug_copy_frac", "suggestion"),
    _n("sug_line_in_doc", "suggestion", "log1p"),
    _n("sug_follow_ratio8", "suggestion"),
    _n("sug_follow_count8", "suggestion", "log1p"),
    _n("sug_follow_ratio24", "suggestion"),
    _n("sug_follow_count24", "suggestion", "log1p"),
    _n("eng_has_details", "suggestion"),
    _n("eng_min_token_logprob", "suggestion", "slog"),
    _n("eng_first_token_prob", "suggestion"),
    _n("eng_first_margin", "suggestion"),
    _n("eng_runner_up_prob", "suggestion"),
    _n("eng_global_order", "suggestion"),
    _n("eng_local_order", "suggestion"),
    _n("eng_global_context_count", "suggestion", "log1p"),
    _n("eng_local_context_count", "suggestion", "log1p"),
    _n("eng_local_share", "suggestion"),
    _n("eng_partial_chars", "suggestion", "log1p"),
    # v6: provider-generic confidence (Copilot's telemetry has them too) and the
    # embedded engine's signals along the suggestion's first line
    _n("sug_alt_logprob", "suggestion"),
    _n("sug_has_alt", "suggestion"),
    _n("sug_confidence", "suggestion"),
    _n("sug_has_confidence", "suggestion"),
    _n("eng_half_line_logprob", "suggestion"),
    _n("eng_mean_margin", "suggestion"),
    _n("eng_low_tokens", "suggestion", "log1p"),
    _n("eng_min_depth", "suggestion"),
    _n("eng_mean_depth", "suggestion"),
    _n("eng_min_support", "suggestion", "log1p"),
    # v7 (CUPS): delivery latency, and whether the suggestion repeats the one shown
    # just before it (see features.delivery)
    _n("sug_latency", "suggestion", "log1p"),
    _n("sug_has_latency", "suggestion"),
    _n("sug_repeats_shown", "suggestion"),
)


# v8 (ENGINE_PATH_FEATURES): evidence only tact's embedded engine gives, zero for every
# other engine: stage 1 the first token's entropy and the look-ahead's evidence along
# its tokens, stage 2 the evidence along the whole suggestion (``Candidate.details``,
# see the engine's ``_Search._support``).
ENGINE_PATH_CONTEXT_SPECS: tuple[FeatureSpec, ...] = (
    _n("ctx_eng_top_entropy", "context"),
    _n("ctx_eng_roll_path_min_depth", "context"),
    _n("ctx_eng_roll_path_mean_depth", "context"),
    _n("ctx_eng_roll_path_local_seen", "context"),
    _n("ctx_eng_roll_path_global_min_prob", "context"),
    _n("ctx_eng_roll_path_local_min_prob", "context"),
    _n("ctx_eng_roll_path_global_top", "context"),
    _n("ctx_eng_roll_path_local_top", "context"),
    _n("ctx_eng_roll_end_eol_prob", "context"),
)
ENGINE_PATH_SUGGESTION_SPECS: tuple[FeatureSpec, ...] = (
    _n("eng_first_entropy", "suggestion"),
    _n("eng_path_min_depth", "suggestion"),
    _n("eng_path_mean_depth", "suggestion"),
    _n("eng_path_min_context", "suggestion", "log1p"),
    _n("eng_path_local_min_depth", "suggestion"),
    _n("eng_path_local_seen", "suggestion"),
    _n("eng_path_global_min_prob", "suggestion"),
    _n("eng_path_local_min_prob", "suggestion"),
    _n("eng_path_global_top", "suggestion"),
    _n("eng_path_local_top", "suggestion"),
    _n("eng_end_eol_prob", "suggestion"),
    _n("eng_end_top_prob", "suggestion"),
    _n("eng_beam_gap", "suggestion"),
)
# A model trained on rows that never fill them does not get them as columns at all
# (``tact.models.gate.train.unfilled_mask``), so the CUPS-side model is exactly the v7
# one: its small trees sample a third of the columns per split, and extra all-zero
# columns would only reshuffle which.
ENGINE_PATH_FEATURES: tuple[str, ...] = tuple(
    s.name for s in ENGINE_PATH_CONTEXT_SPECS + ENGINE_PATH_SUGGESTION_SPECS
)


def as_float(value: object, default: float) -> float:
    """A feature value as a finite float (``default`` for missing, invalid or text)."""
    if value is None or isinstance(value, str):
        return default
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    if x != x or x == math.inf or x == -math.inf:
        return default
    return x


@dataclass(frozen=True)
class FeatureSchema:
    """Which features each gate stage reads and how they become vectors.

    Stage 1 (before generation): context + programmer state. Stage 2 (after
    generation): everything, suggestion features included.
    """

    name: str = FEATURE_SCHEMA_NAME
    version: str = FEATURE_SCHEMA_VERSION
    specs: tuple[FeatureSpec, ...] = (
        CONTEXT_SPECS + ENGINE_PATH_CONTEXT_SPECS + STATE_SPECS + SUGGESTION_SPECS
        + ENGINE_PATH_SUGGESTION_SPECS
    )
    _plans: dict[int, list[tuple[int, FeatureSpec, dict[str, int] | None]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def specs_for(self, stage: int) -> tuple[FeatureSpec, ...]:
        if stage == 1:
            return tuple(s for s in self.specs if s.group != "suggestion")
        if stage == 2:
            return self.specs
        raise ValueError(f"stage must be 1 or 2, not {stage!r}")

    @property
    def stage1_names(self) -> list[str]:
        return [s.name for s in self.specs_for(1)]

    @property
    def stage2_names(self) -> list[str]:
        return [s.name for s in self.specs_for(2)]

    def columns(self, stage: int) -> list[str]:
        """Vector column names for ``stage`` (one-hot columns as ``name=value``)."""
        return [c for s in self.specs_for(stage) for c in s.columns]

    @property
    def stage1_columns(self) -> list[str]:
        return self.columns(1)

    @property
    def stage2_columns(self) -> list[str]:
        return self.columns(2)

    def groups(self, stage: int) -> list[str]:
        """The group ("context", "state", "suggestion") of each vector column."""
        return [s.group for s in self.specs_for(stage) for _ in s.columns]

    def _plan(self, stage: int) -> list[tuple[int, FeatureSpec, dict[str, int] | None]]:
        plan = self._plans.get(stage)
        if plan is None:
            plan = []
            col = 0
            for spec in self.specs_for(stage):
                index = None
                if spec.kind == "cat":
                    index = {v: col + i for i, v in enumerate(spec.vocab)}
                    index[""] = col + len(spec.vocab)  # the "other" column
                plan.append((col, spec, index))
                col += len(spec.columns)
            self._plans[stage] = plan
        return plan

    def width(self, stage: int) -> int:
        """Number of vector columns for ``stage``."""
        col, spec, _ = self._plan(stage)[-1]
        return col + len(spec.columns)

    def vectorize(self, features: Mapping[str, object], stage: int) -> np.ndarray:
        """One feature dict -> a float32 vector of ``self.width(stage)`` columns.

        Built as a Python list and converted once: per-element numpy writes would
        cost more than the model itself (this runs on every request).
        """
        plan = self._plan(stage)
        out = [0.0] * self.width(stage)
        get = features.get
        for col, spec, index in plan:
            value = get(spec.name)
            if index is not None:
                if value is None:
                    value = spec.missing
                out[index.get(value, index[""]) if isinstance(value, str) else index[""]] = 1.0
                continue
            if value is None or isinstance(value, str):
                x = spec.default
            else:
                try:
                    x = float(value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    x = spec.default
                if x != x or x == math.inf or x == -math.inf:
                    x = spec.default
            t = spec.transform
            if t == "log1p":
                x = math.log1p(x) if x > 0.0 else 0.0
            elif t == "slog":
                x = math.copysign(math.log1p(abs(x)), x)
            out[col] = x
        return np.asarray(out, dtype=np.float32)

    def vectorize_many(self, rows: Iterable[Mapping[str, object]], stage: int) -> np.ndarray:
        """Many feature dicts -> a float32 matrix (one row each), column by column
        with numpy transforms; the same values as :meth:`vectorize`."""
        rows = list(rows)
        plan = self._plan(stage)
        out = np.zeros((len(rows), self.width(stage)), dtype=np.float32)
        if not rows:
            return out
        r = np.arange(len(rows))
        for col, spec, index in plan:
            name = spec.name
            values = [row.get(name) for row in rows]
            if index is not None:
                other = index[""]
                miss = index.get(spec.missing, other)
                cols = [
                    index.get(v, other) if isinstance(v, str) else (miss if v is None else other)
                    for v in values
                ]
                out[r, np.asarray(cols)] = 1.0
                continue
            try:  # fast path: numbers and None (-> nan) convert in C
                x = np.array(values, dtype=np.float64)
                x[~np.isfinite(x)] = spec.default
            except (TypeError, ValueError):  # text or odd objects somewhere
                x = np.array([as_float(v, spec.default) for v in values], dtype=np.float64)
            if spec.transform == "log1p":
                x = np.where(x > 0.0, np.log1p(np.maximum(x, 0.0)), 0.0)
            elif spec.transform == "slog":
                x = np.copysign(np.log1p(np.abs(x)), x)
            out[:, col] = x
        return out

    def describe(self) -> dict[str, object]:
        """The schema as stored in a model card."""
        return {
            "name": self.name,
            "version": self.version,
            "stage1_columns": self.columns(1),
            "stage2_columns": self.columns(2),
        }


SCHEMA = FeatureSchema()
