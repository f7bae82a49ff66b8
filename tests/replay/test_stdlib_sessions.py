"""`stdlib:` replay specs: which sessions the default model's recipe replays."""

from __future__ import annotations

from pathlib import Path

from tact.server.replay.sources import STDLIB_MODULES_PER_SESSION, stdlib_sessions


def fake_stdlib(root: Path, n_modules: int) -> Path:
    for pkg in ("json", "email", "site-packages", "test", "__pycache__", "empty"):
        (root / pkg).mkdir(parents=True)
    (root / "json" / "__init__.py").write_text("x = 1\n")
    (root / "email" / "parser.py").write_text("y = 2\n")
    (root / "site-packages" / "httpx").mkdir()
    (root / "site-packages" / "httpx" / "__init__.py").write_text("z = 3\n")
    (root / "test" / "test_json.py").write_text("t = 4\n")
    (root / "empty" / "README").write_text("no code\n")
    for i in range(n_modules):
        (root / f"mod{i:02d}.py").write_text(f"m = {i}\n")
    return root


def test_star_is_every_package_then_modules_in_groups(tmp_path: Path) -> None:
    k = STDLIB_MODULES_PER_SESSION
    root = fake_stdlib(tmp_path, 2 * k + 3)
    sessions = stdlib_sessions("*", root)
    # Packages with code, sorted; never site-packages (the scored third-party
    # packages live there), tests, caches or folders without Python files.
    assert sessions[:2] == [[root / "email"], [root / "json"]]
    flat = [p for s in sessions for p in s]
    assert not any(part in ("site-packages", "test", "__pycache__", "empty")
                   for p in flat for part in p.relative_to(root).parts)
    groups = sessions[2:]
    assert [len(g) for g in groups] == [k, k, 3]
    assert [p.name for g in groups for p in g] == sorted(f"mod{i:02d}.py" for i in range(2 * k + 3))


def test_a_name_is_one_session(tmp_path: Path) -> None:
    root = fake_stdlib(tmp_path, 1)
    assert stdlib_sessions("json", root) == [[root / "json"]]
    assert stdlib_sessions("mod00.py", root) == [[root / "mod00.py"]]
