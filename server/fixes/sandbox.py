"""Run the user's tests against candidate code, safely and fast.

Why this shape:
- *Safety*: user code runs only in a subprocess started with ``python -I`` (no user
  site, no ``PYTHON*`` environment, script dir not on ``sys.path``), with a scrubbed
  environment, inside a temporary copy of the project (the working tree is never
  touched), under ``RLIMIT_AS`` (memory) and ``RLIMIT_CPU`` set in ``preexec_fn``,
  and a wall-clock budget per test enforced by killing the candidate's whole process
  group. An infinite loop or a memory hog becomes a ``timeout``/``memory`` result.
- *Speed*: the fix search validates hundreds of candidates. A long-lived worker
  (:mod:`tact.server.fixes._worker`) pays interpreter start-up once and forks a child
  per candidate, and two workers run side by side on a two-core machine.

Whether execution is *allowed* is the caller's decision (``fixes.allowExecution`` in
the server, always for the explicit ``tact fix`` command): this module just runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

WORKER = Path(__file__).with_name("_worker.py")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", "node_modules", "__pycache__",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", ".tox", ".nox"}
MAX_COPY_FILES = 3000
MAX_COPY_BYTES = 64 * 1024 * 1024
ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git", "pytest.ini", "tox.ini")


class SandboxError(RuntimeError):
    """The sandbox could not be set up (e.g. a test file does not compile)."""


@dataclass(slots=True)
class TestResult:
    """One test's result in one run (ids look like ``tests/test_x.py::test_name``)."""

    __test__ = False  # not a pytest test class, despite the name

    test: str
    outcome: str  # pass | fail | error | timeout | memory | recursion
    seconds: float = 0.0
    message: str = ""
    exc_type: str = ""
    frames: list[list] = field(default_factory=list)  # [file, line, func, text]
    lines: list[int] = field(default_factory=list)  # target lines executed (traced runs)
    calls: list[dict] = field(default_factory=list)  # top-level calls into the target
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # line -> locals

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    @classmethod
    def from_json(cls, d: dict) -> TestResult:
        return cls(test=d["test"], outcome=d["outcome"], seconds=d.get("seconds", 0.0),
                   message=d.get("message", ""), exc_type=d.get("exc_type", ""),
                   frames=d.get("frames", []), lines=d.get("lines", []),
                   calls=d.get("calls", []), values=d.get("values", {}))


@dataclass(slots=True)
class RunReport:
    results: list[TestResult]
    status: str = "ok"  # ok | timeout | error
    probes: list[str] | None = None

    @property
    def passed(self) -> list[str]:
        return [r.test for r in self.results if r.passed]

    @property
    def failed(self) -> list[str]:
        return [r.test for r in self.results if not r.passed]


def project_root(path: Path) -> Path:
    """The nearest ancestor holding a project marker, else the file's own folder."""
    for parent in [path.parent, *path.parent.parents]:
        if any((parent / m).exists() for m in ROOT_MARKERS):
            return parent
        if parent == Path.home() or parent == parent.parent:
            break
    return path.parent


def module_name(path: Path, root: Path) -> tuple[str, Path]:
    """Import name of ``path`` and the sys.path entry that makes it importable.

    Walks up through folders with ``__init__.py`` (like pytest's rootdir logic).
    """
    parts = [path.stem]
    base = path.parent
    while (base / "__init__.py").exists() and base != root.parent:
        parts.insert(0, base.name)
        base = base.parent
    return ".".join(parts), base


def _copy_project(root: Path, dest: Path, include: Sequence[Path]) -> None:
    """Copy the project's files (bounded) so tests can import their neighbours."""
    count = 0
    size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        rel = Path(dirpath).relative_to(root)
        for name in filenames:
            src = Path(dirpath) / name
            if not name.endswith((".py", ".pyi", ".json", ".txt", ".cfg", ".toml", ".ini",
                                  ".csv", ".yaml", ".yml")):
                continue
            try:
                st = src.stat()
            except OSError:
                continue
            count += 1
            size += st.st_size
            if count > MAX_COPY_FILES or size > MAX_COPY_BYTES:
                break
            target = dest / rel / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(src, target)
            except OSError:
                continue
        if count > MAX_COPY_FILES or size > MAX_COPY_BYTES:
            break
    for p in include:  # always present, whatever the bounds did
        target = dest / p.relative_to(root)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, target)


def _limits(memory_mb: int, cpu_seconds: int):
    def preexec() -> None:
        if memory_mb > 0:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if cpu_seconds > 0:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return preexec


