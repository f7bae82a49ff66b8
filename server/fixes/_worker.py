"""Sandbox worker: runs the user's tests against candidate versions of one module.

This file is executed as a *script* by :mod:`tact.server.fixes.sandbox` with
``python -I`` inside a temporary copy of the project, so it may import only the
standard library (and pytest, when a test file needs fixtures). It is long-lived:
it reads one JSON request per line on stdin and answers one JSON line on stdout, so
the interpreter start-up (and pytest import) is paid once per validation batch, not
once per candidate.

Every candidate runs in a forked child (``os.fork``) in its own process group, so a
candidate that loops forever or eats memory is killed without harming the worker:
the child streams one JSON line per finished test, and the parent kills the group
when a test exceeds its wall-clock budget. Memory and CPU limits were set on the
worker itself (``setrlimit`` in the sandbox's ``preexec_fn``) and are inherited.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import reprlib
import resource
import select
import signal
import sys
import time
import traceback
import types
import typing
import unittest


class _Repr(reprlib.Repr):
    """reprlib that never builds the full repr of a large bytes-like value."""

    def repr_bytes(self, x, level):
        return repr(x[:40]) + ("..." if len(x) > 40 else "")

    def repr_bytearray(self, x, level):
        return f"bytearray({self.repr_bytes(bytes(x[:40]), level)})"


_repr = _Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = 8
_repr.maxdict = 6
_repr.maxtuple = 8
_repr.maxset = 6

PROBE_BUDGET = 2.0  # seconds for all probe calls of one candidate
MAX_LINE_EVENTS = 50000  # per test: beyond this only coverage is recorded


def safe_repr(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview) and len(value) > 64:
        return f"<{type(value).__name__} of {len(value)} bytes>"
    try:
        return _repr.repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


class State:
    """What the worker knows about the copy it runs in (set by the ``setup`` op)."""

    root = ""
    target_path = ""  # absolute path of the module under repair, inside the copy
    target_module = ""  # its import name
    tests: typing.ClassVar[list[dict]] = []  # {"path", "module", "rel"}
    test_code: typing.ClassVar[dict[str, types.CodeType]] = {}
    pytest_files: typing.ClassVar[set[str]] = set()


# --------------------------------------------------------------------------- setup


def setup(req: dict) -> dict:
    State.root = req["root"]
    State.target_path = req["target_path"]
    State.target_module = req["target_module"]
    State.tests = req["tests"]
    os.chdir(State.root)
    for p in reversed(req.get("sys_path", [])):
        if p not in sys.path:
            sys.path.insert(0, p)
    State.test_code = {}
    State.pytest_files = set()
    for t in State.tests:
        with open(t["path"], encoding="utf-8") as fh:
            text = fh.read()
        try:
            State.test_code[t["path"]] = compile(text, t["path"], "exec", dont_inherit=True)
        except SyntaxError as exc:
            return {"ok": False, "error": f"test file {t['path']} does not compile: {exc}"}
        if _needs_pytest(text):
            State.pytest_files.add(t["path"])
    if State.pytest_files:
        try:
            import pytest  # noqa: F401  (imported once, before forking)
        except ImportError:
            State.pytest_files = set()
    return {"ok": True, "pytest": sorted(State.pytest_files)}


def _needs_pytest(text: str) -> bool:
    """Fixtures, parametrize or conftest-style tests need pytest's own runner."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            if node.decorator_list:
                return True
            args = node.args
            params = [a.arg for a in args.posonlyargs + args.args if a.arg not in ("self", "cls")]
            if params:
                return True
        if isinstance(node, ast.AsyncFunctionDef):
            return True
    return False


# --------------------------------------------------------------------------- tracing


