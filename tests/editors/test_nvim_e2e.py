"""Real Neovim (Debian's 0.7.2 and PyPI's 0.11.4), driven by keystrokes over its RPC API.

Loads editors/nvim/tact.lua exactly as a user's init.lua would, opens a file, types, asks
for completion with <C-x><C-o>, picks tact's item and confirms it with <C-y>, then checks
the real server recorded the suggestion as shown and accepted in the SQLite store.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from editor_support import (
    EXPECTED_CONTINUATION,
    NVIMS,
    ROOT,
    TYPED,
    EditorWorkspace,
    accepted,
    missing,
    nvim_version,
    server_command,
    wait_for,
)

pytestmark = pytest.mark.slow

TACT_LUA = ROOT / "editors" / "nvim" / "tact.lua"


@pytest.fixture(params=sorted(NVIMS))
def nvim(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    pynvim = pytest.importorskip("pynvim", reason="pynvim is in the test extra")
    find, what = NVIMS[request.param]
    binary = find()
    if not binary:
        missing(f"{what} is not installed")
    version = nvim_version(binary)
    if f"v{request.param}" not in version:
        missing(f"{binary} is {version}, not {request.param}")
    # Keep Neovim's own state (lsp.log, shada) out of the user's home.
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "nvim-home" / var.lower()))
    session = pynvim.attach(
        "child", argv=[binary, "--embed", "--headless", "--clean", "-n", "-i", "NONE"]
    )
    yield session
    with contextlib.suppress(Exception):  # the child may exit while answering
        session.command("qall!")
    session.close()


def _setup(nvim: Any, ws: EditorWorkspace, **extra: Any) -> None:
    settings = {"telemetry": {"url": ws.telemetry_url}, "gate": {"enabled": False}, **extra}
    nvim.exec_lua(
        "local path, cmd, settings = ...\n"
        "local tact = dofile(path)\n"
        "tact.setup({cmd = cmd, settings = vim.fn.json_decode(settings)})\n"
        "vim.o.completeopt = 'menuone,noinsert,noselect'\n"
        "vim.lsp.set_log_level(os.getenv('TACT_NVIM_LSP_LOG') or 'warn')\n",
        str(TACT_LUA),
        server_command(),
        json.dumps(settings),
    )
    nvim.command(f"cd {ws.root}")
    nvim.command(f"edit {ws.completion_file}")


def _wait_ready(nvim: Any, ws: EditorWorkspace) -> None:
    attached = wait_for(lambda: nvim.exec_lua("return _G.tact.attached(0)"), timeout=30)
    assert attached == 1, "tact did not attach to the buffer"
    status = nvim.exec_lua(
        "local r = vim.lsp.buf_request_sync(0, 'tact/status', {}, 30000) or {}\n"
        "for _, v in pairs(r) do return v.result end"
    )
    assert status and status["telemetryUrl"] == ws.telemetry_url, status


def _tact_items(nvim: Any) -> tuple[list[dict[str, Any]], list[int]]:
    info = nvim.exec_lua("return vim.fn.complete_info({'items', 'pum_visible'})")
    items = info.get("items") or []
    idx = [i for i, it in enumerate(items) if "tact.accept" in json.dumps(it.get("user_data"))]
    return items, idx


def _lsp_item(item: dict[str, Any]) -> dict[str, Any]:
    user_data = item["user_data"]
    if isinstance(user_data, str):
        user_data = json.loads(user_data)
    return user_data["nvim"]["lsp"]["completion_item"]


def test_confirmed_completion_is_recorded_as_accepted(
    nvim: Any, editor_workspace: EditorWorkspace
) -> None:
    ws = editor_workspace
    _setup(nvim, ws)
    _wait_ready(nvim, ws)

    nvim.input("Go" + TYPED.lstrip())  # autoindent supplies the indentation
    # Ask like a user does; the server learns the workspace in the background, so the
    # first asks may come back empty: <C-e> closes the empty menu and we ask again.
    found: tuple[list[dict[str, Any]], list[int]] | None = None
    for _ in range(20):
        nvim.input("<C-x><C-o>")
        found = wait_for(lambda: _tact_items(nvim) if _tact_items(nvim)[1] else None, timeout=3)
        if found:
            break
        nvim.input("<C-e>")
    assert found, f"no tact completion item after {TYPED!r}; buffer: {nvim.current.buffer[:]}"
    items, idx = found
    item = items[idx[0]]
    lsp_item = _lsp_item(item)
    suggestion_id = lsp_item["command"]["arguments"][0]
    nvim.input("<C-n>" * (idx[0] + 1))  # select it (noselect: nothing selected at first)
    nvim.input("<C-y>")  # confirm
    nvim.input("<Esc>")
    line = wait_for(
        lambda: next(
            (ln for ln in nvim.current.buffer[:] if ln.startswith(TYPED + EXPECTED_CONTINUATION)),
            None,
        ),
        timeout=10,
    )
    assert line, f"item not inserted: {nvim.current.buffer[:]}"
    # All of the suggestion went in, not just its first word (tact.lua completes it).
    assert line.rstrip().endswith(lsp_item["label"].split("\n")[0].rstrip()), line

    decision = wait_for(lambda: (d := ws.decision(suggestion_id)) and accepted(d) and d, timeout=10)
    recorded = ws.decision(suggestion_id)
    assert recorded is not None, f"suggestion {suggestion_id} was never recorded"
    assert recorded.shown_time is not None, "tact/didShowCompletion did not reach the store"
    assert decision is not None, (
        f"suggestion {suggestion_id} not recorded as accepted: {ws.decision(suggestion_id)}"
    )
    assert decision.kind == "completion"
    version = nvim.exec_lua("return tostring(vim.version())")
    print(f"nvim {version}: accepted {suggestion_id}: {line.strip()!r}", file=sys.stderr)


def test_quick_fix_code_action_is_applied_and_recorded(
    nvim: Any, editor_workspace: EditorWorkspace
) -> None:
    """The syntax error gets a diagnostic; the code action menu (vim.lsp.buf.code_action,
    `gra` on 0.11) lists tact's fix; choosing it applies the edit and runs its command."""
    ws = editor_workspace
    _setup(nvim, ws)
    nvim.command(f"edit {ws.fix_file}")
    _wait_ready(nvim, ws)
    diagnostics = wait_for(lambda: nvim.exec_lua("return #vim.diagnostic.get(0)"), timeout=30)
    assert diagnostics, "no diagnostic for the syntax error"
    nvim.command("normal! gg$")
    # vim.ui.select falls back to inputlist(): answer it like a user, with "1<CR>", once
    # Neovim waits for it (0.7: a blocking prompt, where no other RPC call is served;
    # 0.11: command-line mode).
    nvim.exec_lua("vim.schedule(function() vim.lsp.buf.code_action() end)")

    def answered() -> str | None:
        mode = nvim.api.get_mode()
        if mode["blocking"] or mode["mode"] != "n":
            nvim.input("1<CR>")
            return None
        line = nvim.current.buffer[0]
        return line if line == "def broken(x):" else None

    fixed = wait_for(answered, timeout=30, interval=0.3)
    assert fixed, f"fix not applied: {nvim.current.buffer[:]}"
    taken = wait_for(lambda: [d for d in ws.decisions() if d.kind == "fix" and accepted(d)], 20)
    assert taken, f"no accepted fix in the store: {[(d.kind, d.outcome) for d in ws.decisions()]}"


