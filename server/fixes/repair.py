"""Diagnose a file by running its tests, localise the fault, search and validate fixes.

The loop (no LLM): run the tests once with tracing (which target lines ran in each
test, the locals seen there, the calls into the file and what they returned), rank
lines by Ochiai suspiciousness (lines run by failing tests and few passing ones),
apply repair operators on the top lines, and run the tests against every candidate
in the sandbox. A candidate is *validated* when the failing tests now pass and every
test that passed still passes.

Precision over recall: validated candidates are then run on inputs generated from
the tests' own calls (Mokav-style probes). If validated candidates disagree on them,
the tests do not pin the fix down and the standard/strict settings decline.
"""

from __future__ import annotations

import ast
import contextlib
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tact.server.fixes.discovery import discover_tests
from tact.server.fixes.mutate import PRIORITY, Mutant, mutants
from tact.server.fixes.sandbox import RunReport, Sandbox, SandboxError, TestResult
from tact.server.fixes.syntax import compile_error, syntax_fixes, syntax_problems
from tact.server.fixes.types import Fix, Problem, Span, edit_between, span_of

BOM = "\ufeff"  # a byte-order mark some Windows editors write before the code

PRECISION = {
    # max candidates, suspicious lines, max edit chars, probes required to agree
    "lenient": {"candidates": 3000, "lines": 12, "edit": 60, "agree": False, "budget": 30.0,
                "max_disagree": 1.0},
    "standard": {"candidates": 2000, "lines": 10, "edit": 40, "agree": True, "budget": 20.0,
                 "max_disagree": 1.0},
    "strict": {"candidates": 2000, "lines": 8, "edit": 20, "agree": True, "budget": 20.0,
               "max_disagree": 0.25},
}


@dataclass(slots=True)
class RepairResult:
    problems: list[Problem] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    note: str = ""  # why there is no fix (or what was done)
    tests: list[str] = field(default_factory=list)
    seconds: float = 0.0
    candidates_tried: int = 0
    validated: int = 0


def ochiai(results: Sequence[TestResult]) -> dict[int, float]:
    """Suspiciousness of each target line from per-test line coverage."""
    failing = [r for r in results if not r.passed]
    passing = [r for r in results if r.passed]
    nf = len(failing)
    if nf == 0:
        return {}
    ef: dict[int, int] = {}
    ep: dict[int, int] = {}
    for r in failing:
        for ln in set(r.lines):
            ef[ln] = ef.get(ln, 0) + 1
    for r in passing:
        for ln in set(r.lines):
            ep[ln] = ep.get(ln, 0) + 1
    return {ln: e / math.sqrt(nf * (e + ep.get(ln, 0))) for ln, e in ef.items()}


def test_problems(text: str, target: str, results: Sequence[TestResult]) -> list[Problem]:
    """Map failing tests onto ranges of the target file (one diagnostic per location)."""
    lines = text.split("\n")
    by_line: dict[int, Problem] = {}
    for r in results:
        if r.passed:
            continue
        line = func = None
        for f in reversed(r.frames):  # innermost frame inside the target file
            if f[0] == target:
                line, func = f[1], f[2]
                break
        detail = f"{r.exc_type or r.outcome}: {r.message}".strip(": ")
        where = f" in {func}()" if func and func != "<module>" else ""
        if r.outcome == "timeout":
            detail = f"timed out{where} ({r.message})"
        elif r.outcome == "memory":
            detail = f"stopped{where}: {r.message}"
        if line is None and r.calls:
            last = r.calls[-1]
            line = last.get("return_line") or last.get("line")
            args = ", ".join(f"{k}={v}" for k, v in last.get("args", {}).items())
            if "return" in last:
                detail += f" ({last['func']}({args}) returned {last['return']})"
            elif "raised" in last:  # stopped or raised inside it: where, not a result
                detail += f" (in {last['func']}({args}))"
        if line is None:
            line = 1
        line = max(1, min(line, len(lines)))
        src = lines[line - 1]
        start = len(src) - len(src.lstrip())
        test = r.test.split("::")[-1]
        msg = f"test {test} failed: {detail}"[:400]
        p = by_line.get(line)
        if p is None:
            by_line[line] = Problem(Span(line - 1, start, line - 1, len(src)), msg, "test",
                                    code="test-failure", tests=[r.test])
        else:
            p.tests.append(r.test)
            if len(p.tests) == 2:
                p.message += " (and other tests)"
    return list(by_line.values())


