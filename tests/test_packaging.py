"""The wheel works outside the source tree: build it, install it into a fresh venv,
run `python -m tact --version` and an LSP initialize round trip from elsewhere.

Offline and fast: the wheel is installed with ``--no-deps`` into a venv without
system site-packages, and the dependencies are borrowed from the current
environment's site-packages through PYTHONPATH (placed *after* the venv's own, so the
installed wheel, not the editable checkout, provides ``tact``).
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)])
    [built] = out.glob("tact-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_every_module(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = []
    for folder, package in (
        ("server", "tact/server"),
        ("models", "tact/models"),
        ("telemetry", "tact/telemetry"),
    ):
        for path in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            expected.append(f"{package}/{path.relative_to(ROOT / folder).as_posix()}")
    missing = [name for name in expected if name not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert "tact/__main__.py" in names
    assert not any(n.startswith(("server/", "models/", "telemetry/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_runs_outside_the_tree(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    target = next((env_dir / "lib").glob("python3*/site-packages"))
    # Install the wheel's files with the current pip (no network, no dependencies).
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ]
    )
    deps = [p for p in site.getsitepackages() if Path(p).exists()]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = os.pathsep.join([str(target), *deps])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = run(
        [
            str(python),
            "-c",
            "import tact.server, tact.models, tact.telemetry;print(tact.server.__file__)",
        ],
        cwd=elsewhere,
        env=env,
    )
    assert where.stdout.strip().startswith(str(target)), where.stdout
    version = run([str(python), "-m", "tact", "--version"], cwd=elsewhere, env=env)
    assert version.stdout.startswith("tact ")

    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "capabilities": {},
                "initializationOptions": {"telemetry": {"url": f"sqlite:///{tmp_path / 't.db'}"}},
            },
        }
    )
    exit_ = [
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
        json.dumps({"jsonrpc": "2.0", "method": "exit"}),
    ]
    stream = "".join(f"Content-Length: {len(m)}\r\n\r\n{m}" for m in [body, *exit_])
    served = subprocess.run(
        [str(python), "-m", "tact", "serve"],
        input=stream.encode(),
        cwd=elsewhere,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert served.returncode == 0, served.stderr[-2000:]
    replies = []
    data = served.stdout
    while data:
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        replies.append(json.loads(rest[:length]))
        data = rest[length:]
    init = next(r for r in replies if r.get("id") == 1)
    caps = init["result"]["capabilities"]
    assert "tact.accept" in caps["executeCommandProvider"]["commands"]
    assert caps["inlineCompletionProvider"] is not None