class Tracer:
    """Records which target lines ran, the locals seen there, and top-level calls.

    Only frames of the target file are traced line by line (``call`` events of other
    code return ``None``), which keeps the overhead proportional to the user's code.
    """

    def __init__(self, target: str, values: bool) -> None:
        self.target = target
        self.values = values
        self.lines: set[int] = set()
        self.snapshots: dict[int, dict[str, str]] = {}
        self.calls: list[dict] = []
        self.events = 0
        self._depth = 0

    def __call__(self, frame, event, arg):
        if event != "call" or frame.f_code.co_filename != self.target:
            return None
        outer = frame.f_back is None or frame.f_back.f_code.co_filename != self.target
        record = None
        if outer and frame.f_code.co_name != "<module>" and len(self.calls) < 200:
            code = frame.f_code
            names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
            record = {
                "func": code.co_name,
                "line": code.co_firstlineno,
                "args": {n: safe_repr(frame.f_locals.get(n)) for n in names},
                "literal": _literal_args(frame, names),
            }
            self.calls.append(record)
        return self._local(record)

    def _local(self, record):
        raised = None  # the exception passing through this frame, until a line runs again

        def local(frame, event, arg):
            nonlocal raised
            if event == "line":
                raised = None  # caught: the frame goes on
                self.lines.add(frame.f_lineno)
                self.events += 1
                if self.values and self.events < MAX_LINE_EVENTS:
                    snap = {
                        k: safe_repr(v)
                        for k, v in frame.f_locals.items()
                        if not k.startswith("__") and not isinstance(v, types.ModuleType)
                        and not callable(v)
                    }
                    self.snapshots.setdefault(frame.f_lineno, snap)
                    self.snapshots[frame.f_lineno] = snap  # last value wins
            elif event == "exception":
                raised = getattr(arg[0], "__name__", "exception")
            elif event == "return" and record is not None:
                # a frame left by an exception also "returns" None: that is no result
                if raised is None:
                    record["return"] = safe_repr(arg)
                else:
                    record["raised"] = raised
                record["return_line"] = frame.f_lineno
            return local

        return local


def _literal_args(frame, names) -> str | None:
    """The call's arguments as a Python literal (for generated inputs), if they are one."""
    try:
        vals = [frame.f_locals.get(n) for n in names]
        text = repr(tuple(vals))
        if len(text) > 2000:
            return None
        ast.literal_eval(text)
        return text
    except Exception:
        return None


# --------------------------------------------------------------------------- child side


def _install_target(source: str | None) -> None:
    """Load the candidate (or the original file) as the target module in sys.modules."""
    if source is None:
        with open(State.target_path, encoding="utf-8") as fh:
            source = fh.read()
    mod = types.ModuleType(State.target_module)
    mod.__file__ = State.target_path
    if "." in State.target_module:
        mod.__package__ = State.target_module.rpartition(".")[0]
    sys.modules[State.target_module] = mod
    code = compile(source, State.target_path, "exec", dont_inherit=True)
    exec(code, mod.__dict__)


def _frames(tb) -> list[list]:
    out = []
    for fs in traceback.extract_tb(tb):
        out.append([fs.filename, fs.lineno, fs.name, (fs.line or "")[:200]])
    return out[-12:]


_LIMIT = [5.0]  # the per-test limit of the current request (for messages)


class _TestTimeout(BaseException):
    """Raised by the soft per-test alarm, so a looping test still reports its coverage."""


def _soft_alarm(signum, frame):
    raise _TestTimeout


def _arm(seconds: float) -> None:
    signal.signal(signal.SIGALRM, _soft_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)


def _outcome_of(exc: BaseException) -> str:
    if isinstance(exc, _TestTimeout):
        return "timeout"
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, RecursionError):
        return "recursion"
    if isinstance(exc, AssertionError):
        return "fail"
    return "error"


class _Emitter:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __call__(self, obj: dict) -> None:
        data = (json.dumps(obj) + "\n").encode()
        while data:
            n = os.write(self.fd, data)
            data = data[n:]


