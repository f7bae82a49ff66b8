"""The suggestion pipeline, stage by stage, and the per-session state it keeps.

context -> gate stage 1 -> generate -> filters -> gate stage 2 -> record.
Every request that reaches a decision (shown, hidden by stage 2, or skipped by stage 1)
produces exactly one telemetry Decision; a request with nothing to suggest (no
candidate, or every candidate filtered out) or cancelled by the client produces none.
Outcomes are inferred by :mod:`tact.server.pipeline.outcomes` and written to the same
record later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tact.models.engine.provider import CompletionProvider
from tact.server.lsp.protocol import Edit
from tact.server.pipeline import features as feats
from tact.server.pipeline.clock import Clock
from tact.server.pipeline.context import Context, build_context
from tact.server.pipeline.filters import run_filters
from tact.server.pipeline.gate import Gate, PassThroughGate, load_gate
from tact.server.pipeline.generate import EngineWorker
from tact.server.pipeline.outcomes import OutcomeTracker, Pending, Resolution
from tact.server.pipeline.record import (
    DecisionDraft,
    NullRecorder,
    build_decision,
    open_recorder,
)
from tact.server.settings import Settings
from tact.telemetry.records import Outcome, Stage

log = logging.getLogger("tact.pipeline")
_WORD_TAIL = re.compile(r"[A-Za-z_0-9]*$")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A shown suggestion, ready to become an LSP item."""

    id: str
    text: str
    context: Context


