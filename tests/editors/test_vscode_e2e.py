"""A real VS Code (code-server 4.100.3 = VS Code 1.100.3) with the built tact .vsix,
driven in headless Chromium by vscode-client/e2e/drive-code-server.mjs (playwright-core).

One scenario per module run: open a Python file, type, see tact's ghost text (screenshot
saved to test-artifacts/vscode-ghost-text.png), accept it with Tab; open a file with a
syntax error and list the quick fixes (Ctrl+.). The tests then check what the server
recorded in the SQLite telemetry store.

Set-up (code-server, Chromium, the .vsix) comes from scripts/setup-editors, cached.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from editor_support import (
    ARTIFACTS,
    CACHE,
    EXPECTED_CONTINUATION,
    ROOT,
    TYPED,
    EditorWorkspace,
    accepted,
    make_workspace,
    missing,
    wait_for,
)
from tact.telemetry.records import Decision

pytestmark = pytest.mark.slow

CLIENT = ROOT / "vscode-client"
VSIX = CLIENT / "tact.vsix"
DRIVER = CLIENT / "e2e" / "drive-code-server.mjs"
CHROMIUM = "/usr/bin/chromium"
EXTENSION_ID = "tact.tact"
SCREENSHOT = "vscode-ghost-text.png"

USER_SETTINGS = {
    "security.workspace.trust.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "extensions.ignoreRecommendations": True,
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "chat.disableAIFeatures": True,
    "editor.inlineSuggest.enabled": True,
    # Quick suggestions stay on (VS Code's default) so the extension is asked for
    # completion items while typing; word-based ones are off so no other popup covers
    # the ghost text.
    "editor.wordBasedSuggestions": "off",
}


def _code_server() -> str | None:
    pointer = CACHE / "code-server-path"
    if pointer.exists():
        path = pointer.read_text().strip()
        if Path(path).exists():
            return path
    return shutil.which("code-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float) -> bool:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status < 500
        except urllib.error.HTTPError as exc:
            return exc.code < 500
        except OSError:
            return False

    return bool(wait_for(probe, timeout=timeout, interval=0.5))


def _workspace_settings(ws: EditorWorkspace) -> dict[str, Any]:
    return {
        "tact.python.interpreter": sys.executable,
        "tact.telemetry.url": ws.telemetry_url,
        # The editor plumbing is under test, not the gate: show every suggestion.
        "tact.gate.enabled": False,
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The full scenario, with the proposed API enabled (show / partial-accept events)."""
    return run_scenario(tmp_path_factory, parts=None, tag="")