def _simple_tests(mod: types.ModuleType) -> list[tuple[str, object]]:
    tests: list[tuple[str, object]] = []
    for name, obj in list(vars(mod).items()):
        if name.startswith("test") and isinstance(obj, types.FunctionType):
            if getattr(obj, "__module__", None) == mod.__name__:
                tests.append((name, obj))
        elif isinstance(obj, type) and name.startswith("Test") and obj.__module__ == mod.__name__:
            if issubclass(obj, unittest.TestCase):
                for meth in unittest.TestLoader().getTestCaseNames(obj):
                    tests.append((f"{name}::{meth}", ("unittest", obj, meth)))
            else:
                for meth in dir(obj):
                    if meth.startswith("test") and callable(getattr(obj, meth)):
                        tests.append((f"{name}::{meth}", ("class", obj, meth)))
        elif isinstance(obj, type) and issubclass(obj, unittest.TestCase) and (
            obj.__module__ == mod.__name__
        ):
            for meth in unittest.TestLoader().getTestCaseNames(obj):
                tests.append((f"{name}::{meth}", ("unittest", obj, meth)))
    return tests


def _call_test(obj) -> None:
    if isinstance(obj, tuple):
        kind, cls, meth = obj
        if kind == "unittest":
            result = unittest.TestResult()
            cls(meth).run(result)
            problems = result.failures + result.errors
            if problems:
                raise AssertionError(problems[0][1].strip().splitlines()[-1])
            return
        inst = cls()
        if hasattr(inst, "setup_method"):
            inst.setup_method(getattr(inst, meth))
        getattr(inst, meth)()
        return
    obj()


def _result(test_id: str, outcome: str, started: float, tracer: Tracer | None, exc=None) -> dict:
    res: dict = {"test": test_id, "outcome": outcome, "seconds": time.perf_counter() - started}
    if isinstance(exc, _TestTimeout):
        res["message"] = f"exceeded the time limit of {_LIMIT[0]:g} s"
        res["frames"] = _frames(exc.__traceback__)  # where the loop was when stopped
        exc = None
    if exc is not None:
        res["exc_type"] = type(exc).__name__
        res["message"] = str(exc)[:300]
        res["frames"] = _frames(exc.__traceback__)
    if tracer is not None:
        res["lines"] = sorted(tracer.lines)
        res["calls"] = tracer.calls[-20:]
        if tracer.values:
            res["values"] = {str(k): v for k, v in tracer.snapshots.items()}
    return res


