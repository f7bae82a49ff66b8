"""Replay: a simulated programmer types source files through the real server.

The programmer types each file in order into an initially empty document, pausing at
natural points (:mod:`.segment`) with probabilities and durations from its latent
state (:mod:`.programmer`). At every pause the editor asks for an inline completion;
a shown suggestion is judged by :mod:`.acceptance`: accepted (the ``tact.accept``
command, then the programmer skips past the accepted text), partially accepted, or
ignored (the programmer keeps typing and the server infers the rejection).

No leakage: the server sees the current file only up to the cursor, and a file joins
the workspace on disk (and is saved to the server, which learns it) only once it is
finished. Time is simulated (``tact/replayClock``), so hours of typing replay in
seconds and the server's timeouts and programmer-state features follow the simulated
clock. A seed fixes everything but the measured latencies.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lsprotocol import types
from tact.server.replay.acceptance import judge
from tact.server.replay.client import ReplayClient
from tact.server.replay.programmer import Programmer
from tact.server.replay.segment import natural_points
from tact.server.replay.sources import SourceFile
from tact.server.replay.summary import Summary

# Simulated sessions start at a fixed moment so a seed gives identical telemetry.
START_TIME = 1_767_603_600.0  # 2026-01-05 09:00 UTC
# A short pause between files (opening the next one).
BETWEEN_FILES_S = 20.0


class ReplayError(Exception):
    """The server failed during a replay (its stderr tail is in the message)."""


@dataclass(slots=True)
class ReplayOptions:
    telemetry_url: str
    seed: int = 0
    max_decisions: int | None = None
    gate: bool = True
    model_path: str | None = None  # the gate model directory (None: the server's default)
    min_partial_chars: int = 4


ProgressHook = Callable[[SourceFile | None, int, Summary], None]


class _Cursor:
    """The end of the typed text, as an LSP position (UTF-16 columns)."""

    def __init__(self) -> None:
        self.offset = 0
        self.line = 0
        self.line_start = 0

    def advance(self, text: str, upto: int) -> None:
        newlines = text.count("\n", self.offset, upto)
        if newlines:
            self.line += newlines
            self.line_start = text.rfind("\n", self.offset, upto) + 1
        self.offset = upto

    def position(self, text: str) -> types.Position:
        column = text[self.line_start : self.offset]
        return types.Position(line=self.line, character=len(column.encode("utf-16-le")) // 2)


async def replay(
    files: list[SourceFile],
    options: ReplayOptions,
    progress: ProgressHook | None = None,
) -> Summary:
    rng = np.random.default_rng(options.seed)
    programmer = Programmer.draw(rng)
    summary = Summary()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tact-replay-") as tmp:
        workspace = Path(tmp)
        client = ReplayClient()
        await client.launch(["--telemetry", options.telemetry_url])
        try:
            gate: dict[str, object] = {"enabled": options.gate}
            if options.model_path is not None:
                gate["modelPath"] = options.model_path
            await client.initialize_workspace(workspace, {"gate": gate})
            now = START_TIME
            client.clock(now, seed=options.seed)
            for source in files:
                if _done(summary, options):
                    break
                now = await _type_file(
                    client, workspace, source, programmer, rng, now, options, summary, progress
                )
                now += BETWEEN_FILES_S
                summary.files += 1
            status = await client.status(flush=True)
            _update_counts(summary, status)
            summary.simulated_seconds = now - START_TIME
        except (RuntimeError, ConnectionError, BrokenPipeError, TimeoutError) as exc:
            raise ReplayError(f"the server failed: {exc}\n{client.last_words()}") from exc
        finally:
            await client.close_session()
    summary.wall_seconds = time.perf_counter() - started
    if progress:
        progress(None, 0, summary)
    return summary


def _done(summary: Summary, options: ReplayOptions) -> bool:
    return options.max_decisions is not None and summary.decisions >= options.max_decisions


async def _count_decisions(
    client: ReplayClient, summary: Summary, options: ReplayOptions, shown: bool
) -> None:
    """Keep ``summary.decisions`` exact enough for ``--max-decisions`` without asking the
    server after every request: a request adds at most one decision, so after learning
    the count D the next question is due only ``max - D`` requests later."""
    summary.shown += shown
    summary.decisions += shown  # a lower bound until the server is asked
    if options.max_decisions is None:
        return
    summary.unchecked_requests += 1
    if summary.decisions + summary.unchecked_requests >= options.max_decisions:
        _update_counts(summary, await client.status(flush=False))
        summary.unchecked_requests = 0


def _update_counts(summary: Summary, status: dict[str, object]) -> None:
    summary.shown = int(status.get("shownSession", 0))  # type: ignore[arg-type]
    summary.hidden = int(status.get("hiddenSession", 0))  # type: ignore[arg-type]
    summary.skipped = int(status.get("skippedSession", 0))  # type: ignore[arg-type]
    summary.decisions = summary.shown + summary.hidden + summary.skipped


async def _type_file(
    client: ReplayClient,
    workspace: Path,
    source: SourceFile,
    programmer: Programmer,
    rng: np.random.Generator,
    now: float,
    options: ReplayOptions,
    summary: Summary,
    progress: ProgressHook | None,
) -> float:
    text = source.text
    target = workspace / source.relative
    uri = target.as_uri()
    client.clock(now)
    client.open(uri, source.language, "")
    version = 1
    cursor = _Cursor()
    for offset, kind in natural_points(text):
        if offset <= cursor.offset or not programmer.pauses(kind, rng):
            continue
        if _done(summary, options):
            break
        # Type up to the pause point.
        chunk = text[cursor.offset : offset]
        position = cursor.position(text)
        now += programmer.typing_time(len(chunk), rng)
        client.clock(now)
        version += 1
        client.insert(uri, version, position, chunk)
        cursor.advance(text, offset)
        summary.chars_typed += len(chunk)

        # Pause: the editor asks for a suggestion.
        sent = time.perf_counter()
        result = await client.inline(uri, cursor.position(text))
        summary.latencies_ms.append((time.perf_counter() - sent) * 1000.0)
        summary.requests += 1
        shown_here = result is not None and bool(result.items)
        await _count_decisions(client, summary, options, shown_here)
        pause = programmer.pause_length(kind, rng)
        item = result.items[0] if result is not None and result.items else None
        if item is None or not isinstance(item.insert_text, str):
            now += pause
            _report(progress, source, cursor.offset, summary)
            continue
        suggestion_id = (
            str(item.command.arguments[0]) if item.command and item.command.arguments else ""
        )
        client.did_show(suggestion_id)
        verdict = judge(item.insert_text, text[cursor.offset :], options.min_partial_chars)
        if verdict.kind == "none":
            now += pause
        else:
            now += min(programmer.reaction_time(rng), pause)
            client.clock(now)
            accepted = item.insert_text[: verdict.chars]
            version += 1
            client.insert(uri, version, cursor.position(text), accepted)
            if verdict.kind == "full":
                await client.accept(suggestion_id)
                summary.accepted_full += 1
            else:
                client.did_partially_accept(suggestion_id, verdict.chars)
                summary.accepted_partial += 1
            cursor.advance(text, cursor.offset + verdict.chars)
            summary.chars_saved += verdict.chars
        _report(progress, source, cursor.offset, summary)

    # Finish the file, then it joins the workspace (on disk and in the engine).
    rest = text[cursor.offset :]
    if rest:
        now += programmer.typing_time(len(rest), rng)
        client.clock(now)
        version += 1
        client.insert(uri, version, cursor.position(text), rest)
        summary.chars_typed += len(rest)
        cursor.advance(text, len(text))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    client.save_and_close(uri)
    _report(progress, source, len(text), summary)
    return now


def _report(
    progress: ProgressHook | None, source: SourceFile, offset: int, summary: Summary
) -> None:
    if progress is not None:
        progress(source, offset, summary)


def run_replay(
    files: list[SourceFile], options: ReplayOptions, progress: ProgressHook | None = None
) -> Summary:
    return asyncio.run(replay(files, options, progress))