def run_scenario(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    parts: list[str] | None,
    tag: str,
) -> dict[str, Any]:
    """Start code-server with the .vsix, run the browser driver, stop code-server.

    code-server allows API proposals for every extension (stock VS Code needs
    --enable-proposed-api tact.tact), so the show / partial hooks are live here."""
    code_server = _code_server()
    if not code_server:
        missing("code-server is not installed")
    if not Path(CHROMIUM).exists():
        missing("Debian's chromium is not installed")
    if not VSIX.exists() or not (CLIENT / "node_modules" / "playwright-core").exists():
        missing("the .vsix is not built (npm ci && npm run package in vscode-client)")
    node = shutil.which("node")
    if not node:
        missing("node is not installed")

    base = tmp_path_factory.mktemp("vscode")
    ws = make_workspace(base)
    (ws.root / ".vscode").mkdir()
    (ws.root / ".vscode" / "settings.json").write_text(json.dumps(_workspace_settings(ws)))
    user_data, extensions = base / "user-data", base / "extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS))
    ARTIFACTS.mkdir(exist_ok=True)
    timings: dict[str, float] = {}

    t0 = time.monotonic()
    install = subprocess.run(
        [
            code_server,
            "--extensions-dir",
            str(extensions),
            "--user-data-dir",
            str(user_data),
            "--install-extension",
            str(VSIX),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    timings["install_vsix_s"] = time.monotonic() - t0

    port = _free_port()
    log = open(base / "code-server.log", "w")  # noqa: SIM115 - closed in finally
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [
            code_server,
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            "--extensions-dir",
            str(extensions),
            "--user-data-dir",
            str(user_data),
            "--enable-proposed-api",
            EXTENSION_ID,
            str(ws.root),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # The server (started by the extension) logs every request it receives here.
        env={**os.environ, "TACT_LOG_FILE": str(base / "server.log"), "TACT_LOG_LEVEL": "DEBUG"},
    )
    try:
        assert _wait_http(f"http://127.0.0.1:{port}/healthz", timeout=120), (
            f"code-server did not come up: {(base / 'code-server.log').read_text()[-2000:]}"
        )
        timings["code_server_start_s"] = time.monotonic() - t0
        config = {
            "url": f"http://127.0.0.1:{port}/?folder={ws.root}",
            "completionFile": ws.completion_file.name,
            "typeText": TYPED,
            "fixFile": ws.fix_file.name,
            "fixLine": 1,
            "screenshot": SCREENSHOT if not tag else f"vscode-ghost-text{tag}.png",
            "artifactsDir": str(ARTIFACTS),
            "parts": parts,
            "timeoutMs": 90_000,
            "chromium": CHROMIUM,
        }
        t0 = time.monotonic()
        run = subprocess.run(
            [node, str(DRIVER), json.dumps(config)],
            cwd=CLIENT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        timings["browser_scenario_s"] = time.monotonic() - t0
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
        assert lines, f"driver printed no result: {run.stdout[-2000:]} {run.stderr[-2000:]}"
        result = json.loads(lines[-1])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()
        _keep_logs(base, tag)
    result["timings"] = timings
    result["workspace"] = ws
    server_log = base / "server.log"
    result["serverLog"] = server_log.read_text() if server_log.exists() else ""
    print(
        f"vscode e2e timings: {json.dumps(timings)} steps: {json.dumps(result['steps'])}",
        file=sys.stderr,
    )
    return result


def _keep_logs(base: Path, tag: str) -> None:
    """Copy the extension's output channel (the server log) next to the screenshots."""
    target = ARTIFACTS / f"vscode-logs{tag}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    for path in base.glob("user-data/logs/**/*.log"):
        if "tact" in path.name or "exthost" in path.name or path.name == "remoteagent.log":
            shutil.copy(path, target / path.name)
    for name in ("code-server.log", "server.log"):
        if (base / name).exists():
            shutil.copy(base / name, target / name)


def _inline_accepts(ws: EditorWorkspace) -> list[Decision]:
    return [d for d in ws.decisions() if d.kind == "inline" and accepted(d)]


def test_ghost_text_accepted_with_tab_is_recorded(scenario: dict[str, Any]) -> None:
    assert not scenario.get("error"), scenario.get("error")
    assert not scenario["completionError"], scenario["completionError"]
    # The status bar item left its "starting" state: `tact/status` answered.
    assert "tact" in (scenario.get("statusText") or ""), scenario.get("statusText")
    ghost = scenario["ghostText"]
    assert ghost and EXPECTED_CONTINUATION in ghost, f"ghost text was {ghost!r}"
    assert (ARTIFACTS / SCREENSHOT).stat().st_size > 10_000
    line = scenario["lineAfterAccept"] or ""
    assert line.startswith(TYPED + ghost.strip().split("\n")[0][:10]), (
        f"Tab did not insert the suggestion: {line!r} (ghost {ghost!r})"
    )

    ws: EditorWorkspace = scenario["workspace"]
    accepts = wait_for(lambda: _inline_accepts(ws), timeout=20)
    assert accepts, f"no accepted inline suggestion in the store: {ws.decisions()}"
    # tact.completion.suggestWidget is off: VS Code asks for completion items while typing
    # (quick suggestions), but the extension does not forward those requests, so the same
    # suggestion is not also offered, and recorded, as a completion item.
    server_log = scenario["serverLog"]
    assert "Request 'textDocument/inlineCompletion' received" in server_log
    assert "Request 'textDocument/completion' received" not in server_log
    decision = accepts[-1]
    # tact/didShowCompletion came from VS Code's show hook (proposed API enabled).
    assert decision.shown_time is not None, "the show event never reached the server"
    assert decision.accepted_chars and decision.accepted_chars > 0


def test_quick_fix_offered_applied_and_recorded(scenario: dict[str, Any]) -> None:
    assert not scenario.get("error"), scenario.get("error")
    assert not scenario["fixError"], scenario["fixError"]
    fixes = scenario["quickFixes"]
    assert fixes, "Ctrl+. listed no code action"
    print(f"quick fixes offered: {fixes}", file=sys.stderr)
    # Applied with Enter: the edit went in (the squiggle is gone: checked by the driver) ...
    assert "def broken(x):" in (scenario["fixedText"] or ""), scenario["fixedText"]
    # ... and the action's command told the server, which recorded the fix as accepted.
    ws: EditorWorkspace = scenario["workspace"]
    fixes_taken = wait_for(
        lambda: [d for d in ws.decisions() if d.kind == "fix" and accepted(d)], timeout=20
    )
    assert fixes_taken, (
        f"no accepted fix in the store: {[(d.kind, d.outcome) for d in ws.decisions()]}"
    )


def test_toggle_command_turns_suggestions_off_and_on(scenario: dict[str, Any]) -> None:
    """The command writes `tact.enable`, the extension pushes it to the server, and the
    status bar shows what the server then reports in `tact/status`."""
    assert not scenario.get("error"), scenario.get("error")
    assert not scenario["toggleError"], scenario["toggleError"]
    off, on = scenario["toggle"]
    assert "codicon-circle-slash" in off
    assert "codicon-circle-slash" not in on


def test_word_accept_is_recorded_as_partial(scenario: dict[str, Any]) -> None:
    """Ctrl+Right accepts the next word; VS Code's partial-accept hook (proposed API)
    sends tact/didPartiallyAcceptCompletion and the store records a partial outcome."""
    assert not scenario.get("error"), scenario.get("error")
    assert not scenario["partialError"], scenario["partialError"]
    ws: EditorWorkspace = scenario["workspace"]
    partials = wait_for(
        lambda: [d for d in ws.decisions() if d.kind == "inline" and d.outcome.value == "partial"],
        timeout=20,
    )
    assert partials, f"no partial outcome in the store: {[d.outcome for d in ws.decisions()]}"
    chars = partials[-1].accepted_chars
    assert chars and 0 < chars < (partials[-1].suggestion_chars or 0), partials[-1]
