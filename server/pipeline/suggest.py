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
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tact.models.engine.provider import CompletionProvider
from tact.server.lsp.protocol import Edit
from tact.server.pipeline import features as feats
from tact.server.pipeline.clock import Clock
from tact.server.pipeline.context import Context, build_context
from tact.server.pipeline.filters import run_filters
from tact.server.pipeline.gate import Gate, PassThroughGate, load_gate, model_path_for
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


def _card_stamp(path: str | None) -> tuple[int, int] | None:
    """(mtime_ns, size) of a model directory's card.json (written last by training)."""
    from tact.models.gate import default_model_dir

    card = Path(path if path is not None else default_model_dir()) / "card.json"
    try:
        st = card.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


_WORD_TAIL = re.compile(r"[A-Za-z_0-9]*$")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A shown suggestion, ready to become an LSP item."""

    id: str
    text: str
    context: Context


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        provider: CompletionProvider,
        clock: Clock | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.rng = random.Random()
        self.session = uuid.uuid4().hex
        self.source = "tact"
        self.worker = EngineWorker(provider)
        self.notify = notify  # shows the user a message (window/showMessage)
        self.gate: Gate = PassThroughGate()
        self._gate_lock = threading.Lock()
        self._last_gate_error: str | None = None
        self._watched: tuple[str | None, tuple[int, int] | None] | None = None
        # A model loaded by path (tact.trainModel) wins over the settings' model until
        # gate.modelPath changes.
        self.model_override: str | None = None
        self.reload_gate()
        self.tracker = OutcomeTracker(settings.completion.reject_timeout_ms / 1000.0)
        self.recorder: Any = NullRecorder()
        self.state = feats.new_state()
        self._last_shown: str | None = None  # the session's previous shown suggestion
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
        if new.gate.model_path != old.gate.model_path:
            self.model_override = None
        if new.gate != old.gate:
            self.reload_gate(force=False)

    def reload_gate(self, path: str | None = None, force: bool = True) -> str | None:
        """Load the gate model (again) now: at start, on ``tact.reloadModel``, when the
        model directory changes on disk, after ``tact.trainModel`` (``path``).

        ``force`` False (a settings change) reuses the loaded model when its directory
        is unchanged. A model that fails to load is reported once (log and a message
        to the user) and the previous model stays in use with the current settings,
        or, if there is none, the pass-through gate: suggestions keep flowing.
        Returns the model version in use.
        """
        with self._gate_lock:
            settings = self.settings.gate
            if path is not None:
                self.model_override = path
            target = self.model_target()
            stamp = _card_stamp(target)
            try:
                self.gate = load_gate(settings, target, None if force else self.gate)
                self._last_gate_error = None
            except Exception as exc:
                self._gate_failed(exc)
            self._watched = (target, stamp)
            return self.gate.model_version

    def _gate_failed(self, exc: Exception) -> None:
        previous = self.gate
        try:
            if getattr(previous, "model", None) is not None:
                fallback = load_gate(self.settings.gate, previous.source_path, previous)
            else:
                fallback = PassThroughGate()
        except Exception:
            fallback = PassThroughGate()
        self.gate = fallback
        kept = (
            f"keeping model {fallback.model_version}"
            if fallback.model_version
            else "showing every suggestion (no gate model)"
        )
        why = str(exc).splitlines()[0] if str(exc) else repr(exc)
        message = f"tact: gate model refused: {why}; {kept}"
        log.error("%s", message)
        if message != self._last_gate_error and self.notify is not None:
            self.notify(message)
        self._last_gate_error = message

    def model_target(self) -> str | None:
        """The model directory the gate should use now (None: the packaged default)."""
        if self.model_override is not None:
            return self.model_override
        return model_path_for(self.settings.gate)

    def check_model(self) -> bool:
        """The file watch: reload when the model directory's card.json changed (or a
        newer trained model appeared). Cheap (a stat or two); meant for a background
        thread, never the request path. True if a reload was attempted."""
        target = self.model_target()
        watched = (target, _card_stamp(target))
        if watched == self._watched:
            return False
        log.info("gate model at %s changed; reloading", target or "the packaged default")
        self.reload_gate()
        return True

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
        # On the engine's thread, after the document updates queued before this request
        # (called from here it raced them: stage-1 features saw a stale document model).
        stats = await asyncio.wrap_future(
            self.worker.submit(feats.engine_stats, self.worker.provider, ctx.request)
        )
        features = feats.stage1(prefix, suffix, language, self.state, now, stats)

        gate = self.gate  # one model for the whole request, even if a reload swaps it
        g0 = time.perf_counter()
        verdict1 = gate.stage1(features, self.rng)
        gate_ms = (time.perf_counter() - g0) * 1000.0
        draft = DecisionDraft(
            id=uuid.uuid4().hex,
            session=self.session,
            time=now,
            language=language,
            kind=kind,
            engine=self.worker.provider.name,
            model_version=gate.model_version,
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
            features, prefix, suffix, language, suggestion, candidate.score, candidate.num_tokens,
            details=candidate.details, last_shown=self._last_shown,
        )
        g1 = time.perf_counter()
        verdict2 = gate.stage2(draft.features, self.rng, verdict1)
        draft.gate_ms += (time.perf_counter() - g1) * 1000.0
        stage = Stage.SHOWN if verdict2.show else Stage.HIDDEN
        self._decide(draft, stage, started, suggestion, verdict2, generation_ms)
        if stage is not Stage.SHOWN:
            return None
        self._last_shown = suggestion
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
                r.id,
                r.outcome,
                accepted_chars=r.accepted_chars,
                time=r.time,
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
