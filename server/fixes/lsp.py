"""LSP surface of self-debug fixes: diagnostics, quick fixes, explanations, telemetry.

``register_fix_features(server)`` is the one call ``server.py`` makes. It adds:

- diagnostics (source ``tact``): syntax errors on open/change (compiler + tree-sitter,
  milliseconds, debounced), test failures on save and on the ``tact.runTests``
  command, the latter only when ``fixes.allowExecution`` is true;
- ``textDocument/codeAction`` quick fixes (validated edits) with a short title, and
  ``codeAction/resolve`` adding the edit and the long explanation (``data``);
- ``textDocument/hover`` over a diagnosed range: the long explanation;
- the fix gate (:mod:`.gating`): when a fix model is loaded, each fix is shown only
  if the gate's policy says so (P(applied) from the fix model); hidden fixes appear
  nowhere (code actions, diagnostic messages, hover). With no fix model every
  validated fix is shown;
- telemetry: one ``Decision(kind="fix")`` per fix when it is first gated (stage
  ``shown`` or ``hidden``, with P(applied) and the fix features), outcome ``accepted``
  through the ``tact.fixApplied`` command the action carries, and ``rejected`` when a
  shown fix was never applied and a newer diagnosis (tests run again, or the text
  changed under a syntax fix) replaces it.

didOpen/didChange/didSave belong to the server's own handlers; we chain after them
(the original handler runs first, unchanged) instead of editing them. Heavy work
(the fix search, test runs) runs on a dedicated thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path
from tact.server.fixes.gating import FixGate, fix_decision
from tact.server.fixes.repair import RepairResult, repair_file
from tact.server.fixes.syntax import syntax_fixes, syntax_problems
from tact.server.fixes.types import Fix, Problem, Span

log = logging.getLogger("tact.fixes")

RUN_TESTS = "tact.runTests"
FIX_APPLIED = "tact.fixApplied"
SOURCE = "tact"
SYNTAX_DEBOUNCE_S = 0.25


@dataclass
class _DocState:
    syntax: list[Problem] = field(default_factory=list)
    tests: list[Problem] = field(default_factory=list)
    fixes: dict[str, tuple[Fix, str]] = field(default_factory=dict)  # id -> (fix, text hash)
    syntax_cache: tuple[str, list[Fix]] | None = None  # (text hash, fixes)
    recorded: set[str] = field(default_factory=set)
    shown: set[str] = field(default_factory=set)  # gated and shown (hidden: recorded only)
    applied: set[str] = field(default_factory=set)
    syntax_task: asyncio.TimerHandle | None = None
    running: bool = False


class FixService:
    """Per-server state of the fix features (kept off the server class on purpose)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.docs: dict[str, _DocState] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tact-fix")
        self.gate = FixGate(notify=getattr(server, "notify_user", None))
        self.rng = random.Random()

    # -- helpers ------------------------------------------------------------------------

    def settings(self) -> Any:
        return self.server.settings.fixes

    def doc(self, uri: str) -> _DocState:
        return self.docs.setdefault(uri, _DocState())

    def text(self, uri: str) -> str:
        return self.server.workspace.get_text_document(uri).source

    @staticmethod
    def is_python(uri: str) -> bool:
        return uri.endswith((".py", ".pyi")) or uri.startswith("untitled:")

    def lsp_range(self, uri: str, span: Span) -> types.Range:
        """``span`` counts code points; the client counts its own position units
        (UTF-16 unless negotiated otherwise), which differ on non-ASCII lines."""
        rng = _range(span)
        try:
            doc = self.server.workspace.get_text_document(uri)
            if doc.source.isascii():
                return rng
            return doc.position_codec.range_to_client_units(doc.lines, rng)
        except Exception:  # a document the workspace no longer has: best effort
            return rng

    def server_position(self, uri: str, pos: types.Position) -> types.Position:
        """A client position in code points (the inverse of :meth:`lsp_range`)."""
        try:
            doc = self.server.workspace.get_text_document(uri)
            if doc.source.isascii():
                return pos
            p = doc.position_codec.position_from_client_units(doc.lines, pos)
            return types.Position(line=p.line, character=p.character)
        except Exception:
            return pos

    def publish(self, uri: str) -> None:
        st = self.doc(uri)
        diags = [_diagnostic(p, self._fix_for(uri, p), self.lsp_range(uri, p.span))
                 for p in st.syntax + st.tests]
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diags))

    def _fix_for(self, uri: str, p: Problem) -> Fix | None:
        st = self.doc(uri)
        for fid, (fix, _h) in st.fixes.items():
            if fix.problem is not None and fix.problem.kind == p.kind and fid in st.shown:
                return fix
        return None

    # -- syntax (fast, on open/change) --------------------------------------------------

    def schedule_syntax(self, uri: str) -> None:
        if not self.settings().enable or not self.is_python(uri):
            return
        st = self.doc(uri)
        if st.syntax_task is not None:
            st.syntax_task.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.check_syntax(uri)
            return
        st.syntax_task = loop.call_later(SYNTAX_DEBOUNCE_S, self.check_syntax, uri)

    def check_syntax(self, uri: str) -> None:
        try:
            text = self.text(uri)
        except Exception:
            return
        path = to_fs_path(uri) or uri
        self.doc(uri).syntax = syntax_problems(text, path)
        self._retire_syntax(uri, _hash(text))
        self.publish(uri)

    def _retire_syntax(self, uri: str, text_hash: str) -> None:
        """The text changed: syntax fixes of older text are gone; shown ones that were
        not applied become rejected (a late ``tact.fixApplied`` still wins)."""
        st = self.doc(uri)
        for fid, (fix, h) in list(st.fixes.items()):
            if h == text_hash or fix.problem is None or fix.problem.kind != "syntax":
                continue
            if fid in st.shown and fid not in st.applied:
                self._outcome(fid, "rejected")
            del st.fixes[fid]

    async def syntax_fixes_for(self, uri: str, text: str) -> list[Fix]:
        st = self.doc(uri)
        h = _hash(text)
        if st.syntax_cache is not None and st.syntax_cache[0] == h:
            return st.syntax_cache[1]
        precision = self.settings().precision
        loop = asyncio.get_running_loop()
        model_dir = self._model_dir()

        def work() -> list[Fix]:
            self.gate.refresh(model_dir)
            return syntax_fixes(text, precision=precision, max_fixes=3)

        fixes = await loop.run_in_executor(self.pool, work)
        shown = self._gate(uri, fixes, h)
        st.syntax_cache = (h, shown)
        return shown

    # -- the fix gate -------------------------------------------------------------------

    def _model_dir(self) -> str | None:
        """The completion gate's model directory (None: the packaged default)."""
        target = getattr(getattr(self.server, "pipeline", None), "model_target", None)
        try:
            return target() if callable(target) else None
        except Exception:
            return None

    def _gate(self, uri: str, fixes: list[Fix], h: str) -> list[Fix]:
        """Decide show/hide for each new fix (once per fix id), record every decision;
        returns the shown fixes in their original order."""
        st = self.doc(uri)
        shown = []
        for rank, f in enumerate(fixes):
            fid = _fix_id(f, h)
            st.fixes[fid] = (f, h)
            if fid not in st.recorded:
                verdict = self.gate.decide(
                    f, rank=rank, siblings=fixes, precision=self.settings().precision,
                    gate_settings=self.server.settings.gate, rng=self.rng)
                st.recorded.add(fid)
                if verdict.show:
                    st.shown.add(fid)
                self._record(fid, f, verdict, h)
            if fid in st.shown:
                shown.append(f)
        return shown

    # -- tests (on save / command, only with execution allowed) -------------------------

    async def run_tests(self, uri: str) -> dict[str, Any]:
        cfg = self.settings()
        if not cfg.enable:
            return {"ran": False, "reason": "fixes are disabled (fixes.enable)"}
        if not cfg.allow_execution:
            return {"ran": False,
                    "reason": "running code is disabled (set tact.fixes.allowExecution)"}
        path = to_fs_path(uri)
        if not path or not self.is_python(uri):
            return {"ran": False, "reason": "not a Python file on disk"}
        st = self.doc(uri)
        if st.running:
            return {"ran": False, "reason": "tests are already running for this file"}
        text = self.text(uri)
        st.running = True
        try:
            loop = asyncio.get_running_loop()
            model_dir = self._model_dir()

            def work() -> RepairResult:
                self.gate.refresh(model_dir)  # hot reload, off the event loop
                return repair_file(Path(path), None, source=text, precision=cfg.precision,
                                   timeout=float(cfg.timeout_seconds),
                                   memory_mb=int(cfg.memory_mb))

            result: RepairResult = await loop.run_in_executor(self.pool, work)
        except Exception as exc:
            log.exception("running tests for %s failed", uri)
            return {"ran": False, "reason": f"{type(exc).__name__}: {exc}"}
        finally:
            st.running = False
        h = _hash(text)
        self._retire(uri, keep_kind="syntax")
        if result.problems and result.problems[0].kind == "syntax":
            st.syntax = result.problems
            st.tests = []
        else:
            st.tests = result.problems
        self._gate(uri, result.fixes, h)
        self.publish(uri)
        return {"ran": bool(result.tests), "tests": len(result.tests),
                "failed": sum(1 for p in st.tests for _ in p.tests),
                "fixes": len(result.fixes), "note": result.note,
                "seconds": round(result.seconds, 3)}

    def _retire(self, uri: str, keep_kind: str) -> None:
        """Forget old test fixes; never-applied ones that were shown become rejected."""
        st = self.doc(uri)
        for fid, (fix, _h) in list(st.fixes.items()):
            if fix.problem is not None and fix.problem.kind == keep_kind:
                continue
            if fid in st.shown and fid not in st.applied:
                self._outcome(fid, "rejected")
            del st.fixes[fid]

    # -- code actions -------------------------------------------------------------------

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        if not self.settings().enable or not self.is_python(uri):
            return []
        if params.context.only and not any(
                str(k).startswith("quickfix") for k in params.context.only):
            return []
        text = self.text(uri)
        h = _hash(text)
        st = self.doc(uri)
        fixes: list[tuple[str, Fix]] = []
        if st.syntax or (params.context.diagnostics and any(
                (d.code == "syntax-error") for d in params.context.diagnostics)):
            fixes += [(_fix_id(f, h), f) for f in await self.syntax_fixes_for(uri, text)]
        else:
            fixes += [(fid, f) for fid, (f, fh) in st.fixes.items()
                      if fh == h and f.problem is not None and f.problem.kind == "test"
                      and fid in st.shown]
        actions = []
        for i, (fid, fix) in enumerate(fixes):
            diag = [d for d in params.context.diagnostics if d.source == SOURCE]
            actions.append(types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=diag or None,
                is_preferred=i == 0,
                edit=_workspace_edit(uri, fix, self.lsp_range(uri, fix.span)),
                command=types.Command(title="tact: fix applied", command=FIX_APPLIED,
                                      arguments=[fid]),
                data={"uri": uri, "fixId": fid},
            ))
        return actions

    def resolve(self, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        uri, fid = data.get("uri"), data.get("fixId")
        entry = self.doc(uri).fixes.get(fid) if uri and fid else None
        if entry is None:
            return action
        fix = entry[0]
        action.edit = action.edit or _workspace_edit(uri, fix, self.lsp_range(uri, fix.span))
        action.data = {**data, "explanation": fix.explanation, "validation": fix.validation,
                       "operator": fix.operator, "editSize": fix.edit_size}
        return action

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        st = self.docs.get(uri)
        if st is None:
            return None
        pos = self.server_position(uri, params.position)
        for p in st.syntax + st.tests:
            if _contains(p.span, pos.line, pos.character):
                fix = self._fix_for(uri, p)
                body = f"**tact**: {p.message}"
                if fix is not None:
                    body += f"\n\n**Suggested fix**: {fix.title}\n\n{fix.explanation}"
                return types.Hover(contents=types.MarkupContent(
                    kind=types.MarkupKind.Markdown, value=body), range=self.lsp_range(uri, p.span))
        return None

    # -- telemetry ----------------------------------------------------------------------

    def _recorder(self) -> Any:
        pipeline = getattr(self.server, "pipeline", None)
        return getattr(pipeline, "recorder", None), getattr(pipeline, "session", "fixes")

    def _record(self, fid: str, fix: Fix, verdict: Any, text_hash: str) -> None:
        recorder, session = self._recorder()
        if recorder is None:
            return
        try:
            recorder.record(fix_decision(fid, session, fix, verdict, document_hash=text_hash,
                                         when=time.time()))
        except Exception:
            log.exception("recording a fix decision failed")

    def applied(self, fid: str) -> bool:
        for st in self.docs.values():
            if fid in st.fixes or fid in st.recorded:
                st.applied.add(fid)
                self._outcome(fid, "accepted", override=True)
                return True
        return False

    def _outcome(self, fid: str, outcome: str, override: bool = False) -> None:
        recorder, _ = self._recorder()
        if recorder is None:
            return
        try:
            recorder.set_outcome(fid, outcome, time=time.time(), override=override)
        except Exception:
            log.exception("recording a fix outcome failed")


# --------------------------------------------------------------------------- helpers


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _fix_id(fix: Fix, text_hash: str) -> str:
    key = f"{text_hash}:{fix.span}:{fix.new_text}"
    return "fix-" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def _range(span: Span) -> types.Range:
    return types.Range(start=types.Position(line=span.start_line, character=span.start_char),
                       end=types.Position(line=span.end_line, character=span.end_char))


def _contains(span: Span, line: int, char: int) -> bool:
    if line < span.start_line or line > span.end_line:
        return False
    if line == span.start_line and char < span.start_char:
        return False
    return not (line == span.end_line and char > span.end_char)


def _diagnostic(p: Problem, fix: Fix | None, rng: types.Range) -> types.Diagnostic:
    message = p.message
    if fix is not None:
        message += f"\n(tact quick fix: {fix.title})"
    return types.Diagnostic(range=rng, message=message, source=SOURCE,
                            severity=types.DiagnosticSeverity(p.severity), code=p.code or None)


def _workspace_edit(uri: str, fix: Fix, rng: types.Range) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [types.TextEdit(range=rng,
                                                             new_text=fix.new_text)]})