class Pipeline:
    def __init__(
        self, settings: Settings, provider: CompletionProvider, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.rng = random.Random()
        self.session = uuid.uuid4().hex
        self.source = "tact"
        self.worker = EngineWorker(provider)
        self.gate: Gate = PassThroughGate()
        self.reload_gate()
        self.tracker = OutcomeTracker(settings.completion.reject_timeout_ms / 1000.0)
        self.recorder: Any = NullRecorder()
        self.state = feats.new_state()
        self.counts: Counter[str] = Counter()  # today's decisions by stage
        self.totals: Counter[str] = Counter()  # this session's decisions by stage
        self._count_day: dt.date | None = None
        self.open_telemetry(settings.telemetry.url)

    # -- configuration ----------------------------------------------------------------

    def open_telemetry(self, url: str) -> None:
        old = self.recorder
        self.recorder = open_recorder(url, self.settings.telemetry.store_text)
        if not isinstance(old, NullRecorder):
            old.close(5.0)

    def apply_settings(self, new: Settings) -> None:
        """Adopt changed settings: reopen the store or rebuild the gate if they changed."""
        old = self.settings
        self.settings = new
        self.tracker.reject_timeout_s = new.completion.reject_timeout_ms / 1000.0
        if new.telemetry != old.telemetry:
            log.info("telemetry store is now %s", new.telemetry.url)
            self.open_telemetry(new.telemetry.url)
        if new.gate != old.gate:
            self.reload_gate()

    def reload_gate(self) -> str | None:
        """Load the gate model again now (``tact.reloadModel``); on failure the gate in
        use stays and the error is logged. Returns the model version in use."""
        try:
            self.gate = load_gate(self.settings.gate)
        except Exception as exc:
            log.error("gate model not reloaded, keeping %s: %s", self.gate.model_version, exc)
        return self.gate.model_version

    def use_replay_clock(self, when: float, seed: int | None) -> None:
        """Switch to (or advance) simulated time; ``seed`` makes gate draws repeatable."""
        if not self.clock.simulated:
            self.source = "replay"
            if seed is not None:
                self.rng.seed(seed)
        self.clock.set(when)
        self.apply(self.tracker.expire(self.clock.now()))

    # -- the request path -------------------------------------------------------------

    async def suggest(
        self, text: str, offset: int, uri: str, language: str, kind: str
    ) -> Suggestion | None:
        """Run the pipeline for the cursor at ``offset`` in ``text`` (the document)."""
        started = time.perf_counter()
        now = self.clock.now()
        self.apply(self.tracker.expire(now))
        settings = self.settings
        ctx = build_context(text, offset, uri, language, settings.completion.max_lines)
        prefix, suffix = text[: ctx.offset], text[ctx.offset :]
        features = feats.stage1(prefix, suffix, language, self.state, now)

        g0 = time.perf_counter()
        verdict1 = self.gate.stage1(features, self.rng)
        gate_ms = (time.perf_counter() - g0) * 1000.0
        draft = DecisionDraft(
            id=uuid.uuid4().hex,
            session=self.session,
            time=now,
            language=language,
            kind=kind,
            engine=self.worker.provider.name,
            model_version=self.gate.model_version,
            source=self.source,
            document_text=text,
            offset=ctx.offset,
            features=features,
            stage1=verdict1,
            gate_ms=gate_ms,
        )
        if not verdict1.show:
            self._decide(draft, Stage.SKIPPED, started)
            return None

        if settings.completion.debounce_ms > 0:
            await asyncio.sleep(settings.completion.debounce_ms / 1000.0)
        candidates, generation_ms = await self.worker.complete(ctx.request, 1)
        if not candidates:
            return None
        candidate = candidates[0]
        suggestion, dropped_by = run_filters(candidate.text, ctx)
        if suggestion is None:
            log.debug("suggestion dropped by filter %s", dropped_by)
            return None

        draft.features = feats.stage2(
            features, prefix, suffix, language, suggestion, candidate.score, candidate.num_tokens
        )
        g1 = time.perf_counter()
        verdict2 = self.gate.stage2(draft.features, self.rng, verdict1)
        draft.gate_ms += (time.perf_counter() - g1) * 1000.0
        stage = Stage.SHOWN if verdict2.show else Stage.HIDDEN
        self._decide(draft, stage, started, suggestion, verdict2, generation_ms)
        if stage is not Stage.SHOWN:
            return None
        # A completion item replaces the word typed before the cursor: track from there.
        lead = len(_WORD_TAIL.search(ctx.line_prefix).group(0)) if kind == "completion" else 0
        start = ctx.offset - lead
        pending = Pending(
            draft.id,
            uri,
            start,
            text[start : ctx.offset] + suggestion,
            now,
            suffix_len=len(text) - ctx.offset,
            lead=lead,
        )
        self.apply(self.tracker.add(pending))
        return Suggestion(draft.id, suggestion, ctx)

    def _decide(
        self,
        draft: DecisionDraft,
        stage: Stage,
        started: float,
        text: str | None = None,
        verdict2: Any = None,
        generation_ms: float | None = None,
    ) -> None:
        decision = build_decision(
            draft,
            stage,
            store_text=self.settings.telemetry.store_text,
            text=text,
            stage2=verdict2,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            generation_ms=generation_ms,
        )
        self.recorder.record(decision)
        self.state.observe_decision(draft.time, stage is Stage.SHOWN)
        self._count(stage.value, draft.time)

    # -- what the client reports ------------------------------------------------------

    def on_edits(self, uri: str, edits: list[Edit], before: str, after: str) -> None:
        now = self.clock.now()
        self.apply(self.tracker.expire(now))
        inserted = sum(len(e.text) for e in edits)
        deleted = sum(e.end - e.start for e in edits)
        self.state.observe_edit(now, inserted, deleted)
        self.apply(self.tracker.on_edits(uri, before, after, now))

    def accept(self, suggestion_id: str) -> bool:
        resolution = self.tracker.accept(suggestion_id, self.clock.now())
        if resolution is None:
            log.info("accept for unknown or already accepted suggestion %s", suggestion_id)
            return False
        self.apply([resolution])
        return True

    def partial(self, suggestion_id: str, accepted_chars: int) -> bool:
        resolution = self.tracker.partial(suggestion_id, accepted_chars, self.clock.now())
        if resolution is None:
            log.info("partial accept for unknown suggestion %s", suggestion_id)
            return False
        self.apply([resolution])
        return True

    def mark_shown(self, suggestion_id: str) -> None:
        self.recorder.mark_shown(suggestion_id, self.clock.now())

    def close_document(self, uri: str) -> None:
        self.apply(self.tracker.close(uri, self.clock.now()))

    def expire(self) -> None:
        self.apply(self.tracker.expire(self.clock.now()))

    def apply(self, resolutions: list[Resolution]) -> None:
        """Write resolved outcomes to telemetry and to the programmer's state."""
        for r in resolutions:
            self.recorder.set_outcome(
                r.id, r.outcome, accepted_chars=r.accepted_chars, time=r.time,
                override=r.overrides,
            )
            if not r.overrides or r.outcome is not Outcome.REJECTED:
                accepted = r.outcome in (Outcome.ACCEPTED, Outcome.PARTIAL)
                self.state.observe_outcome(r.time, accepted)
            log.debug("suggestion %s %s (%s)", r.id, r.outcome.value, r.reason)

    # -- status -----------------------------------------------------------------------

    def _count(self, key: str, when: float) -> None:
        day = dt.date.fromtimestamp(when)
        if day != self._count_day:
            self.counts.clear()
            self._count_day = day
        self.counts[key] += 1
        self.totals[key] += 1

    def status(self) -> dict[str, Any]:
        if (
            self._count_day is not None
            and dt.date.fromtimestamp(self.clock.now()) != self._count_day
        ):
            self.counts.clear()
            self._count_day = None
        return {
            "enabled": self.settings.enable,
            "gateEnabled": self.settings.gate.enabled,
            "modelVersion": self.gate.model_version,
            "shownToday": self.counts["shown"],
            "hiddenToday": self.counts["hidden"],
            "skippedToday": self.counts["skipped"],
            "telemetryUrl": self.settings.telemetry.url,
            # Beyond the agreed fields: this session's totals (replay summaries use them).
            "shownSession": self.totals["shown"],
            "hiddenSession": self.totals["hidden"],
            "skippedSession": self.totals["skipped"],
        }

    def flush(self, timeout: float | None = 10.0) -> bool:
        return bool(self.recorder.flush(timeout))

    def close(self) -> None:
        now = self.clock.now()
        for uri in list(self.tracker._pending):
            self.apply(self.tracker.close(uri, now))
        self.recorder.close(10.0)
        self.worker.shutdown()
