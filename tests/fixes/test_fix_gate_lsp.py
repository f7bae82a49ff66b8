"""End-to-end: the fix gate in `tact serve` over stdio (pytest-lsp) with real ONNX fix
models: a low P(applied) hides the quick fix (recorded as hidden, with p_accept), a high
one shows it, a new model is picked up without restart, a corrupt one is refused and
fixes are still offered."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest
from fixes_helpers import write_project
from lsprotocol import types
from pytest_lsp import LanguageClient
from tact.models.gate.estimators import CalibratedGate
from tact.models.gate.fixes import (
    FIX_MODEL_FILE,
    FixTrainer,
    TrainedFixModel,
    fix_dataset,
    save_fix_model,
)
from tact.telemetry.records import Decision, Outcome
from tact.telemetry.store import open_store
from test_lsp_fixes import actions, diagnostics, lsp_server, open_doc

BROKEN = "def area(w, h)\n    return w * h\n"


@pytest.fixture(scope="module")
def base_model() -> TrainedFixModel:
    """A real fix model trained on a few labelled fix decisions (first-ranked fixes
    applied more often)."""
    rng = random.Random(0)
    rows = []
    for i in range(80):
        rank = rng.randint(0, 2)
        ok = rng.random() < (0.8 if rank == 0 else 0.2)
        rows.append(Decision(
            id=f"d{i}", session=f"s{i % 8}", time=float(i), language="python", kind="fix",
            features={"fix_kind": "syntax", "fix_family": "insert", "fix_rank": rank,
                      "fix_edit_size": rng.randint(1, 5)},
            outcome=Outcome.ACCEPTED if ok else Outcome.REJECTED))
    return FixTrainer(candidates=("logreg",), n_splits=4).fit(fix_dataset(rows))


def write_fix_model(base: TrainedFixModel, out: Path, bias: float) -> None:
    """``base`` with its calibration replaced so that P(applied) = sigmoid(bias) for
    every fix: a real ONNX model whose answer the test knows."""
    model = CalibratedGate(base=base.model.base, a=0.0, b=bias, name=base.model.name)
    save_fix_model(dataclasses.replace(base, model=model), out)


def server(workspace: Path, gate: dict[str, Any]) -> Any:
    """A real server with these ``gate`` settings (see :func:`lsp_server`)."""
    return lsp_server(workspace, {"gate": gate})


async def fix_rows(client: LanguageClient, url: str) -> list[Decision]:
    await client.protocol.send_request_async("tact/status", {})  # flushes telemetry
    with open_store(url) as store:
        return [d for d in store.iter_decisions() if d.kind == "fix"]


def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def test_low_scored_fix_is_hidden_and_recorded_then_a_new_model_shows_it(
        tmp_path: Path, base_model: TrainedFixModel) -> None:
    model_dir = tmp_path / "model"
    write_fix_model(base_model, model_dir, bias=-6.0)  # P(applied) ~ 0.0025
    ws = write_project(tmp_path / "ws", {"app.py": BROKEN})
    gate = {"modelPath": str(model_dir), "exploration": 0, "mode": "utility", "cost": 0.2}
    async with server(ws, gate) as (client, url):
        uri = open_doc(client, ws / "app.py")
        diags = await diagnostics(client, uri, "syntax-error", timeout=20)
        assert await actions(client, uri, diags) == []  # the gate hid every fix
        rows = await fix_rows(client, url)
        assert rows and all(not d.shown and d.stage.value == "hidden" for d in rows)
        assert all(d.p_accept is not None and d.p_accept < 0.01 for d in rows)
        assert all(d.propensity == 0.0 and d.model_version and d.model_version.startswith("fix-")
                   for d in rows)
        assert rows[0].features["fix_family"] == "insert"
        # hover and diagnostics do not announce a hidden fix
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=diags[0].range.start))
        assert hover is not None and "Suggested fix" not in hover.contents.value

        # hot reload: a retrained model (high P) replaces it in the same directory
        write_fix_model(base_model, model_dir, bias=6.0)  # P(applied) ~ 0.9975
        change(client, uri, BROKEN + "\n", 2)
        diags = await diagnostics(client, uri, "syntax-error", timeout=20)
        found = await actions(client, uri, diags)
        assert found and found[0].title.startswith("Fix syntax")
        applied = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=found[0].command.command, arguments=found[0].command.arguments))
        assert applied is True
        rows = await fix_rows(client, url)
    shown = [d for d in rows if d.shown]
    assert shown and all(d.p_accept > 0.99 and d.propensity == 1.0 for d in shown)
    assert any(d.outcome is Outcome.ACCEPTED for d in shown)
    assert all(d.outcome is Outcome.UNKNOWN for d in rows if not d.shown)  # hidden: no label


async def test_high_scored_fix_is_shown(tmp_path: Path, base_model: TrainedFixModel) -> None:
    model_dir = tmp_path / "model"
    write_fix_model(base_model, model_dir, bias=6.0)
    ws = write_project(tmp_path / "ws", {"app.py": BROKEN})
    async with server(ws, {"modelPath": str(model_dir), "exploration": 0}) as (client, url):
        uri = open_doc(client, ws / "app.py")
        diags = await diagnostics(client, uri, "syntax-error", timeout=20)
        found = await actions(client, uri, diags)
        assert found and found[0].is_preferred
        rows = await fix_rows(client, url)
        assert len(rows) >= len(found) and all(d.shown and d.p_accept > 0.99 for d in rows)
        # the programmer types something else instead: the shown fixes become rejected
        change(client, uri, "def area(w, h):\n    return w * h\n", 2)
        for _ in range(200):  # bounded wait for the debounced syntax check
            rows = await fix_rows(client, url)
            if rows and all(d.outcome is Outcome.REJECTED for d in rows):
                break
            await asyncio.sleep(0.05)
    assert rows and all(d.outcome is Outcome.REJECTED for d in rows)


async def test_corrupt_fix_model_is_refused_and_fixes_still_offered(
        tmp_path: Path, base_model: TrainedFixModel) -> None:
    model_dir = tmp_path / "model"
    write_fix_model(base_model, model_dir, bias=-6.0)  # would hide everything if loaded
    blob = bytearray((model_dir / FIX_MODEL_FILE).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (model_dir / FIX_MODEL_FILE).write_bytes(bytes(blob))
    ws = write_project(tmp_path / "ws", {"app.py": BROKEN})
    async with server(ws, {"modelPath": str(model_dir), "exploration": 0}) as (client, url):
        uri = open_doc(client, ws / "app.py")
        diags = await diagnostics(client, uri, "syntax-error", timeout=20)
        found = await actions(client, uri, diags)
        assert found  # no usable fix model: every validated fix is shown
        rows = await fix_rows(client, url)
        refused = [m.message for m in client.messages if "fix model refused" in m.message]
    assert refused and "checksum differs" in refused[0]
    assert rows and all(d.shown and d.p_accept is None for d in rows)
