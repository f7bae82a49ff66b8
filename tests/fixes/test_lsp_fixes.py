"""End-to-end: `tact serve` over stdio (pytest-lsp), diagnostics and quick fixes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fixes_helpers import (
    ADULT,
    CALC_BUGGY,
    RUNAWAY,
    TEST_ADULT,
    TEST_CALC,
    TEST_RUNAWAY,
    write_project,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient


@asynccontextmanager
async def lsp_server(
    workspace: Path, tact: dict[str, Any]
) -> AsyncIterator[tuple[LanguageClient, str]]:
    """A real `tact serve` over stdio, initialized on ``workspace`` with the ``tact``
    settings (plus a telemetry store beside it); yields the client and the store URL."""
    url = f"sqlite:///{workspace.parent / 'telemetry.db'}"
    config = ClientServerConfig(server_command=[sys.executable, "-m", "tact", "serve"],
                                server_env={**os.environ, "PYTHONUNBUFFERED": "1"})
    client = await config.start()
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options={"tact": {"telemetry": {"url": url}, **tact}}))
        yield client, url
        await client.shutdown_session()
    finally:
        proc = client._server
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 5)
        if proc is not None and proc.returncode is None:
            proc.kill()
        await client.stop()


def server(workspace: Path, fixes: dict[str, Any]) -> Any:
    """:func:`lsp_server` with these ``fixes`` settings."""
    return lsp_server(workspace, {"fixes": fixes})


def open_doc(client: LanguageClient, path: Path) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                             text=path.read_text())))
    return uri


async def run_tests(client: LanguageClient, uri: str) -> dict[str, Any]:
    """The ``tact.runTests`` command on ``uri``; the time guard only keeps a hung server
    from hanging the suite (every limit under test is far below it)."""
    return await asyncio.wait_for(client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="tact.runTests", arguments=[uri])), 120)

async def diagnostics(client: LanguageClient, uri: str, code: str,
                      timeout: float = 60.0) -> list[types.Diagnostic]:
    for _ in range(int(timeout / 0.05)):
        found = [d for d in client.diagnostics.get(uri, []) if d.code == code]
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {code} diagnostic for {uri}: {client.diagnostics.get(uri)}")


async def actions(client: LanguageClient, uri: str,
                  diags: list[types.Diagnostic]) -> list[types.CodeAction]:
    """Code actions, parsed as CodeAction (the client's union structuring would read an
    action carrying a ``command`` as a bare Command, so the reply is taken raw)."""
    from concurrent.futures import Future

    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diags[0].range,
        context=types.CodeActionContext(diagnostics=diags))
    msg_id = f"ca-{id(params)}"
    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id,
                                "method": "textDocument/codeAction",
                                "params": client.protocol._converter.unstructure(params)})
    raw = await asyncio.wrap_future(future)
    out = []
    for item in raw or []:
        item = item._asdict() if hasattr(item, "_asdict") else item
        out.append(client.protocol._converter.structure(_plain(item), types.CodeAction))
    return out


def _plain(obj: Any) -> Any:
    """namedtuple/dict trees from the raw reply -> plain dicts and lists."""
    if hasattr(obj, "_asdict"):
        obj = obj._asdict()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def apply_edit(text: str, edit: types.TextEdit) -> str:
    lines = text.split("\n")
    r = edit.range
    s = sum(len(x) + 1 for x in lines[: r.start.line]) + r.start.character
    e = sum(len(x) + 1 for x in lines[: r.end.line]) + r.end.character
    return text[:s] + edit.new_text + text[e:]


async def test_failing_test_gets_diagnostic_and_a_fix_that_makes_it_pass(tmp_path: Path) -> None:
    ws = write_project(tmp_path / "ws", {"calc.py": CALC_BUGGY, "tests/test_calc.py": TEST_CALC})
    async with server(ws, {"allowExecution": True, "timeoutSeconds": 5}) as (client, url):
        uri = open_doc(client, ws / "calc.py")
        result = await run_tests(client, uri)
        assert result["ran"] is True and result["fixes"] >= 1, result
        diags = await diagnostics(client, uri, "test-failure")
        assert diags[0].source == "tact" and "test_clamp" in diags[0].message
        found = await actions(client, uri, diags)
        assert found and found[0].kind == types.CodeActionKind.QuickFix
        action = found[0]
        edit = action.edit.changes[uri][0]
        # resolve gives the long explanation
        resolved = await client.code_action_resolve_async(action)
        assert "Validated by running the tests" in resolved.data["explanation"]
        # the editor applies the edit and runs the action's command (telemetry)
        applied = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments))
        assert applied is True
    fixed = apply_edit(CALC_BUGGY, edit)
    (ws / "calc.py").write_text(fixed)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests"], cwd=ws, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout
    from tact.telemetry.store import open_store

    with open_store(url) as store:
        fix_rows = [d for d in store.iter_decisions() if d.kind == "fix"]
    assert fix_rows and fix_rows[0].features["fix_operator"]
    assert any(d.outcome.value == "accepted" for d in fix_rows)



async def test_a_fix_that_would_break_a_passing_test_is_never_offered(tmp_path: Path) -> None:
    # `>` -> `>=` makes the failing tests pass and breaks test_contradiction, which
    # passed: the failures are reported, and no quick fix is offered for them
    ws = write_project(tmp_path / "ws", {"calc.py": ADULT, "tests/test_calc.py": TEST_ADULT})
    async with server(ws, {"allowExecution": True, "timeoutSeconds": 5}) as (client, _url):
        uri = open_doc(client, ws / "calc.py")
        result = await run_tests(client, uri)
        assert result["ran"] is True and result["failed"] >= 1 and result["fixes"] == 0, result
        diags = await diagnostics(client, uri, "test-failure")
        assert any("test_eighteen" in d.message for d in diags)
        assert await actions(client, uri, diags) == []


async def test_runaway_tests_are_stopped_and_reported(tmp_path: Path) -> None:
    # a test that never ends and one that eats memory: the run comes back, each is
    # reported at its line, and the tests after them still ran
    ws = write_project(tmp_path / "ws", {"calc.py": RUNAWAY, "tests/test_calc.py": TEST_RUNAWAY})
    settings = {"allowExecution": True, "timeoutSeconds": 2, "memoryMB": 256}
    async with server(ws, settings) as (client, _url):
        uri = open_doc(client, ws / "calc.py")
        result = await run_tests(client, uri)
        assert result["ran"] is True and result["tests"] == 4, result
        diags = await diagnostics(client, uri, "test-failure")
        text = " | ".join(d.message for d in diags)
        assert "test_spin" in text and "time limit" in text, text
        assert "test_hog" in text and "256 MB" in text, text
        assert "test_add" not in text and "test_after" not in text, text
        # each at the line it was stopped on, inside the function it never returned from
        by_test = {d.message.split()[1]: d for d in diags}
        lines = RUNAWAY.split("\n")
        assert lines[by_test["test_spin"].range.start.line].strip() in ("while True:", "pass")
        assert "in spin()" in by_test["test_spin"].message
        assert "returned" not in by_test["test_spin"].message
        assert lines[by_test["test_hog"].range.start.line].strip().startswith("chunks.append")
        assert "in hog()" in by_test["test_hog"].message

async def test_syntax_error_gets_a_fix_without_execution(tmp_path: Path) -> None:
    ws = write_project(tmp_path / "ws", {"app.py": "def area(w, h)\n    return w * h\n"})
    async with server(ws, {}) as (client, _url):
        uri = open_doc(client, ws / "app.py")
        diags = await diagnostics(client, uri, "syntax-error", timeout=20)
        assert diags[0].range.start.line == 0 and "expected ':'" in diags[0].message
        found = await actions(client, uri, diags)
        assert found
        fixed = apply_edit((ws / "app.py").read_text(), found[0].edit.changes[uri][0])
        assert fixed == "def area(w, h):\n    return w * h\n"
        # hover on the error explains it
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=diags[0].range.start))
        assert hover is not None and "SyntaxError" in hover.contents.value


def apply_edit_utf16(text: str, edit: types.TextEdit) -> str:
    """Apply an edit whose positions count UTF-16 code units, as VS Code does."""

    def offset(pos: types.Position) -> int:
        lines = text.split("\n")
        line = lines[pos.line].encode("utf-16-le")[: 2 * pos.character].decode("utf-16-le")
        return sum(len(x) + 1 for x in lines[: pos.line]) + len(line)

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]


async def test_syntax_fix_positions_count_utf16_units(tmp_path: Path) -> None:
    """An emoji is one code point but two UTF-16 units: the colon must land after the
    parenthesis, not one character early, and the diagnostic must sit on it."""
    source = 'def label(x="\U0001f642 caf\u00e9")\n    return x\n'
    ws = write_project(tmp_path / "ws", {"app.py": source})
    async with server(ws, {}) as (client, _url):
        uri = open_doc(client, ws / "app.py")
        diags = await diagnostics(client, uri, "syntax-error", timeout=20)
        found = await actions(client, uri, diags)
        assert found
        edit = found[0].edit.changes[uri][0]
        assert apply_edit_utf16(source, edit) == source.replace(")\n", "):\n", 1)
        assert edit.range.start.character == len(source.split("\n")[0].encode("utf-16-le")) // 2
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=diags[0].range.start))
        assert hover is not None and hover.range == diags[0].range


async def test_pasted_typographic_quotes_get_one_fix_in_utf16_units(tmp_path: Path) -> None:
    """Code pasted from a chat or a document: the typographic quotes around code become
    ASCII in one edit whose range counts the emoji between them as two UTF-16 units;
    the quotes in the comment stay."""
    source = 'def label():\n    return \u201c\U0001f642 ok\u201d  # \u201cquoted\u201d\n'
    diags, found, uri = await syntax_error_and_fixes(tmp_path, source)
    assert diags[0].range.start.line == 1 and "U+201C" in diags[0].message
    assert found and "pasted characters" in found[0].title
    edit = found[0].edit.changes[uri][0]
    assert apply_edit_utf16(source, edit) == (
        'def label():\n    return "\U0001f642 ok"  # \u201cquoted\u201d\n')
    assert edit.range.end.character - edit.range.start.character == 7  # emoji: 2 units


async def syntax_error_and_fixes(tmp_path: Path, source: str
                                 ) -> tuple[list[types.Diagnostic], list[types.CodeAction], str]:
    """``source`` opened in a real server: its syntax-error diagnostics, the code actions
    offered for them, and the document's URI."""
    ws = write_project(tmp_path / "ws", {"app.py": source})
    async with server(ws, {}) as (client, _url):
        uri = open_doc(client, ws / "app.py")
        diags = await diagnostics(client, uri, "syntax-error", timeout=20)
        return diags, await actions(client, uri, diags), uri


