"""Scoring recorded decisions with a gate model (``tact model score``).

CUPS files: one row per ``Shown`` event, ``session,time,p_accept`` with ``time``
exactly as written in the file, computed from that event and its session's past only
(the features come from a replay of the earlier events, see features.cups). tact
exports: ``id,p_accept_before,p_accept`` (stage-1 and stage-2 probabilities from the
features stored with each decision; stage 2 is empty for a decision that never had a
suggestion, i.e. one skipped by stage 1). Fix decisions get the fix model's
P(applied) in ``p_accept``, and decisions recorded without some of the current
schema's features (an older tact) are counted so the CLI can warn.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tact.models.gate.runtime import GateModel

_SUGGESTION_MARKER = "sug_chars"


def score_cups(path: str | Path, model: GateModel) -> Iterator[dict[str, Any]]:
    """``{"session", "time", "p_accept"}`` per Shown event, in file order."""
    from tact.models.features.cups import CupsFeaturizer
    from tact.telemetry.cups import cups_decisions, read_cups_events

    featurize = CupsFeaturizer()
    rows = []
    for d in cups_decisions(read_cups_events(path)):
        rows.append((d.line, d.session, d.time_str, featurize(d)))
    rows.sort(key=lambda r: r[0])
    if not rows:
        return
    probs = model.predict_many([r[3] for r in rows], 2)
    for (_, session, time_str, _), p in zip(rows, probs, strict=True):
        yield {"session": session, "time": time_str, "p_accept": f"{float(p):.6f}"}


@dataclass
class ExportScoreStats:
    """What :func:`score_export` met: filled in as its rows are consumed."""

    decisions: int = 0
    fixes: int = 0  # kind="fix": scored by the fix model, not the completion gate
    incomplete: int = 0  # recorded without some of this schema's features
    missing: Counter[str] = field(default_factory=Counter)

    def warning(self, schema: str) -> str | None:
        """One line for the user when scores rest on filled-in defaults."""
        if not self.incomplete:
            return None
        names = ", ".join(name for name, _ in self.missing.most_common(3))
        return (f"{self.incomplete} of {self.decisions} decisions lack features of {schema} "
                f"(e.g. {names}): recorded by an older tact? Defaults were filled in, so "
                "their scores are less reliable; re-record or retrain on them.")


def score_export(path: str | Path, model: GateModel, stats: ExportScoreStats | None = None,
                 fix_model: Any = None) -> Iterator[dict[str, Any]]:
    """``{"id", "p_accept_before", "p_accept"}`` per decision of a JSONL export.

    Fix decisions (``kind="fix"``) carry fix features, not completion features: the
    fix model (if given) scores them in ``p_accept`` and ``p_accept_before`` stays
    empty; the completion gate never sees them."""
    from tact.models.features.schema import SCHEMA
    from tact.telemetry.export import read_export

    stats = stats if stats is not None else ExportScoreStats()
    stage1, stage2 = set(SCHEMA.stage1_names), set(SCHEMA.stage2_names)
    for d in read_export(path):
        stats.decisions += 1
        if d.kind == "fix":
            stats.fixes += 1
            p = fix_model.predict(d.features) if fix_model is not None else None
            yield {"id": d.id, "p_accept_before": "",
                   "p_accept": "" if p is None else f"{p:.6f}"}
            continue
        has_suggestion = _SUGGESTION_MARKER in d.features
        absent = (stage2 if has_suggestion else stage1).difference(d.features)
        if absent:
            stats.incomplete += 1
            stats.missing.update(absent)
        p1 = model.predict_stage1(d.features)
        p2 = model.predict_stage2(d.features) if has_suggestion else None
        yield {
            "id": d.id,
            "p_accept_before": f"{p1:.6f}",
            "p_accept": "" if p2 is None else f"{p2:.6f}",
        }


def write_csv(rows: Iterator[dict[str, Any]], out: str | Path, columns: list[str]) -> int:
    """Write rows to ``out`` (via a temp file, so a failure leaves no half file)."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    n = 0
    try:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                n += 1
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n