def child_run(req: dict, emit: _Emitter) -> None:
    """Body of the forked child: load the candidate, run the selected tests in order."""
    os.setpgid(0, 0)
    cpu = req.get("cpu_seconds")
    if cpu:
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        used = int(time.process_time()) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (used + int(cpu), hard))
    sys.stdout = io.StringIO()
    sys.stderr = io.StringIO()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    trace = bool(req.get("trace"))
    values = bool(req.get("values"))
    wanted = req.get("tests")  # list of test ids, or None for all
    skip = set(req.get("skip", []))
    stop_on_fail = bool(req.get("stop_on_fail"))
    _LIMIT[0] = float(req.get("timeout", 5.0))
    soft = max(0.05, _LIMIT[0] * 0.8)  # fires before the parent's hard kill
    started = time.perf_counter()
    try:
        _install_target(req.get("source"))
    except BaseException as exc:
        emit(_result("<import>", _outcome_of(exc) if not isinstance(exc, AssertionError)
                     else "error", started, None, exc))
        return
    # Collect tests from each file (importing the test module runs its top-level code:
    # a script-style test like `check(f)` at module level is one test).
    order: list[tuple[str, object]] = []
    for t in State.tests:
        path = t["path"]
        tracer = Tracer(State.target_path, values) if trace else None
        mod_id = f"{t['rel']}::<module>"
        mod = types.ModuleType(t["module"])
        mod.__file__ = path
        sys.modules[t["module"]] = mod
        t0 = time.perf_counter()
        if tracer:
            sys.settrace(tracer)
        try:
            _arm(soft)
            exec(State.test_code[path], mod.__dict__)
            module_exc = None
        except BaseException as exc:
            module_exc = exc
        finally:
            _disarm()
            sys.settrace(None)
        if module_exc is not None or (tracer and tracer.calls):
            # Module-level code exercised the target (or failed): report it as a test.
            if wanted is None or mod_id in wanted:
                if module_exc is None:
                    emit(_result(mod_id, "pass", t0, tracer))
                else:
                    emit(_result(mod_id, _outcome_of(module_exc), t0, tracer, module_exc))
                    if stop_on_fail:
                        return
            if module_exc is not None:
                continue
        if path in State.pytest_files:
            order.append((f"{t['rel']}", ("pytest", path)))
            continue
        for name, obj in _simple_tests(mod):
            order.append((f"{t['rel']}::{name}", obj))
    if wanted is not None:
        rank = {tid: i for i, tid in enumerate(wanted)}
        order = [o for o in order if o[0] in rank or (isinstance(o[1], tuple)
                 and o[1][0] == "pytest")]
        order.sort(key=lambda o: rank.get(o[0], -1))
    for test_id, obj in order:
        if test_id in skip:
            continue
        if isinstance(obj, tuple) and obj[0] == "pytest":
            if not _run_pytest(obj[1], test_id, req, emit, trace, values, wanted, skip):
                return
            continue
        emit({"start": test_id})
        tracer = Tracer(State.target_path, values) if trace else None
        t0 = time.perf_counter()
        if tracer:
            sys.settrace(tracer)
        try:
            _arm(soft)
            _call_test(obj)
            exc = None
        except BaseException as e:
            exc = e
        finally:
            _disarm()
            sys.settrace(None)
        if exc is None:
            emit(_result(test_id, "pass", t0, tracer))
        else:
            emit(_result(test_id, _outcome_of(exc), t0, tracer, exc))
            if stop_on_fail:
                return
    probes = req.get("probes")
    if probes:
        emit({"probing": PROBE_BUDGET + 1.0})
        _run_probes(probes, emit)


