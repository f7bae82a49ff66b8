"""The last stage: one telemetry Decision per suggestion decision, never blocking.

Decisions go to :class:`tact.telemetry.AsyncRecorder`, whose writer thread does the
I/O; the request path only builds the record and enqueues it. Source text is kept
out of the store unless the user opted in (``telemetry.storeText``): by default only
hashes of the document and the suggestion are stored, so identical suggestions can
still be grouped without the code leaving the editor.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from tact.server.pipeline.gate import GateVerdict
from tact.telemetry.records import Decision, FeatureValue, Outcome, Stage

log = logging.getLogger("tact.record")

# With storeText, how much context around the cursor to keep.
CONTEXT_TEXT_CHARS = 2000


def text_hash(text: str) -> str:
    """A short stable digest: equal texts group together, the text stays private."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


class NullRecorder:
    """Stands in when the store cannot be opened: the server keeps suggesting."""

    url = "none"
    written = errors = dropped = 0

    def record(self, decision: Decision) -> None: ...

    def set_outcome(self, id: str, outcome: Outcome | str, **kwargs: Any) -> None: ...

    def mark_shown(self, id: str, time: float) -> None: ...

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = 10.0) -> bool:
        return True


def open_recorder(url: str, store_text: bool = False) -> Any:
    """An AsyncRecorder for ``url``, or a NullRecorder (with an error logged).

    ``store_text`` is passed on as a second guard: even if a decision carried text, the
    recorder blanks it unless the user opted in.
    """
    try:
        from tact.telemetry.recorder import AsyncRecorder

        return AsyncRecorder(url, store_text=store_text)
    except Exception as exc:
        log.error("telemetry disabled: cannot use store %s: %s", url, exc)
        return NullRecorder()


@dataclass(slots=True)
class DecisionDraft:
    """What the pipeline knows when it decides; turned into a Decision by ``build``."""

    id: str
    session: str
    time: float
    language: str
    kind: str
    engine: str | None
    model_version: str | None
    source: str
    document_text: str
    offset: int
    features: dict[str, FeatureValue]
    stage1: GateVerdict
    gate_ms: float = 0.0


def build_decision(
    draft: DecisionDraft,
    stage: Stage,
    *,
    store_text: bool,
    text: str | None = None,
    stage2: GateVerdict | None = None,
    latency_ms: float | None = None,
    generation_ms: float | None = None,
) -> Decision:
    shown = stage is Stage.SHOWN
    final = stage2 if stage2 is not None else draft.stage1
    context = None
    if store_text:
        lo = max(0, draft.offset - CONTEXT_TEXT_CHARS)
        context = draft.document_text[lo : draft.offset]
    return Decision(
        id=draft.id,
        session=draft.session,
        time=draft.time,
        language=draft.language,
        kind=draft.kind,
        stage=stage,
        shown=shown,
        p_accept_before=draft.stage1.p_accept,
        p_accept=stage2.p_accept if stage2 is not None else None,
        propensity=final.propensity,
        explored=final.explored,
        model_version=draft.model_version,
        engine=draft.engine,
        document_hash=text_hash(draft.document_text),
        suggestion_hash=text_hash(text) if text is not None else None,
        suggestion_chars=len(text) if text is not None else None,
        suggestion_text=text if store_text else None,
        context_text=context,
        features=dict(draft.features),
        latency_ms=latency_ms,
        generation_ms=generation_ms,
        gate_ms=draft.gate_ms,
        source=draft.source,
    )
