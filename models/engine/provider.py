"""The completion-provider interface: what any suggestion engine must offer.

The embedded statistical engine implements it today; an LLM-backed provider will
sit beside it later. The server talks to providers only through this interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """What a provider sees: the document around the cursor.

    ``prefix`` is the document text before the cursor and ``suffix`` the text after
    it. ``max_lines`` bounds multi-line suggestions.
    """

    uri: str
    language: str  # tact language id: "python", "javascript", "typescript", "go", "rust"
    prefix: str
    suffix: str
    max_lines: int = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    """One suggested continuation, inserted at the cursor.

    ``logprob`` is the total log-probability of the continuation under the provider's
    model, ``score`` its mean per token (comparable across lengths; recorded as a
    gate feature), ``num_tokens`` how many tokens it spans.

    ``details`` (optional, None when the provider has none) carries the provider's
    own confidence signals as named floats, for the acceptance gate: the embedded
    engine fills the keys in :data:`DETAIL_KEYS`. A provider may leave any key out;
    the gate's features treat a missing key as unknown.
    """

    text: str
    score: float
    logprob: float
    num_tokens: int
    provider: str
    details: Mapping[str, float] | None = None


# Keys of ``Candidate.details`` the embedded engine fills (and the gate reads):
DETAIL_KEYS = (
    "min_token_logprob",  # the least probable token's log-probability
    "first_token_prob",  # probability of the first token
    "first_margin",  # first token's probability minus the runner-up's
    "runner_up_prob",  # the runner-up first token's probability (0: none)
    "global_order",  # n-gram order found for the first token's context (workspace model)
    "local_order",  # the same in the document's own model (0: none)
    "global_context_count",  # how often that deepest context was seen (workspace)
    "local_context_count",  # the same in the document
    "local_share",  # weight of the document model in the mixture (0..1)
    "partial_chars",  # characters of the word already typed at the cursor
    "half_line_logprob",  # log-probability of the tokens covering half the first line
    "mean_margin",  # mean over tokens of its probability minus the runner-up's
    "low_tokens",  # how many tokens had probability < 0.5
    "min_depth",  # least n-gram order at which a first-line token was seen after its context
    "mean_depth",  # mean of that order over the first line's tokens
    "min_support",  # least count of such a (context, token) at its deepest order
    # v8: along the whole suggestion (every token, every line), see the engine's
    # ``_Search._support``
    "first_entropy",  # entropy (nats) of the first token's candidate distribution
    "path_min_depth",  # least n-gram order (either model) at which a token was seen
    "path_mean_depth",  # mean of that order
    "path_min_context",  # least count of the deepest workspace context along the way
    "path_local_min_depth",  # least order in the document model, tokens after the first
    "path_local_seen",  # share of those tokens seen after >= 2 context tokens in the file
    "path_global_min_prob",  # least token probability under the workspace model alone
    "path_local_min_prob",  # ... under the document model alone (0: none)
    "path_global_top",  # share of tokens that are the workspace model's top follower
    "path_local_top",  # ... the document model's
    "end_eol_prob",  # probability of a line end (or the closing text) right after it
    "end_top_prob",  # probability of the best next token right after it
    "beam_gap",  # log-probability gap of the first line to the beam's runner-up line
)

# Provider-generic confidence signals (any engine or LLM can fill them; the gate reads
# them as ``sug_alt_logprob`` / ``sug_confidence``, also from Copilot's telemetry):
PROVIDER_SIGNAL_KEYS = (
    "mean_alt_logprob",  # mean log-probability of the runner-up token at each step
    "confidence",  # the provider's probability, 0..1, that its (first line) is right
)


@runtime_checkable
class CompletionProvider(Protocol):
    """A source of suggestions. Implementations must be safe to call from a worker
    thread and should return within a few milliseconds for the embedded default."""

    name: str

    def complete(self, request: CompletionRequest, max_candidates: int = 1) -> list[Candidate]:
        """Best continuations first; an empty list when there is nothing worth saying."""
        ...

    def update_document(self, uri: str, language: str, text: str) -> None:
        """Learn from (or refresh) a document: opened, saved or changed."""
        ...

    def remove_document(self, uri: str) -> None:
        """Forget a document (closed and deleted, or excluded)."""
        ...