def _run_pytest(path, rel, req, emit, trace, values, wanted, skip) -> bool:
    """Run one test file with pytest's runner (fixtures, parametrize), in this child."""
    import pytest

    state = {"stop": False}

    class Recorder:
        def __init__(self) -> None:
            self.tracer: Tracer | None = None
            self.t0 = 0.0

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_call(self, item):
            self.tracer = Tracer(State.target_path, values) if trace else None
            if self.tracer:
                sys.settrace(self.tracer)
            try:
                yield
            finally:
                sys.settrace(None)

        def pytest_runtest_logstart(self, nodeid, location):
            self.t0 = time.perf_counter()
            emit({"start": f"{rel}::{nodeid.split('::', 1)[-1]}"})

        def pytest_runtest_logreport(self, report):
            if report.when != "call" and not report.failed:
                return
            test_id = f"{rel}::{report.nodeid.split('::', 1)[-1]}"
            outcome = "pass" if report.passed else "fail"
            res = _result(test_id, outcome, self.t0, self.tracer)
            if report.failed:
                text = str(report.longrepr)
                res["message"] = text.strip().splitlines()[-1][:300] if text.strip() else ""
                res["exc_type"] = "AssertionError" if "AssertionError" in text else "Error"
                if res["exc_type"] != "AssertionError":
                    res["outcome"] = "error"
                res["frames"] = _frames_from_longrepr(report)
            emit(res)
            if report.failed and stop_on_fail_flag:
                state["stop"] = True
                raise KeyboardInterrupt

        def pytest_collection_modifyitems(self, items):
            keep = []
            for item in items:
                tid = f"{rel}::{item.nodeid.split('::', 1)[-1]}"
                if tid in skip:
                    continue
                if wanted is not None and tid not in wanted:
                    continue
                keep.append(item)
            items[:] = keep

    stop_on_fail_flag = bool(req.get("stop_on_fail"))
    with contextlib.suppress(KeyboardInterrupt):
        pytest.main([path, "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                     "--no-header", "-o", "addopts=", "--rootdir", State.root],
                    plugins=[Recorder()])
    return not state["stop"]


def _frames_from_longrepr(report) -> list[list]:
    out = []
    try:
        for entry in report.longrepr.reprtraceback.reprentries:
            loc = entry.reprfileloc
            path = loc.path if os.path.isabs(loc.path) else os.path.join(State.root, loc.path)
            out.append([path, loc.lineno, loc.message, ""])
    except Exception:
        pass
    return out[-12:]


def _run_probes(probes: list, emit: _Emitter) -> None:
    """Call target functions on generated inputs; report outputs (for behaviour checks)."""
    mod = sys.modules[State.target_module]
    outs = []
    deadline = time.perf_counter() + PROBE_BUDGET
    signal.signal(signal.SIGALRM, _alarm)
    for func, args_text in probes:
        if time.perf_counter() > deadline:
            outs.append("<budget>")
            continue
        try:
            args = ast.literal_eval(args_text)
            fn = getattr(mod, func)
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            try:
                value = fn(*args)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            outs.append(repr(value)[:300])
        except _ProbeTimeout:
            outs.append("<timeout>")
        except BaseException as exc:
            outs.append(f"<{type(exc).__name__}>")
    emit({"probes": outs})


class _ProbeTimeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _ProbeTimeout


# --------------------------------------------------------------------------- parent side


def run(req: dict) -> dict:
    """Fork a child for one candidate; enforce the per-test wall-clock budget."""
    per_test = float(req.get("timeout", 5.0))
    results: list[dict] = []
    skip = list(req.get("skip", []))
    probes = None
    status = "ok"
    for _attempt in range(50):  # re-fork after a hung test when not stopping on failure
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(r)
            code = 0
            try:
                child_run({**req, "skip": skip}, _Emitter(w))
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(w)
        current: str | None = None
        buf = b""
        deadline = time.monotonic() + per_test + 0.5  # import of the candidate included
        hung = False
        with os.fdopen(r, "rb", buffering=0) as pipe:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    hung = True
                    break
                ready, _, _ = select.select([pipe], [], [], left)
                if not ready:
                    continue
                chunk = pipe.read(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    msg = json.loads(line)
                    if "probing" in msg:
                        current = "<probes>"
                        deadline = time.monotonic() + float(msg["probing"])
                    elif "start" in msg:
                        current = msg["start"]
                        deadline = time.monotonic() + per_test
                    elif "probes" in msg:
                        probes = msg["probes"]
                    else:
                        results.append(msg)
                        current = None
                        deadline = time.monotonic() + per_test
        if hung:
            _kill_group(pid)
        _, wstatus = os.waitpid(pid, 0)
        crashed = None
        if not hung and os.WIFSIGNALED(wstatus):
            sig = os.WTERMSIG(wstatus)
            crashed = "cpu" if sig in (signal.SIGXCPU, signal.SIGKILL) else f"signal {sig}"
        if hung or crashed:
            outcome = "timeout" if hung else ("timeout" if crashed == "cpu" else "error")
            tid = current or "<import>"
            results.append({"test": tid, "outcome": outcome, "seconds": per_test,
                            "message": ("exceeded the time limit of "
                                        f"{per_test:g} s" if outcome == "timeout"
                                        else f"killed by {crashed}")})
            status = outcome
            if req.get("stop_on_fail") or current is None:
                break
            skip.append(current)
            skip.extend(r["test"] for r in results)
            continue
        break
    return {"ok": True, "results": results, "status": status, "probes": probes}


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr  # user code printing must not corrupt the protocol
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "setup":
                resp = setup(req)
            elif op == "run":
                resp = run(req)
            elif op == "ping":
                resp = {"ok": True}
            else:
                resp = {"ok": False, "error": f"unknown op {op!r}"}
        except Exception as exc:
            resp = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(resp) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