class _Worker:
    """One long-lived worker process and its line-based JSON protocol."""

    def __init__(self, cwd: Path, memory_mb: int, cpu_seconds: int) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "HOME": str(cwd), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "TMPDIR": str(cwd)}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(WORKER)], cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, preexec_fn=_limits(memory_mb, cpu_seconds), start_new_session=True,
        )
        self.lock = threading.Lock()

    def request(self, req: dict) -> dict:
        with self.lock:
            assert self.proc.stdin and self.proc.stdout
            try:
                self.proc.stdin.write(json.dumps(req) + "\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
            except (BrokenPipeError, OSError) as exc:
                return {"ok": False, "error": f"worker died: {exc}"}
            if not line:
                return {"ok": False, "error": "worker died (memory or CPU limit?)"}
            return json.loads(line)

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()


class Sandbox:
    """A temporary copy of the project plus worker processes that run its tests.

    ``source`` is the target file's current text (possibly unsaved): it replaces the
    file in the copy. Use as a context manager; ``close()`` kills the workers and
    deletes the copy.
    """

    def __init__(self, target: Path, source: str, tests: Sequence[Path], *,
                 timeout: float = 10.0, memory_mb: int = 512, workers: int = 1,
                 root: Path | None = None) -> None:
        self.target = target.resolve()
        self.source = source
        self.timeout = timeout
        self.memory_mb = memory_mb
        test_paths = [t.resolve() for t in tests]
        self.root = (root or project_root(self.target)).resolve()
        outside = [p for p in [self.target, *test_paths] if not p.is_relative_to(self.root)]
        if outside:  # e.g. a test in another folder: widen to their common parent
            self.root = Path(os.path.commonpath([self.root, *[p.parent for p in outside]]))
        self._tmp = tempfile.TemporaryDirectory(prefix="tact-sandbox-")
        self.dir = Path(self._tmp.name) / "project"
        self.dir.mkdir()
        self._workers: list[_Worker] = []
        try:
            _copy_project(self.root, self.dir, [self.target, *test_paths])
            tcopy = self.dir / self.target.relative_to(self.root)
            tcopy.write_text(source, encoding="utf-8")
            mod, base = module_name(tcopy, self.dir)
            sys_path = [str(base), str(self.dir)]
            tests_json = []
            for p in test_paths:
                copy = self.dir / p.relative_to(self.root)
                tmod, tbase = module_name(copy, self.dir)
                if str(tbase) not in sys_path:
                    sys_path.append(str(tbase))
                tests_json.append({"path": str(copy), "module": tmod,
                                   "rel": str(p.relative_to(self.root))})
            self.target_copy = tcopy
            self.setup_req = {"op": "setup", "root": str(self.dir), "target_path": str(tcopy),
                              "target_module": mod, "tests": tests_json, "sys_path": sys_path}
            cpu = int(max(30, timeout * 20))
            for _ in range(max(1, workers)):
                w = _Worker(self.dir, memory_mb, cpu)
                resp = w.request(self.setup_req)
                self._workers.append(w)
                if not resp.get("ok"):
                    raise SandboxError(resp.get("error", "sandbox setup failed"))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for w in self._workers:
            w.close()
        self._workers = []
        self._tmp.cleanup()

    def test_rel(self, path: Path) -> str:
        return str(path.resolve().relative_to(self.root))

    def run(self, source: str | None = None, *, tests: Sequence[str] | None = None,
            trace: bool = False, values: bool = False, stop_on_fail: bool = False,
            timeout: float | None = None, probes: Sequence[tuple[str, str]] | None = None,
            worker: int = 0) -> RunReport:
        """Run ``tests`` (ids; all when None) against ``source`` (the copy's file when None)."""
        per_test = self.timeout if timeout is None else timeout
        req = {"op": "run", "source": source, "tests": list(tests) if tests is not None else None,
               "trace": trace, "values": values, "stop_on_fail": stop_on_fail,
               "timeout": per_test, "cpu_seconds": max(2, int(per_test * 4) + 1),
               "probes": [list(p) for p in probes] if probes else None}
        w = self._workers[worker % len(self._workers)]
        resp = w.request(req)
        if not resp.get("ok"):
            # The worker itself died (e.g. the memory limit hit it): restart it once.
            self._restart(worker % len(self._workers))
            return RunReport([TestResult(test="<worker>", outcome="error",
                                         message=resp.get("error", "worker failed"))],
                             status="error")
        results = [TestResult.from_json(r) for r in resp["results"]]
        for r in results:
            if r.outcome == "memory":
                r.message = f"exceeded the memory limit of {self.memory_mb} MB"
        return RunReport(results,
                         status=resp.get("status", "ok"), probes=resp.get("probes"))

    def run_many(self, sources: Sequence[str], **kwargs: object) -> list[RunReport]:
        """Run each source (same options) spreading them over the workers."""
        n = len(self._workers)
        if n == 1 or len(sources) < 2:
            return [self.run(s, **kwargs) for s in sources]  # type: ignore[arg-type]
        out: list[RunReport | None] = [None] * len(sources)

        def lane(k: int) -> None:
            for i in range(k, len(sources), n):
                out[i] = self.run(sources[i], worker=k, **kwargs)  # type: ignore[arg-type]

        with ThreadPoolExecutor(n) as pool:
            list(pool.map(lane, range(n)))
        return [r for r in out if r is not None]

    def _restart(self, k: int) -> None:
        old = self._workers[k]
        old.close()
        cpu = int(max(30, self.timeout * 20))
        w = _Worker(self.dir, self.memory_mb, cpu)
        w.request(self.setup_req)
        self._workers[k] = w
