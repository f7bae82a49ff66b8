"""`tact model`: train, evaluate and apply the acceptance gate.

- ``tact model train [--telemetry URL | --export FILE | --cups FILE]... --out DIR``
- ``tact model eval [--model DIR] (--telemetry URL | --export FILE | --cups FILE)...
  --out REPORT_DIR``
- ``tact model score --format cups|tact FILE --out preds.csv [--model DIR]``

The work lives in ``tact.models.gate`` and ``tact.models.evaluation``; this module
only parses arguments, shows progress and turns known errors into one-line messages.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "model",
        help="train, evaluate and apply the acceptance gate",
        description="Train, evaluate and apply the acceptance gate (P(accept) models).",
    )
    msub = p.add_subparsers(dest="model_command", metavar="ACTION", parser_class=type(p))
    msub.required = True

    def sources(q: argparse.ArgumentParser) -> None:
        q.add_argument("--telemetry", action="append", default=[], metavar="URL",
                       help="telemetry store URL (sqlite:///path.db); repeatable")
        q.add_argument("--export", action="append", default=[], metavar="FILE",
                       help="JSONL telemetry export (tact telemetry export); repeatable")
        q.add_argument("--cups", action="append", default=[], metavar="FILE",
                       help="CUPS-format sessions file (JSONL events); repeatable")

    t = msub.add_parser("train", help="train both gate stages and write a model directory",
                        description="Train the two-stage gate on labelled decisions "
                        "(validated by session) and write stage1.onnx, stage2.onnx, card.json.")
    sources(t)
    t.add_argument("--replay", action="append", default=[], metavar="PATH",
                   help="also replay these source folders with the gate off (one session "
                   "each, `tact replay`) and train on that telemetry; `stdlib:NAME` names a "
                   "package of Python's standard library, `stdlib:*` all of it (one session "
                   "per package, then the top-level modules ten at a time); `site:NAME` a package "
                   "of site-packages, `site:default` the default gate's list; repeatable")
    t.add_argument("--replay-decisions", type=int, default=1200, metavar="N",
                   help="decisions per --replay session (default 1200)")
    t.add_argument("--replay-files", type=int, default=30, metavar="N",
                   help="files per --replay session (default 30)")
    t.add_argument("--replay-jobs", type=int, default=2, metavar="N",
                   help="replays run at once (default 2; the result does not depend on it)")
    t.add_argument("--out", required=True, metavar="DIR", help="model directory to write")
    t.add_argument("--models", default="logreg,hgb",
                   help="candidate models, comma-separated (default: logreg,hgb)")
    t.add_argument("--folds", type=int, default=5, help="session folds for validation")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--benefit", type=float, default=1.0,
                   help="utility of an accepted suggestion (card's utility threshold)")
    t.add_argument("--cost", type=float, default=0.2,
                   help="cost of a rejected suggestion (card's utility threshold)")
    t.add_argument("--exclude-features", default=None, metavar="NAMES",
                   help="comma-separated features the model must not use (default: the "
                   "acceptance-rate features, except in the model for tact's own engine; "
                   "'' to use every feature)")
    t.add_argument("--fix-model", choices=("auto", "only", "off"), default="auto",
                   help="also train the fix gate (fix.onnx, fix_card.json) from the kind=fix "
                   "decisions of --telemetry/--export: auto = when there are enough "
                   "(default), only = just the fix model, off = never")
    t.set_defaults(func=run_train)

    e = msub.add_parser("eval", help="write an evaluation report (Markdown + PNG plots)",
                        description="Cross-validate by session on the given data and write "
                        "report.md with ROC, calibration, hiding curve, operating points, "
                        "stage-1 skip share, feature importance and an ablation.")
    sources(e)
    e.add_argument("--model", metavar="DIR", default=None,
                   help="also score this model directory on the data (default: the shipped one)")
    e.add_argument("--out", required=True, metavar="REPORT_DIR")
    e.add_argument("--folds", type=int, default=None,
                   help="session folds (default: one per session up to 30 sessions)")
    e.add_argument("--seed", type=int, default=0)
    e.set_defaults(func=run_eval)

    s = msub.add_parser("score", help="write P(accept) for every decision of a file",
                        description="Score decisions with a gate model. cups: one row per "
                        "Shown event (session,time,p_accept); tact: one row per exported "
                        "decision (id,p_accept_before,p_accept).")
    s.add_argument("file", metavar="FILE")
    s.add_argument("--format", choices=("cups", "tact"), required=True)
    s.add_argument("--out", required=True, metavar="CSV")
    s.add_argument("--model", metavar="DIR", default=None,
                   help="model directory (default: the model shipped with tact)")
    s.set_defaults(func=run_score)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Known failures -> CliError (one line, exit 2)."""
    from tact.models.gate.errors import ModelLoadError, TrainingError
    from tact.server.cli.main import CliError
    from tact.telemetry.errors import TelemetryError

    try:
        yield
    except (ModelLoadError, TrainingError, TelemetryError) as exc:
        raise CliError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise CliError(f"{exc.filename}: no such file") from exc


