"""The evaluation report of ``tact model eval``: Markdown plus matplotlib PNGs.

Two views of the same data:

- *Unseen programmers* (the headline): session-fold cross-validation, every
  prediction from a model that never saw that session; with ROC, calibration, the
  hiding curve, operating points at 1/5/10% of accepted hidden, the share of
  generations stage 1 would skip, permutation importance and the ablation without
  programmer-state features.
- *The given model* (optional): the shipped or trained model scored on the data as is;
  optimistic if the model was trained on these sessions (the report says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tact.models.evaluation import metrics
from tact.models.evaluation.crossval import (
    CVResult,
    headline,
    per_session_auc,
    permutation_importance,
)
from tact.models.gate.data import GateDataset

BUDGETS = (1.0, 5.0, 10.0)


@dataclass
class ModelScores:
    """A given model's stage-1 and stage-2 predictions on the evaluation data."""

    version: str
    path: str
    p1: np.ndarray
    p2: np.ndarray
    card: dict[str, Any]


def _fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _plots(out: Path, cv: CVResult, given: ModelScores | None,
           importance: list[tuple[str, float]]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    y, w = cv.y, cv.w
    curves = {
        "stage 2 (all features)": cv.stages[2].p,
        "stage 1 (context + state)": cv.stages[1].p,
    }
    if cv.ablation_no_state is not None:
        curves["stage 2 without programmer state"] = cv.ablation_no_state.p
    files = {}

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for label, p in curves.items():
        fpr, tpr = metrics.roc_points(y, p, w)
        ax.plot(fpr, tpr, label=f"{label}: AUC {_fmt(metrics.auc(y, p, w))}")
    if given is not None:
        fpr, tpr = metrics.roc_points(y, given.p2, w)
        ax.plot(fpr, tpr, "--", label=f"given model: AUC {_fmt(metrics.auc(y, given.p2, w))}")
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate",
           title="ROC (unseen sessions)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "roc.png", dpi=110)
    plt.close(fig)
    files["roc"] = "roc.png"

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for label, p in list(curves.items())[:2]:
        table = metrics.calibration_bins(y, p, 10, w)
        ax.plot([b["mean_p"] for b in table], [b["rate"] for b in table], "o-", label=label)
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set(xlabel="predicted P(accept)", ylabel="observed acceptance rate",
           title="Calibration (unseen sessions)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=110)
    plt.close(fig)
    files["calibration"] = "calibration.png"

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for label, p in list(curves.items())[:2]:
        pts = metrics.hiding_curve(y, p, w)
        ax.plot([q.accepted_hidden_percent for q in pts],
                [q.rejected_hidden_percent for q in pts], label=label)
    for b in BUDGETS:
        ax.axvline(b, color="grey", lw=0.6, ls=":")
    ax.plot([0, 100], [0, 100], ":", color="grey")
    ax.set(xlabel="% of accepted suggestions hidden", ylabel="% of rejected suggestions hidden",
           title="Hiding curve (unseen sessions)", xlim=(0, 40))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "hiding.png", dpi=110)
    plt.close(fig)
    files["hiding"] = "hiding.png"

    if importance:
        top = importance[:20][::-1]
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.barh([n for n, _ in top], [v for _, v in top])
        ax.set(xlabel="AUC drop when shuffled", title="Permutation importance (stage 2)")
        ax.tick_params(axis="y", labelsize=7)
        fig.tight_layout()
        fig.savefig(out / "importance.png", dpi=110)
        plt.close(fig)
        files["importance"] = "importance.png"
    return files


def write_report(
    out_dir: str | Path,
    data: GateDataset,
    cv: CVResult,
    given: ModelScores | None = None,
    sources: list[str] | None = None,
) -> Path:
    """Write ``report.md`` and its PNGs into ``out_dir``; returns the Markdown path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    importance = permutation_importance(cv.stages[2], data)
    files = _plots(out, cv, given, importance)
    y, w = cv.y, cv.w
    h = headline(cv)
    s2, s1 = cv.stages[2], cv.stages[1]
    lines = [
        "# tact acceptance gate: evaluation report",
        "",
        f"Data: {', '.join(sources or [])}  ",
        f"{len(data)} labelled decisions from {len(np.unique(data.groups))} sessions, "
        f"acceptance rate {np.average(y, weights=w):.1%}"
        + (f", {int((w != 1).sum())} explored (inverse-propensity weighted)" if (w != 1).any()
           else ""),
        "",
        "## Unseen programmers (session-fold cross-validation)",
        "",
        f"Each decision is scored by a model trained without its session ({cv.folds} folds; "
        "candidates chosen per fold set by pooled AUC, Platt-calibrated).",
        "",
        "| | AUC | % rejected hidden at 5% of accepted hidden |",
        "|---|---|---|",
        f"| stage 2, all features ({s2.model}) | {_fmt(h['stage2_auc'])} | "
        f"{h['rejected_hidden_at_5pct_accepted']:.1f}% |",
    ]
    if cv.ablation_no_state is not None:
        ab = cv.ablation_no_state
        lines.append(
            f"| stage 2 without programmer-state features ({ab.model}) | "
            f"{_fmt(metrics.auc(y, ab.p, w))} | "
            f"{metrics.operating_point(y, ab.p, 5.0, w).rejected_hidden_percent:.1f}% |"
        )
    lines += [
        f"| stage 1, context + state only ({s1.model}) | {_fmt(h['stage1_auc'])} | "
        f"{metrics.operating_point(y, s1.p, 5.0, w).rejected_hidden_percent:.1f}% |",
        "",
        "Candidates (pooled out-of-fold AUC): stage 2 "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in s2.candidates.items())
        + "; stage 1 "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in s1.candidates.items()),
        "",
        f"![ROC]({files['roc']})",
        "",
        "### Operating points (stage 2: hide iff P(accept) < threshold)",
        "",
        "| accepted hidden (budget) | threshold | accepted hidden | rejected hidden | "
        "all hidden |",
        "|---|---|---|---|---|",
    ]
    for b in BUDGETS:
        op = metrics.operating_point(y, s2.p, b, w)
        lines.append(
            f"| <= {b:g}% | {op.threshold:.3f} | {op.accepted_hidden_percent:.1f}% | "
            f"{op.rejected_hidden_percent:.1f}% | {op.hidden_percent:.1f}% |"
        )
    lines += [
        "",
        f"![Hiding curve]({files['hiding']})",
        "",
        "### Stage 1: generations skipped before generating",
        "",
        "| accepted lost (budget) | threshold | generations skipped | accepted lost |",
        "|---|---|---|---|",
    ]
    for b in BUDGETS:
        op = metrics.operating_point(y, s1.p, b, w)
        lines.append(
            f"| <= {b:g}% | {op.threshold:.3f} | {op.hidden_percent:.1f}% | "
            f"{op.accepted_hidden_percent:.1f}% |"
        )
    lines += [
        "",
        "### Calibration",
        "",
        f"Brier score stage 2: {_fmt(metrics.summary(y, s2.p, w)['brier'])}.",
        "",
        f"![Calibration]({files['calibration']})",
        "",
        "### Feature importance (stage 2, permutation, AUC drop)",
        "",
        "| feature | AUC drop |",
        "|---|---|",
    ]
    lines += [f"| `{n}` | {v:+.4f} |" for n, v in importance[:20]]
    if "importance" in files:
        lines += ["", f"![Importance]({files['importance']})"]
    lines += ["", "### Per session (stage 2 AUC)", "", "| session | decisions | AUC |",
              "|---|---|---|"]
    for g, a in per_session_auc(s2, data).items():
        lines.append(f"| {g} | {int((data.groups == g).sum())} | {_fmt(a)} |")
    if given is not None:
        lines += [
            "",
            "## The given model on this data",
            "",
            f"Model `{given.version}` from `{given.path}`. If it was trained on these "
            "sessions this is in-sample and optimistic; the section above is the honest "
            "estimate.",
            "",
            f"- stage 2 AUC {_fmt(metrics.auc(y, given.p2, w))}, stage 1 AUC "
            f"{_fmt(metrics.auc(y, given.p1, w))}",
        ]
        thr = given.card.get("thresholds", {})
        u = (thr.get("utility") or {}).get("threshold")
        if u is not None:
            op = metrics.at_threshold(y, given.p2, float(u), w)
            lines.append(
                f"- utility threshold {u:.3f}: hides {op.hidden_percent:.1f}% "
                f"({op.accepted_hidden_percent:.1f}% of accepted, "
                f"{op.rejected_hidden_percent:.1f}% of rejected)"
            )
        five = (thr.get("max_accepted_hidden") or {}).get("5")
        if five:
            op = metrics.at_threshold(y, given.p2, float(five["stage2"]), w)
            sk = metrics.at_threshold(y, given.p1, float(five["stage1"]), w)
            lines.append(
                f"- card's 5% operating point: stage 2 hides {op.accepted_hidden_percent:.1f}% "
                f"of accepted and {op.rejected_hidden_percent:.1f}% of rejected; stage 1 skips "
                f"{sk.hidden_percent:.1f}% of generations losing "
                f"{sk.accepted_hidden_percent:.1f}% of accepted"
            )
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def evaluate_to_report(
    out_dir: str | Path,
    *,
    telemetry: list[str] | tuple[str, ...] = (),
    exports: list[str] | tuple[str, ...] = (),
    cups: list[str] | tuple[str, ...] = (),
    model_path: str | Path | None = None,
    progress: Any = None,
) -> Path:
    """Cross-validate on the sources and write the report (``tact.modelReport``);
    returns the path of ``report.md``. ``model_path`` None: the shipped model."""
    from tact.models.evaluation.crossval import cross_validate
    from tact.models.gate.data import load_sources
    from tact.models.gate.runtime import GateModel

    model = GateModel.load(model_path)
    data = load_sources(list(telemetry), list(exports), list(cups))
    cv = cross_validate(data, progress=progress)
    given = ModelScores(
        version=model.version, path=str(model.path),
        p1=model.predict_many(data.features, 1).astype(float),
        p2=model.predict_many(data.features, 2).astype(float), card=model.card,
    )
    labels = [f"telemetry {u}" for u in telemetry] + [f"export {p}" for p in exports]
    labels += [f"cups {p}" for p in cups]
    return write_report(out_dir, data, cv, given, labels)