async def test_a_line_pushed_out_of_its_block_is_moved_back(tmp_path: Path) -> None:
    """Python reports the line after the one that moved: the diagnostic sits there, the
    quick fix re-indents the line before it."""
    good = ("def total(items):\n    s = 0\n    for x in items:\n        y = x * 2\n"
            "        s += y\n        print(s)\n    return s\n")
    source = good.replace("        s += y", "    s += y")
    diags, found, uri = await syntax_error_and_fixes(tmp_path, source)
    assert diags[0].range.start.line == 5 and "unexpected indent" in diags[0].message
    assert found and found[0].title.startswith("Fix indentation: re-indent line 5")
    edit = found[0].edit.changes[uri][0]
    assert edit.range.start.line == 4 and apply_edit(source, edit) == good


async def test_execution_disabled_runs_no_tests(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    tests = TEST_CALC + f"\n\nopen({str(marker)!r}, 'w').write('ran')\n"
    ws = write_project(tmp_path / "ws", {"calc.py": CALC_BUGGY, "tests/test_calc.py": tests})
    async with server(ws, {}) as (client, _url):
        uri = open_doc(client, ws / "calc.py")
        result = await run_tests(client, uri)
        assert result["ran"] is False and "allowExecution" in result["reason"]
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await asyncio.sleep(0.5)  # give a wrongly started run the chance to show up
        assert not [d for d in client.diagnostics.get(uri, []) if d.code == "test-failure"]
    assert not marker.exists()


async def test_save_runs_the_tests_when_execution_is_allowed(tmp_path: Path) -> None:
    ws = write_project(tmp_path / "ws", {"calc.py": CALC_BUGGY, "tests/test_calc.py": TEST_CALC})
    async with server(ws, {"allowExecution": True, "timeoutSeconds": 5}) as (client, _url):
        uri = open_doc(client, ws / "calc.py")
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        diags = await diagnostics(client, uri, "test-failure")
        assert "quick fix" in diags[0].message  # the validated fix is announced with it
