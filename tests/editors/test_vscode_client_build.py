"""The VS Code extension builds and its own checks pass: `npm test` (tsc --noEmit, eslint,
node's test runner on the pure modules) and the packaged .vsix holds what VS Code loads.

node_modules and the .vsix come from scripts/setup-editors (`npm ci && npm run package`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile

import pytest
from editor_support import ROOT, missing

pytestmark = pytest.mark.slow

CLIENT = ROOT / "vscode-client"


@pytest.fixture(scope="module")
def npm() -> str:
    npm = shutil.which("npm")
    if not npm:
        missing("npm is not installed")
    if not (CLIENT / "node_modules" / ".bin" / "tsc").exists():
        missing("vscode-client/node_modules is missing (npm ci)")
    return npm


def test_npm_test_typechecks_lints_and_passes_unit_tests(npm: str) -> None:
    run = subprocess.run([npm, "test"], cwd=CLIENT, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    passed = re.search(r"^# pass (\d+)$", out, re.M)
    failed = re.search(r"^# fail (\d+)$", out, re.M)
    assert passed and int(passed.group(1)) >= 10, out[-2000:]
    assert failed and failed.group(1) == "0"


def test_vsix_holds_the_bundle_and_the_manifest(npm: str) -> None:
    vsix = CLIENT / "tact.vsix"
    if not vsix.exists():
        missing("vscode-client/tact.vsix is not built (npm run package)")
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
    assert "extension/dist/extension.js" in names
    assert not any(n.startswith("extension/node_modules/") for n in names), "bundle only"
    assert not any(n.startswith("extension/src/") for n in names)
    assert manifest["main"] == "./dist/extension.js"
    assert manifest["enabledApiProposals"] == ["inlineCompletionsAdditions"]
    settings = manifest["contributes"]["configuration"]["properties"]
    for key in (
        "tact.enable",
        "tact.engine",
        "tact.gate.mode",
        "tact.gate.benefit",
        "tact.gate.cost",
        "tact.gate.maxAcceptedHiddenPercent",
        "tact.telemetry.url",
        "tact.fixes.allowExecution",
        "tact.python.interpreter",
        "tact.server.command",
    ):
        assert key in settings, key
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    assert {
        "tact.toggleSuggestions",
        "tact.triggerSuggestion",
        "tact.trainModelNow",
        "tact.showModelReport",
    } <= commands
