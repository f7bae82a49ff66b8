"""editors/nvim/tact.lua's helpers in a real headless Neovim (no server): which items are
tact's, and how a confirmed item's first word is completed to the whole suggestion."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from editor_support import NVIMS, ROOT, nvim_version

TACT_LUA = ROOT / "editors" / "nvim" / "tact.lua"


@pytest.fixture(params=sorted(NVIMS))
def nvim(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    pynvim = pytest.importorskip("pynvim")
    find, what = NVIMS[request.param]
    binary = find()
    if not binary or f"v{request.param}" not in nvim_version(binary):
        pytest.skip(f"{what} is not installed; run scripts/setup-editors")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    session = pynvim.attach("child", argv=[binary, "--embed", "--headless", "--clean", "-n"])
    session.exec_lua("_G.t = dofile(...)", str(TACT_LUA))
    # Insert mode leaves the cursor after the last character; allow that here too.
    session.command("set virtualedit=onemore")
    yield session
    with contextlib.suppress(Exception):
        session.command("qall!")
    session.close()


def test_suggestion_id_only_for_tact_accept_commands(nvim: Any) -> None:
    sid = "return _G.t.suggestion_id(...)"
    assert nvim.exec_lua(sid, {"command": {"command": "tact.accept", "arguments": ["s1"]}}) == "s1"
    assert nvim.exec_lua(sid, {"command": {"command": "other", "arguments": ["s1"]}}) is None
    assert nvim.exec_lua(sid, {"command": {"command": "tact.accept", "arguments": []}}) is None
    assert nvim.exec_lua(sid, {"label": "x"}) is None


def test_confirmed_word_is_completed_to_the_whole_multiline_suggestion(nvim: Any) -> None:
    # As Neovim leaves it after <C-y>: only the item's first word inserted, cursor after it.
    nvim.current.buffer[:] = ["x = build_response(request,", "tail"]
    nvim.current.window.cursor = (1, len("x = build_response(request,"))
    item = {"textEdit": {"newText": "build_response(request, status=200)\nreturn x"}}
    nvim.exec_lua("_G.t._complete_insertion(0, ...)", {"word": "build_response(request,"}, item)
    assert nvim.current.buffer[:] == ["x = build_response(request, status=200)", "return x", "tail"]
    assert tuple(nvim.current.window.cursor) == (2, len("return x"))


def test_unexpected_buffer_is_left_alone(nvim: Any) -> None:
    nvim.current.buffer[:] = ["x = something_else"]
    nvim.current.window.cursor = (1, len("x = something_else"))
    item = {"insertText": "build_response(request, status=200)"}
    nvim.exec_lua("_G.t._complete_insertion(0, ...)", {"word": "build_response(request,"}, item)
    assert nvim.current.buffer[:] == ["x = something_else"]
