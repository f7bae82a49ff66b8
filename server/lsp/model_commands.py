"""The gate-model commands: ``tact.trainModel`` and ``tact.modelReport``.

Both are minutes of CPU work on a real store, so they run in a worker thread while
the server keeps answering completions; training reports ``$/progress`` (work-done
progress) when the client supports it, so the editor can show a progress bar. A
failure (too little data, an unreadable store) becomes a one-line JSON-RPC error and
a message to the user; nothing half-written is loaded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError
from tact.server.pipeline.gate import data_dir, trained_models_dir

log = logging.getLogger("tact.model")

TRAIN_MODEL = "tact.trainModel"
MODEL_REPORT = "tact.modelReport"


class CommandFailed(JsonRpcInternalError):
    """A user-facing failure of a model command (message is one line)."""


def _stamped_dir(root: Path) -> Path:
    """A new directory name under ``root``: the UTC time, sortable (newest last)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = root / stamp
    n = 1
    while path.exists():
        n += 1
        path = root / f"{stamp}-{n}"
    return path


class WorkDone:
    """``$/progress`` for one long command, or nothing if the client cannot show it."""

    def __init__(self, ls: Any, title: str) -> None:
        self.ls = ls
        self.title = title
        self.token: str | None = None
        self.loop = asyncio.get_running_loop()

    async def begin(self) -> None:
        window = getattr(self.ls.client_capabilities, "window", None)
        if not getattr(window, "work_done_progress", False):
            return
        token = f"tact-{uuid.uuid4().hex}"
        try:
            await asyncio.wait_for(self.ls.work_done_progress.create_async(token), 10)
        except Exception as exc:  # the client refused or never answered: no progress
            log.info("no work-done progress: %s", exc)
            return
        self.token = token
        self.ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=self.title, percentage=0)
        )

    def report_threadsafe(self, message: str, fraction: float | None = None) -> None:
        """The trainer's progress callback (called from the worker thread)."""
        if self.token is None:
            return
        pct = None if fraction is None else max(0, min(100, round(100 * fraction)))
        value = types.WorkDoneProgressReport(message=str(message), percentage=pct)
        self.loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token, value)

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.token = None


async def _run(ls: Any, title: str, work: Callable[[WorkDone], Any]) -> Any:
    progress = WorkDone(ls, title)
    await progress.begin()
    try:
        result = await asyncio.get_running_loop().run_in_executor(None, work, progress)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = f"{title} failed: {first}"
        progress.end(message)
        log.error("%s", message)
        ls.notify_user(message)
        raise CommandFailed(message=message) from exc
    progress.end("done")
    return result


async def train_model(ls: Any) -> dict[str, Any]:
    """Train on the configured store into ``<data dir>/tact/models/<UTC time>`` and
    load the result; returns ``{"modelDir", "version"}``."""
    pipeline = ls.pipeline
    if pipeline is None:
        raise CommandFailed(message="tact.trainModel: the server is not initialized")
    if getattr(ls, "training", False):
        raise CommandFailed(message="tact.trainModel: a training run is already in progress")
    url = ls.settings.telemetry.url
    gate = ls.settings.gate
    out = _stamped_dir(trained_models_dir())

    def work(progress: WorkDone) -> dict[str, Any]:
        from tact.models.gate.modeldir import train_model as train

        pipeline.flush(30.0)  # everything decided so far is in the store
        progress.report_threadsafe(f"reading {url}", 0.0)
        card = train(
            out,
            telemetry=[url],
            progress=progress.report_threadsafe,
            benefit=gate.benefit,
            cost=gate.cost,
        )
        from tact.models.gate.fixes import train_fix_if_enough  # the fix gate, if it can

        fix = train_fix_if_enough(out, telemetry=[url], benefit=gate.benefit, cost=gate.cost)
        card = {**card, "fix": fix and fix.get("version")}
        return card

    ls.training = True
    try:
        card = await _run(ls, "tact: training the gate model", work)
    finally:
        ls.training = False
    version = pipeline.reload_gate(str(out))
    log.info("trained gate model %s in %s", card.get("version"), out)
    return {"modelDir": str(out), "version": version}


async def model_report(ls: Any) -> dict[str, Any]:
    """Evaluate the model in use on the configured store; returns ``{"path"}`` of the
    Markdown report (with PNG plots next to it)."""
    pipeline = ls.pipeline
    if pipeline is None:
        raise CommandFailed(message="tact.modelReport: the server is not initialized")
    url = ls.settings.telemetry.url
    model = getattr(pipeline.gate, "model", None)
    model_path = getattr(model, "path", None)
    out = _stamped_dir(data_dir() / "reports")

    def work(progress: WorkDone) -> Path:
        from tact.models.evaluation.report import evaluate_to_report

        pipeline.flush(30.0)
        return evaluate_to_report(
            out, telemetry=[url], model_path=model_path, progress=progress.report_threadsafe
        )

    path = await _run(ls, "tact: writing the gate model report", work)
    return {"path": str(path)}