def _errors_from(results: Sequence[TestResult]) -> tuple[list[str], list[tuple[str, str]]]:
    names: list[str] = []
    attrs: list[tuple[str, str]] = []
    for r in results:
        m = re.search(r"name '(\w+)' is not defined", r.message)
        if r.exc_type in ("NameError", "UnboundLocalError") and m and m.group(1) not in names:
            names.append(m.group(1))
        m = re.search(r"'(\w+)' object has no attribute '(\w+)'", r.message)
        if r.exc_type == "AttributeError" and m:
            attrs.append((m.group(1), m.group(2)))
        m = re.search(r"module '([\w.]+)' has no attribute '(\w+)'", r.message)
        if r.exc_type == "AttributeError" and m:
            attrs.append(("module", m.group(2)))
    return names, attrs


def _probe_inputs(results: Sequence[TestResult], limit: int = 40) -> list[tuple[str, str]]:
    """Inputs near the ones the tests used: each argument nudged one way at a time."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    base: list[tuple[str, tuple]] = []
    for r in results:
        for c in r.calls:
            lit = c.get("literal")
            if not lit:
                continue
            try:
                args = ast.literal_eval(lit)
            except (ValueError, SyntaxError):
                continue
            base.append((c["func"], args))
    for func, args in base:
        key = (func, repr(args))
        if key not in seen:
            seen.add(key)
            out.append(key)
    variants: list[tuple[str, str]] = []
    for func, args in base:
        for i, a in enumerate(args):
            for v in _nudges(a):
                new = (*args[:i], v, *args[i + 1 :])
                key = (func, repr(new))
                if key not in seen:
                    seen.add(key)
                    variants.append(key)
    # interleave so every base call gets a few variants within the limit
    return (out + variants)[:limit]


def _probe_sets(results: Sequence[TestResult], limit: int = 48) -> tuple[list, list]:
    """Probe inputs near the passing tests' calls, and near/at the failing tests' calls.

    The original code is right on the passing tests, so a fix should mostly agree with
    it on inputs *near* them; near the failing tests it is expected to differ.
    """
    failing = [r for r in results if not r.passed]
    passing = [r for r in results if r.passed]
    fail_probes = _probe_inputs(failing, limit // 2)
    exclude = set(fail_probes)
    pass_probes = [p for p in _probe_inputs(passing, limit) if p not in exclude]
    return pass_probes[: limit - len(fail_probes)], fail_probes


_IDENTITY = re.compile(r"(\*\*?|//?)\s*1(?![\w.])|[-+]\s*0(?![\w.])")


def _unnatural(m: Mutant, source: str) -> float:
    """Penalty for edits that leave an identity operation (``x * 1``, ``x + 0``): among
    equivalent fixes, a programmer would delete the operand instead."""
    if m.kind != "arithmetic":
        return 0.0
    fixed_line = m.apply(source).split("\n")[m.line - 1]
    return 5.0 if _IDENTITY.search(fixed_line) else 0.0


def _ordering_on_sequences(m: Mutant, source: str, failing: Sequence[TestResult]) -> bool:
    """An equality test turned into ``<``/``>`` between strings or lists: implausible."""
    if m.kind != "comparison" or source[m.start : m.end] not in ("==", "!="):
        return False
    if m.text not in ("<", "<=", ">", ">="):
        return False
    line_text = source.split("\n")[m.line - 1]
    names = set(re.findall(r"[A-Za-z_]\w*", line_text))
    for r in failing:
        snap = r.values.get(str(m.line), {})
        for k, v in snap.items():
            if k in names and v[:1] in ("'", '"', "["):
                return True
    return False


def _nudges(v: object) -> list[object]:
    if isinstance(v, bool):
        return [not v]
    if isinstance(v, int):
        return [v + 1, v - 1, 0, -v, v * 2 + 3]
    if isinstance(v, float):
        return [v + 0.5, v - 1.0, -v, 0.0]
    if isinstance(v, str):
        return [v[1:], v[:-1], v[::-1], v + v[:1], v.upper(), v.swapcase(), ""]
    if isinstance(v, list):
        out: list[object] = [v[1:], v[:-1], v[::-1], []]
        if v:
            out.append([*v, v[0]])
        with contextlib.suppress(TypeError):
            out.append(sorted(v))
        return out
    if isinstance(v, tuple):
        return [v[1:], v[::-1]]
    return []


def _line_values(result: TestResult, line: int) -> str:
    snap = result.values.get(str(line))
    if not snap:
        return ""
    items = list(snap.items())[:6]
    return ", ".join(f"{k}={v}" for k, v in items)


def _describe_failure(r: TestResult) -> str:
    test = r.test.split("::")[-1]
    if r.outcome == "timeout":
        return f"`{test}` did not finish ({r.message})"
    if r.outcome == "memory":
        return f"`{test}` was stopped: {r.message}"
    text = ""
    for f in reversed(r.frames):
        if f[3]:
            text = f[3].strip()
            break
    what = f"{r.exc_type}: {r.message}".strip(": ") if r.message else r.exc_type or r.outcome
    s = f"`{test}` failed with {what}"
    if text:
        s += f" at `{text}`"
    if r.calls:
        c = r.calls[-1]
        args = ", ".join(c.get("args", {}).values())
        if "return" in c:
            s += f"; `{c['func']}({args})` returned `{c['return']}`"
        elif "raised" in c:
            s += f"; `{c['func']}({args})` raised `{c['raised']}`"
    return s


def repair_file(path: Path, tests: Sequence[Path] | None = None, *, source: str | None = None,
                precision: str = "standard", timeout: float = 10.0, memory_mb: int = 512,
                max_fixes: int = 3, scorer: Callable[[str], float] | None = None,
                workers: int = 2, run_tests: bool = True,
                progress: Callable[[str], None] | None = None) -> RepairResult:
    """Diagnose ``path`` (or its unsaved ``source``) and return validated fixes, best first.

    Syntax errors are handled without running anything. Test-based repair runs the
    user's code in the sandbox: callers must only pass ``run_tests=True`` when
    execution is allowed.
    """
    path = Path(path).resolve()
    if source is None:
        source = path.read_text(encoding="utf-8")
    if not source.startswith(BOM):
        return _repair(path, tests, source, precision, timeout, memory_mb, max_fixes,
                       scorer, workers, run_tests, progress)
    # A byte-order mark is no character of the code (Python and editors skip it):
    # positions count without it, and each fixed file keeps it.
    result = _repair(path, tests, source[1:], precision, timeout, memory_mb, max_fixes,
                     scorer, workers, run_tests, progress)
    for f in result.fixes:
        f.fixed_source = BOM + f.fixed_source
    return result


def _repair(path: Path, tests: Sequence[Path] | None, source: str, precision: str,
            timeout: float, memory_mb: int, max_fixes: int,
            scorer: Callable[[str], float] | None, workers: int, run_tests: bool,
            progress: Callable[[str], None] | None) -> RepairResult:
    t0 = time.perf_counter()
    cfg = PRECISION.get(precision, PRECISION["standard"])
    result = RepairResult()
    if compile_error(source, str(path)) is not None:
        result.problems = syntax_problems(source, str(path))
        result.fixes = syntax_fixes(source, precision=precision, max_fixes=max_fixes,
                                    scorer=scorer, filename=str(path))
        result.note = "syntax error" + ("" if result.fixes else "; no small edit compiles")
        result.seconds = time.perf_counter() - t0
        return result
    if not run_tests:
        result.note = "execution disabled"
        return result
    test_paths = [Path(t).resolve() for t in tests] if tests else discover_tests(path)
    if not test_paths:
        result.note = "no tests found for this file"
        result.seconds = time.perf_counter() - t0
        return result
    try:
        with Sandbox(path, source, test_paths, timeout=timeout, memory_mb=memory_mb,
                     workers=workers) as sb:
            _repair_in(sb, source, cfg, precision, max_fixes, result, progress, t0)
    except SandboxError as exc:
        result.note = str(exc)
    result.seconds = time.perf_counter() - t0
    return result


def _repair_in(sb: Sandbox, source: str, cfg: dict, precision: str, max_fixes: int,
               result: RepairResult, progress: Callable[[str], None] | None,
               t0: float) -> None:
    base = sb.run(trace=True, values=True)
    target = str(sb.target_copy)
    result.tests = [r.test for r in base.results]
    result.problems = test_problems(source, target, base.results)
    failing = [r for r in base.results if not r.passed]
    passing = [r for r in base.results if r.passed]
    if not base.results:
        result.note = "no tests were collected"
        return
    if not failing:
        result.note = f"all {len(passing)} tests pass"
        return
    if any(r.test == "<worker>" for r in failing):
        result.note = "the sandbox failed to run the tests"
        return
    # Fault localisation: Ochiai, plus lines named by tracebacks inside the target.
    susp = ochiai(base.results)
    for r in failing:
        for f in r.frames:
            if f[0] == target:
                susp[f[1]] = max(susp.get(f[1], 0.0), 1.0)
    lines = sorted(susp, key=lambda ln: (-susp[ln], ln))[: cfg["lines"]]
    names, attrs = _errors_from(failing)
    cands = list(mutants(source, lines, name_errors=names, attr_errors=attrs))
    rank_line = {ln: i for i, ln in enumerate(lines)}
    cands.sort(key=lambda m: (PRIORITY.get(m.kind, 9) + rank_line.get(m.line, 3) * 0.7,
                              len(m.text) + (m.end - m.start)))
    cands = [m for m in cands if len(m.text) + (m.end - m.start) <= cfg["edit"]]
    cands = cands[: cfg["candidates"]]
    finished = [r.seconds for r in base.results if r.outcome not in ("timeout",)]
    per_test = min(sb.timeout, max(0.5, 10 * max(finished or [0.05]) + 0.3))
    order = [r.test for r in failing] + [r.test for r in passing]
    # When the module does not even import, no test ran: a candidate must import and
    # then pass every test the files define.
    import_broken = any(r.test == "<import>" for r in failing)
    validated: list[tuple[Mutant, str]] = []
    budget_end = t0 + cfg["budget"]
    tried = 0
    batch = 64
    for i in range(0, len(cands), batch):
        if time.perf_counter() > budget_end:
            break
        chunk = cands[i : i + batch]
        sources = [m.apply(source) for m in chunk]
        ok_chunk = []
        for m, s in zip(chunk, sources, strict=True):
            try:
                compile(s, "<candidate>", "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                continue
            ok_chunk.append((m, s))
        reports = sb.run_many([s for _, s in ok_chunk], tests=None if import_broken else order,
                              stop_on_fail=True, timeout=per_test)
        tried += len(ok_chunk)
        for (m, s), rep in zip(ok_chunk, reports, strict=True):
            got = {r.test: r.passed for r in rep.results}
            if import_broken:
                ok = bool(got) and all(got.values())
            else:
                ok = all(got.get(t) for t in order)
            if ok:
                validated.append((m, s))
        if progress:
            progress(f"tried {tried} candidates, {len(validated)} validated")
        if len(validated) >= 40:
            break
    result.candidates_tried = tried
    result.validated = len(validated)
    if not validated:
        result.note = f"no validated fix among {tried} candidate edits"
        return
    # Precision: evidence and type sanity before behaviour probes.
    if cfg["agree"] and len(failing) == 1 and len(passing) >= 4:
        # One corner-case test against many passing ones: a one-token edit that flips
        # it is usually an overfit (the real bug is missing logic). Only edits driven
        # by the error itself (undefined names, attributes) are trusted here.
        validated = [(m, s) for m, s in validated if m.kind in ("name", "import", "attribute")]
        if not validated:
            result.note = ("only one of the tests fails and a one-token edit that flips it "
                           "is likely an overfit: declined")
            return
    validated = [(m, s) for m, s in validated if not _ordering_on_sequences(m, source, failing)]
    if not validated:
        result.note = "the only validated edits order strings or lists: declined"
        return
    # Precision: probe behaviour on generated inputs near the tests' own calls.
    near_pass, near_fail = _probe_sets(base.results)
    probes = near_pass + near_fail
    evidence: dict[int, dict] = {}
    strength = "tests"
    if probes:
        strength = "tests+probes"
        sources = [source] + [s for _, s in validated]
        reps = sb.run_many(sources, tests=[], probes=probes, timeout=per_test)
        orig = reps[0].probes or []
        if len(orig) != len(probes):  # the original hung or crashed while probed
            orig = ["<unknown>"] * len(probes)
        kept_valid = []
        groups: dict[tuple, int] = {}
        for (m, s), rep in zip(validated, reps[1:], strict=True):
            out = rep.probes or []
            if len(out) != len(orig):
                continue
            hang = sum(1 for o, c in zip(orig, out, strict=True)
                       if not o.startswith("<") and c in ("<timeout>", "<budget>"))
            n_pass = len(near_pass)
            differ = sum(1 for o, c in zip(orig[:n_pass], out[:n_pass], strict=True)
                         if o != c and o != "<unknown>")
            rate = differ / n_pass if n_pass else 0.0
            evidence[id(m)] = {"hangs": hang, "disagree_near_passing": round(rate, 3),
                               "probes": len(probes)}
            if rate > cfg["max_disagree"]:
                continue  # changes behaviour around tests that already passed
            kept_valid.append((m, s))
            groups[tuple(out)] = groups.get(tuple(out), 0) + 1
        if not kept_valid:
            result.note = (f"{len(validated)} edits pass the tests but change behaviour on "
                           "inputs near the passing tests (or hang): declined")
            return
        if len(groups) > 1 and cfg["agree"]:
            result.note = (f"{len(kept_valid)} validated edits behave differently on "
                           f"{len(probes)} generated inputs: the tests do not pin the fix "
                           "down; declined")
            return
        validated = kept_valid
    ranked = sorted(validated, key=lambda ms: (
        PRIORITY.get(ms[0].kind, 9) + rank_line.get(ms[0].line, 3) * 0.7
        + _unnatural(ms[0], source), len(ms[0].text) + ms[0].end - ms[0].start))
    if precision == "strict" and len(ranked) > 1:
        ranked = ranked[:1]
    fixed_tests = [r.test for r in failing]
    kept = [r.test for r in passing]
    for m, s in ranked[:max_fixes]:
        fix = _make_fix(source, m, s, failing, fixed_tests, kept, strength, len(validated),
                        tried, susp)
        fix.evidence = {**evidence.get(id(m), {}), "validated": len(validated), "tried": tried}
        result.fixes.append(fix)
    result.note = f"{len(validated)} validated of {tried} candidates"


def _make_fix(source: str, m: Mutant, fixed: str, failing: list[TestResult],
              fixed_tests: list[str], kept: list[str], strength: str, n_valid: int,
              tried: int, susp: dict[int, float]) -> Fix:
    s, e, t = edit_between(source, fixed)
    span = span_of(source, s, e)
    first = failing[0]
    vals = _line_values(first, m.line)
    short_tests = ", ".join(x.split("::")[-1] for x in fixed_tests[:3])
    if len(fixed_tests) > 3:
        short_tests += f" and {len(fixed_tests) - 3} more"
    if fixed_tests == ["<import>"]:
        short_tests = "the module import and its tests"
    title = f"Fix: {m.detail} on line {m.line} (makes {short_tests} pass)"
    parts = [f"What failed: {_describe_failure(first)}."]
    if len(failing) > 1:
        parts.append(f"{len(failing) - 1} other test(s) failed too.")
    if vals:
        parts.append(f"Runtime values at line {m.line} in the failing run: {vals}.")
    score = susp.get(m.line)
    loc = (f" Line {m.line} ran in the failing tests (suspiciousness {score:.2f})."
           if score is not None else "")
    parts.append(f"The edit: {m.detail} on line {m.line} ({m.kind} repair).{loc}")
    parts.append(f"Validated by running the tests: {len(fixed_tests)} failing test(s) now pass "
                 f"({short_tests}) and the {len(kept)} test(s) that passed still pass.")
    if strength == "tests+probes":
        parts.append(f"{n_valid} of {tried} candidate edits passed the tests; all of them agree "
                     "on inputs generated from the tests' own calls.")
    else:
        parts.append(f"{n_valid} of {tried} candidate edits passed the tests.")
    prob = Problem(span, f"test {first.test.split('::')[-1]} failed", "test",
                   code="test-failure", tests=fixed_tests)
    return Fix(span=span, new_text=t, fixed_source=fixed, operator=m.kind,
               edit_size=(e - s) + len(t), title=title, explanation=" ".join(parts),
               validated=True, validation=strength, problem=prob,
               tests_fixed=fixed_tests, tests_kept=kept)


__all__ = ["RepairResult", "RunReport", "ochiai", "repair_file", "test_problems"]
