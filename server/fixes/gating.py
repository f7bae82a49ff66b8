"""Whether to show a validated fix: the fix model, the gate's policy, and the record.

The fix model (``fix.onnx`` + ``fix_card.json``, trained by ``tact.models.gate.fixes``,
served by ``tact.models.gate.fix_runtime``) lives in the completion gate's model
directory: the one ``gate.modelPath`` names, or the newest ``tact.trainModel`` wrote,
or the packaged default. A directory without a fix model falls back to the packaged
one if it has one; with no fix model at all, every validated fix is shown, as before
the gate existed.

The policy is the completion gate's own (:class:`GatePolicy` from the ``gate.*``
settings): the utility rule or the "hide at most X% of applied" operating point from
the card, with exploration. A hidden fix is still recorded (stage ``hidden``, with
P(applied) and its propensity), so the store holds every decision and a retrained
model is not blinded by the one that hid fixes.

:func:`fix_decision` builds the telemetry record; benchmark scripts that produce fix
telemetry call it too, so training rows and served rows carry the same features.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tact.models.features.fix import fix_features
from tact.server.fixes.types import Fix
from tact.telemetry.records import Decision, FeatureValue, Outcome, Stage

log = logging.getLogger("tact.fixes")


@dataclass(frozen=True, slots=True)
class FixVerdict:
    """Show or hide one fix, and what the record needs."""

    show: bool
    features: dict[str, FeatureValue] = field(default_factory=dict)
    p_accept: float | None = None
    propensity: float | None = None
    explored: bool = False
    threshold: float | None = None
    model_version: str | None = None


def _stamp(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = (path / "fix_card.json").stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class FixGate:
    """The loaded fix model (or none) and the show/hide decision per fix.

    :meth:`refresh` is the hot reload: called before each batch of fixes with the
    gate's model directory, it stats one card and reloads only when it changed. A
    model that fails to load is reported once (log + ``notify``) and the previous one
    stays; with none, fixes are shown ungated.
    """

    def __init__(self, notify: Callable[[str], None] | None = None) -> None:
        self.model: Any = None
        self.notify = notify
        self._watched: tuple[Path | None, tuple[int, int] | None] | None = None
        self._error: str | None = None
        self._lock = threading.Lock()

    @staticmethod
    def locate(model_dir: str | None) -> Path | None:
        """The directory whose fix model to use: ``model_dir`` (None: the packaged
        default) if it has one, else the packaged default's, else None."""
        from tact.models.gate.fix_runtime import has_fix_model
        from tact.models.gate.runtime import default_model_dir

        default = default_model_dir()
        first = Path(model_dir) if model_dir else default
        if has_fix_model(first):
            return first
        return default if has_fix_model(default) else None

    def refresh(self, model_dir: str | None) -> bool:
        """Load the fix model for ``model_dir`` if it changed; True if one is in use."""
        from tact.models.gate.errors import ModelLoadError
        from tact.models.gate.fix_runtime import FixModel

        with self._lock:
            target = self.locate(model_dir)
            watched = (target, _stamp(target))
            if watched == self._watched:
                return self.model is not None
            self._watched = watched
            if target is None:
                self.model = None
                return False
            try:
                self.model = FixModel.load(target)
                self._error = None
                log.info("fix model %s loaded from %s", self.model.version, target)
            except ModelLoadError as exc:
                kept = (f"keeping fix model {self.model.version}" if self.model is not None
                        else "showing every validated fix")
                message = f"tact: fix model refused: {exc}; {kept}"
                log.error("%s", message)
                if message != self._error and self.notify is not None:
                    self.notify(message)
                self._error = message
            return self.model is not None

    def decide(self, fix: Fix, *, rank: int, siblings: Sequence[Fix], precision: str,
               gate_settings: Any, rng: random.Random) -> FixVerdict:
        """Features, P(applied), and show/hide for ``fix`` (rank ``rank`` among
        ``siblings``). Without a model, or if the model fails, the fix is shown."""
        features = fix_features(fix, rank=rank, siblings=siblings, precision=precision)
        model = self.model
        if model is None:
            return FixVerdict(True, features)
        try:
            p: float | None = model.predict(features)
        except Exception:
            log.exception("the fix model failed on a fix; showing it")
            p = None
        if p is None:
            return FixVerdict(True, features, model_version=model.version)
        if not getattr(gate_settings, "enabled", True):  # gate off: show, but log P
            return FixVerdict(True, features, p, 1.0, model_version=model.version)
        from tact.models.gate.policy import GatePolicy

        d = GatePolicy.from_settings(gate_settings).decide(2, p, model, rng)
        return FixVerdict(d.show, features, p, d.propensity, d.explored, d.threshold,
                          model.version)


def fix_decision(fid: str, session: str, fix: Fix, verdict: FixVerdict, *,
                 document_hash: str | None, when: float, source: str = "tact",
                 outcome: Outcome = Outcome.UNKNOWN) -> Decision:
    """The telemetry record of one fix decision (shown or hidden)."""
    return Decision(
        id=fid, session=session, time=when, language="python", kind="fix",
        stage=Stage.SHOWN if verdict.show else Stage.HIDDEN, shown=verdict.show,
        p_accept=verdict.p_accept, propensity=verdict.propensity, explored=verdict.explored,
        model_version=verdict.model_version, engine="tact-fix", document_hash=document_hash,
        suggestion_hash=fid, suggestion_chars=len(fix.new_text), features=verdict.features,
        outcome=outcome, source=source)


__all__ = ["FixGate", "FixVerdict", "fix_decision"]