def test_run_tests_command_reports_the_failing_test_as_a_diagnostic(
    nvim: Any, editor_workspace: EditorWorkspace
) -> None:
    """:TactRunTests runs the file's tests in the server's sandbox (allowed in settings):
    the failing assertion becomes a `tact` diagnostic on the buggy module, the summary a
    message, and the code action menu then offers a fix."""
    ws = editor_workspace
    module = ws.root / "calc.py"
    module.write_text("def add(a, b):\n    return a - b\n")
    (ws.root / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    _setup(nvim, ws, fixes={"allowExecution": True, "timeoutSeconds": 10})
    nvim.exec_lua("_G.seen = {}; vim.notify = function(m) table.insert(_G.seen, m) end")
    nvim.command(f"edit {module}")
    _wait_ready(nvim, ws)
    nvim.command("TactRunTests")
    summary = wait_for(
        lambda: [m for m in nvim.exec_lua("return _G.seen") if "failing" in m], timeout=90
    )
    assert summary and "1 failing" in summary[0], nvim.exec_lua("return _G.seen")
    found = wait_for(
        lambda: [d for d in nvim.exec_lua("return vim.diagnostic.get(0)")
                 if d.get("source") == "tact" and "test_add" in d["message"]],
        timeout=30,
    )
    assert found, nvim.exec_lua("return vim.diagnostic.get(0)")
    assert found[0]["lnum"] == 1  # on `return a - b`, the line the failing run blames
    titles = nvim.exec_lua(
        "local r = vim.lsp.buf_request_sync(0, 'textDocument/codeAction', {\n"
        "  textDocument = vim.lsp.util.make_text_document_params(0),\n"
        "  range = {start = {line = 1, character = 0}, ['end'] = {line = 1, character = 0}},\n"
        "  context = {diagnostics = {}}}, 30000) or {}\n"
        "local out = {}\n"
        "for _, v in pairs(r) do for _, a in ipairs(v.result or {}) do\n"
        "  table.insert(out, a.title) end end\n"
        "return out"
    )
    assert any("replace `-` with `+`" in t and "test_add" in t for t in titles), titles