def _chain(server: Any, method: str, after: Callable[[Any], None], options: Any = None) -> None:
    """Run ``after(params)`` after the server's own handler of ``method`` (or alone)."""
    features = server.protocol.fm.features
    original = features.get(method)
    if original is None:
        @server.feature(method, options)
        def only(ls: Any, params: Any) -> None:
            after(params)
        return

    if asyncio.iscoroutinefunction(original):
        async def chained(*args: Any, **kwargs: Any) -> Any:
            result = await original(*args, **kwargs)
            _safe(after, args[-1] if args else kwargs.get("params"))
            return result
    else:
        def chained(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            result = original(*args, **kwargs)
            _safe(after, args[-1] if args else kwargs.get("params"))
            return result

    for attr in ("ls_type", "method_name", "execute_in_thread"):
        if hasattr(original, attr):
            setattr(chained, attr, getattr(original, attr))
    features[method] = chained


def _safe(fn: Callable[[Any], None], params: Any) -> None:
    try:
        fn(params)
    except Exception:
        log.exception("tact fixes hook failed")


def register_fix_features(server: Any) -> FixService:
    """Register the fix features on ``server`` (a pygls LanguageServer with
    ``settings.fixes`` and optionally ``pipeline.recorder``)."""
    service = FixService(server)
    server.fix_service = service

    def on_open(params: types.DidOpenTextDocumentParams) -> None:
        service.schedule_syntax(params.text_document.uri)

    def on_change(params: types.DidChangeTextDocumentParams) -> None:
        service.schedule_syntax(params.text_document.uri)

    def on_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        service.schedule_syntax(uri)
        if service.settings().allow_execution and service.settings().enable:
            asyncio.get_running_loop().create_task(service.run_tests(uri))

    def on_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        service.docs.pop(uri, None)

    _chain(server, types.TEXT_DOCUMENT_DID_OPEN, on_open)
    _chain(server, types.TEXT_DOCUMENT_DID_CHANGE, on_change)
    _chain(server, types.TEXT_DOCUMENT_DID_SAVE, on_save, types.SaveOptions(include_text=False))
    _chain(server, types.TEXT_DOCUMENT_DID_CLOSE, on_close)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=True))
    async def code_action(ls: Any, params: types.CodeActionParams) -> list[types.CodeAction]:
        return await service.code_actions(params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    def code_action_resolve(ls: Any, params: types.CodeAction) -> types.CodeAction:
        return service.resolve(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: Any, params: types.HoverParams) -> types.Hover | None:
        return service.hover(params)

    @server.command(RUN_TESTS)
    async def run_tests(ls: Any, *args: Any) -> dict[str, Any]:
        uri = args[0] if args else None
        if isinstance(uri, dict):
            uri = uri.get("uri")
        if not isinstance(uri, str):
            return {"ran": False, "reason": "expected arguments [uri]"}
        return await service.run_tests(uri)

    @server.command(FIX_APPLIED)
    def fix_applied(ls: Any, *args: Any) -> bool:
        return bool(args) and service.applied(str(args[0]))

    return service


__all__ = ["FIX_APPLIED", "RUN_TESTS", "FixService", "register_fix_features"]