@contextmanager
def _progress(total_label: str) -> Iterator[Callable[[str, float], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=console, transient=not console.is_terminal,
    ) as bar:
        task = bar.add_task(total_label, total=1.0)

        def update(message: str, fraction: float) -> None:
            bar.update(task, description=message, completed=fraction)

        yield update


def _check_sources(args: argparse.Namespace) -> None:
    from tact.server.cli.main import CliError

    if not (args.telemetry or args.export or args.cups or getattr(args, "replay", None)):
        raise CliError(
            "give at least one data source: --telemetry URL, --export FILE or --cups FILE"
        )
    for path in [*args.export, *args.cups]:
        if not Path(path).is_file():
            raise CliError(f"{path}: no such file")


def _load(args: argparse.Namespace) -> Any:
    from tact.models.gate.data import load_sources

    with _user_errors():
        return load_sources(args.telemetry, args.export, args.cups)


def _source_labels(args: argparse.Namespace) -> list[str]:
    return ([f"telemetry {u}" for u in args.telemetry] + [f"export {p}" for p in args.export]
            + [f"cups {p}" for p in args.cups])


def _replay_sessions(specs: list[str]) -> list[list[str]]:
    """Each --replay spec as the path lists of its sessions (``stdlib:`` expanded)."""
    import sysconfig

    from tact.server.cli.main import CliError
    from tact.server.replay.sources import site_sessions, stdlib_sessions

    sessions: list[list[str]] = []
    for spec in specs:
        if spec.startswith("stdlib:"):  # Python's standard library: a package, or `*`
            stdlib = Path(sysconfig.get_paths()["stdlib"])
            found = [[str(p) for p in paths]
                     for paths in stdlib_sessions(spec.split(":", 1)[1], stdlib)]
        elif spec.startswith("site:"):  # installed third-party code: a package, `default`
            try:
                found = [[str(p) for p in paths] for paths in site_sessions(
                    spec.split(":", 1)[1], Path(sysconfig.get_paths()["purelib"]))]
            except ValueError as exc:
                raise CliError(str(exc)) from None
        else:
            found = [[spec]]
        for paths in found:
            for path in paths:
                if not Path(path).exists():
                    raise CliError(f"{path}: no such file or folder to replay")
        sessions += found
    return sessions


def _replay_one(args: argparse.Namespace, paths: list[str], url: str, seed: int,
                log: Path, label: str) -> None:
    """One replay session through a real server (gate off) into its own store; its
    stderr goes to ``log`` (a file: a full pipe would block the child)."""
    import subprocess

    from tact.server.cli.main import CliError

    print(f"replaying {' '.join(paths)} (seed {seed}; {label})", file=sys.stderr)
    with log.open("w") as err:
        r = subprocess.run(
            [sys.executable, "-m", "tact", "replay", *paths, "--telemetry", url,
             "--gate", "off", "--seed", str(seed), "--json",
             "--max-decisions", str(args.replay_decisions),
             "--limit-files", str(args.replay_files)],
            stdout=subprocess.DEVNULL, stderr=err, text=True, check=False,
        )
    if r.returncode != 0:
        last = (log.read_text().strip().splitlines() or ["no message"])[-1]
        raise CliError(f"replay of {' '.join(paths)} failed: {last}")


def _run_replays(args: argparse.Namespace, tmp: str) -> list[str]:
    """Replay each --replay session through a real server (gate off), each into its
    own temporary store; returns their URLs in session order. Seeds are --seed + 1,
    + 2, ... and the stores are read in that order, so the recipe is repeatable
    however many replays run at once (``--replay-jobs``). The first failure stops the
    sessions not yet started and is raised."""
    from concurrent.futures import ThreadPoolExecutor

    sessions = _replay_sessions(args.replay)
    urls = [f"sqlite:///{Path(tmp) / f'replay-{i:03d}.db'}" for i in range(len(sessions))]
    with ThreadPoolExecutor(max_workers=max(1, args.replay_jobs)) as pool:
        futures = []
        for i, paths in enumerate(sessions):
            futures.append(pool.submit(
                _replay_one, args, paths, urls[i], args.seed + i + 1,
                Path(tmp) / f"replay-{i:03d}.log", f"{i + 1}/{len(sessions)}",
            ))
        try:
            for future in futures:
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return urls


def run_train(args: argparse.Namespace) -> int:
    from tact.models.gate.train import DEFAULT_EXCLUDED
    from tact.server.cli.main import CliError

    _check_sources(args)
    fix_sources = list(args.telemetry)  # before replay adds its temporary store
    if args.fix_model == "only":
        _train_fix(args, fix_sources, required=True)
        return 0
    candidates = [m.strip() for m in args.models.split(",") if m.strip()]
    if args.benefit < 0 or args.cost < 0 or args.benefit + args.cost <= 0:
        raise CliError("--benefit and --cost must be non-negative and not both zero")
    exclude = DEFAULT_EXCLUDED if args.exclude_features is None else tuple(
        n.strip() for n in args.exclude_features.split(",") if n.strip()
    )
    with tempfile.TemporaryDirectory(prefix="tact-replay-") as tmp:
        replay_urls = _run_replays(args, tmp) if args.replay else []
        sources = _source_labels(args) + [f"replay {p}" for p in args.replay]
        args.telemetry = [*args.telemetry, *replay_urls]
        data = _load(args)
    _train_and_save(args, data, candidates, exclude, sources)
    if args.fix_model == "auto":
        _train_fix(args, fix_sources, required=False)
    return 0


def _train_and_save(args: argparse.Namespace, data: Any, candidates: list[str],
                    exclude: tuple[str, ...], sources: list[str]) -> None:
    from tact.models.gate.modeldir import save_model
    from tact.models.gate.train import ENGINE_DEFAULT_EXCLUDED, GateTrainer

    print(f"training on {len(data)} labelled decisions from "
          f"{len(set(data.groups.tolist()))} sessions", file=sys.stderr)
    with _user_errors(), _progress("training") as progress:
        # An explicit --exclude-features applies to every model; by default the
        # engine-side model keeps the acceptance-rate features (see train.py).
        engine_exclude = ENGINE_DEFAULT_EXCLUDED if args.exclude_features is None else None
        trained = GateTrainer(candidates=candidates, n_splits=args.folds, seed=args.seed,
                              exclude_features=exclude,
                              engine_exclude_features=engine_exclude).fit(data, progress=progress)
        card = save_model(trained, args.out, benefit=args.benefit, cost=args.cost,
                          notes={"sources": sources,
                                 "command": "tact " + " ".join(sys.argv[1:])
                                 if sys.argv[0].endswith(("tact", "__main__.py")) else None})
    for stage in ("1", "2"):
        st = card["stages"][stage]
        v = st["validation"]
        op = v.get("operating_points", {}).get("5", {})
        print(f"stage {stage}: {st['model']}, validation AUC {v['auc']:.3f}, "
              f"at 5% of accepted hidden: {op.get('rejected_hidden_percent', 0):.1f}% of "
              f"rejected hidden")
    print(f"model {card['version']} written to {args.out}")


def run_eval(args: argparse.Namespace) -> int:
    from tact.models.evaluation.crossval import cross_validate, headline
    from tact.models.evaluation.report import ModelScores, write_report
    from tact.models.gate.runtime import GateModel

    _check_sources(args)
    with _user_errors():
        model = GateModel.load(args.model)
    data = _load(args)
    with _user_errors(), _progress("evaluating") as progress:
        cv = cross_validate(data, n_splits=args.folds, seed=args.seed, progress=progress)
    given = ModelScores(
        version=model.version, path=str(model.path),
        p1=model.predict_many(data.features, 1).astype(float),
        p2=model.predict_many(data.features, 2).astype(float), card=model.card,
    )
    path = write_report(args.out, data, cv, given, _source_labels(args))
    h = headline(cv)
    (Path(args.out) / "summary.json").write_text(json.dumps(h, indent=2) + "\n")
    print(f"unseen sessions ({h['folds']} folds): stage-2 AUC {h['stage2_auc']:.3f}, "
          f"{h['rejected_hidden_at_5pct_accepted']:.1f}% of rejected hidden at 5% of accepted; "
          f"stage 1 skips {h['stage1_skipped_at_5pct_accepted']:.1f}% at 5%")
    print(f"report written to {path}")
    return 0


def run_score(args: argparse.Namespace) -> int:
    from tact.models.evaluation.score import (
        ExportScoreStats,
        score_cups,
        score_export,
        write_csv,
    )
    from tact.models.gate.runtime import GateModel
    from tact.server.cli.main import CliError

    if not Path(args.file).is_file():
        raise CliError(f"{args.file}: no such file")
    with _user_errors():
        model = GateModel.load(args.model)
        if args.format == "cups":
            n = write_csv(score_cups(args.file, model), args.out, ["session", "time", "p_accept"])
        else:
            stats = ExportScoreStats()
            n = write_csv(score_export(args.file, model, stats, _fix_model(args.model)),
                          args.out, ["id", "p_accept_before", "p_accept"])
            warning = stats.warning(f"{model.schema.name} v{model.schema.version}")
            if warning:
                print(f"tact model score: warning: {warning}", file=sys.stderr)
    print(f"{n} rows written to {args.out} (model {model.version})")
    return 0


def _fix_model(model_dir: str | None) -> Any:
    """The fix model that goes with ``model_dir`` (or the packaged one), or None: fix
    decisions in an export are then left unscored rather than failing the run."""
    from tact.server.fixes.gating import FixGate

    gate = FixGate(notify=lambda message: print(message, file=sys.stderr))
    return gate.model if gate.refresh(model_dir) else None


def _train_fix(args: argparse.Namespace, telemetry: list[str], required: bool) -> None:
    """The fix gate (``tact.models.gate.fixes``) from the fix decisions of the same
    stores and exports, written next to the completion gate's files in ``--out``."""
    from tact.models.gate.fixes import FixTrainer, load_fix_data, not_enough, save_fix_model
    from tact.server.cli.main import CliError

    with _user_errors():
        data = load_fix_data(telemetry, args.export)
    why = not_enough(data)
    if why:
        if required:
            raise CliError(f"fix model not trained: {why}")
        print(f"fix model: not trained ({why})", file=sys.stderr)
        return
    with _user_errors():
        trained = FixTrainer(n_splits=args.folds, seed=args.seed).fit(data)
        card = save_fix_model(trained, args.out, benefit=args.benefit, cost=args.cost,
                              notes={"sources": [f"telemetry {u}" for u in telemetry]
                                     + [f"export {p}" for p in args.export],
                                     "command": "tact " + " ".join(sys.argv[1:])
                                     if sys.argv[0].endswith(("tact", "__main__.py")) else None})
    v = card["model"]["validation"]
    op = (v.get("operating_points") or {}).get("5", {})
    auc = "n/a" if v.get("auc") is None else f"{v['auc']:.3f}"
    print(f"fix model: {card['model']['estimator']} on {len(data)} fix decisions from "
          f"{card['data']['sessions']} sessions, validation AUC {auc}, at 5% of applied "
          f"hidden: {op.get('rejected_hidden_percent', 0):.1f}% of not applied hidden; "
          f"{card['version']} written to {args.out}")
