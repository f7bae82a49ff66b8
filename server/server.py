"""The tact language server: THE one place its LSP features are registered.

Each handler here is a few lines that delegate: documents and settings to the
server's state, suggestions to :mod:`tact.server.pipeline`, item shapes to
:mod:`tact.server.lsp.items`. Other features (self-debug fixes) register their
handlers from :func:`register_features` with one call each.

Custom protocol (documented in README, "Custom methods"):
``tact.accept`` / ``tact.reloadModel`` / ``tact.trainModel`` / ``tact.modelReport``
commands, ``tact/didShowCompletion`` and
``tact/didPartiallyAcceptCompletion`` notifications, the ``tact/status`` request, and
the replay-only ``tact/replayClock`` notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import stat
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from tact.server.cli.main import package_version
from tact.server.lsp import items, model_commands
from tact.server.lsp.client_log import ClientLogHandler
from tact.server.lsp.offsets import offset_at
from tact.server.lsp.protocol import Edit, TactProtocol
from tact.server.lsp.workspace_index import source_files
from tact.server.pipeline.context import language_of, unsuitable
from tact.server.pipeline.suggest import Pipeline
from tact.server.settings import Settings, parse_settings, to_protocol

log = logging.getLogger("tact.server")

# Custom method names (the agreed protocol).
ACCEPT = items.ACCEPT_COMMAND
RELOAD_MODEL = "tact.reloadModel"
DID_SHOW = "tact/didShowCompletion"
DID_PARTIALLY_ACCEPT = "tact/didPartiallyAcceptCompletion"
STATUS = "tact/status"
REPLAY_CLOCK = "tact/replayClock"  # replay-only extension

# How often (wall time) pending suggestions are checked against the reject timeout.
EXPIRY_INTERVAL_S = 1.0
# How often (wall time) the gate model directory is checked for a new model.
MODEL_WATCH_INTERVAL_S = 2.0


def make_provider(engine: str) -> Any:
    """The completion provider named by the ``engine`` setting (only "embedded" today).

    ``TACT_PROVIDER=module:factory`` in the environment plugs in another provider
    (an experimental engine) without touching the server.
    """
    custom = os.environ.get("TACT_PROVIDER")
    if custom:
        module_name, _, attr = custom.partition(":")
        factory = getattr(importlib.import_module(module_name), attr or "Provider")
        return factory()
    from tact.models.engine import EmbeddedProvider

    if engine != "embedded":
        log.warning("engine %r is not available; using the embedded engine", engine)
    return EmbeddedProvider()


class _QuietParseErrors(logging.Filter):
    """Drop pygls's traceback for a message that is not JSON: the server answers it
    with a parse error and logs one line of its own (``report_server_error``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, json.JSONDecodeError)


class TactServer(LanguageServer):
    """Server state: settings, the suggestion pipeline, and per-document bookkeeping."""

    def __init__(self, telemetry_url: str | None = None) -> None:
        super().__init__(
            name="tact",
            version=package_version(),
            protocol_cls=TactProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.default_telemetry_url = telemetry_url
        self.settings = self._base_settings()
        self.pipeline: Pipeline | None = None
        self.client_log = ClientLogHandler(self)
        self.languages: dict[str, str | None] = {}  # uri -> tact language (None: unsupported)
        self.unsuitable: dict[str, str] = {}  # uri -> why it gets no suggestions
        self._learned_lines: dict[str, int] = {}  # uri -> line count when last learned
        self.indexing = False
        self.indexed_files = 0
        self._expiry_task: asyncio.Task[None] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self.training = False  # a tact.trainModel run is in progress
        self.background: set[asyncio.Future[None]] = set()  # keeps running tasks alive

    @staticmethod
    def _quiet_parse_errors() -> None:
        """One log line per malformed message (ours), not pygls's traceback too."""
        for name in ("pygls.server", "pygls.io_"):
            logger = logging.getLogger(name)
            if not any(isinstance(f, _QuietParseErrors) for f in logger.filters):
                logger.addFilter(_QuietParseErrors())

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one client over TCP (debugging); malformed messages as over stdio."""
        self._quiet_parse_errors()
        super().start_tcp(host, port)

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve over stdio, reading stdin on the event loop itself.

        pygls reads stdin through a thread pool (several thread hand-offs per message,
        each contending for the GIL with the engine thread); on a pipe, asyncio's own
        pipe reader does the same with none. Anything else (a regular file) keeps
        pygls's reader.
        """
        self._quiet_parse_errors()
        stdin = stdin or sys.stdin.buffer
        if not _is_pipe(stdin):
            super().start_io(stdin, stdout)
            return
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(self._serve_pipe(stdin))
        except BrokenPipeError:
            log.error("connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    async def _serve_pipe(self, stdin: Any) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 24)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
        assert self._stop_event is not None
        await run_async(
            stop_event=self._stop_event,
            reader=reader,
            protocol=self.protocol,
            logger=logging.getLogger("pygls.server"),
            error_handler=self.report_server_error,
        )

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Answer a message that is not JSON with a JSON-RPC parse error (id null).

        pygls would pop up "Error in server" in the editor instead; the client that
        sent garbage is the one that should hear about it, and the server goes on.
        """
        if isinstance(error, json.JSONDecodeError):
            log.error("malformed JSON-RPC message ignored: %s", error)
            self.protocol._send_data(  # a plain dict: lsprotocol would drop the null id
                {
                    "jsonrpc": "2.0",
                    "id": None,
                    "error": {
                        "code": int(types.ErrorCodes.ParseError),
                        "message": f"Parse error: the message is not valid JSON ({error})",
                    },
                }
            )
            return
        super().report_server_error(error, source)

    def _base_settings(self) -> Settings:
        settings = Settings()
        if self.default_telemetry_url:
            settings.telemetry.url = self.default_telemetry_url
        return settings

    # -- settings -----------------------------------------------------------------------

    def update_settings(self, raw: Any) -> None:
        self.settings = parse_settings(raw, self.settings, warn=log.warning)
        if self.pipeline is not None:
            self.pipeline.apply_settings(self.settings)
        log.debug("settings: %s", to_protocol(self.settings))

    async def pull_settings(self) -> None:
        """Ask the client for the ``tact`` section (workspace/configuration)."""
        workspace_caps = self.client_capabilities.workspace
        if workspace_caps is None or not workspace_caps.configuration:
            return
        try:
            values = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="tact")])
            )
        except Exception as exc:
            log.warning("could not read settings from the client: %s", exc)
            return
        if values:
            self.update_settings(values[0])

    # -- documents ----------------------------------------------------------------------

    def track_document(self, uri: str, language_id: str | None, text: str) -> None:
        """Note a document's language and suitability; learn it if it is suitable."""
        language = language_of(language_id, uri)
        self.languages[uri] = language
        self.check_suitable(uri, text)
        if language is not None and uri not in self.unsuitable:
            self.learn(uri, language, text)

    def check_suitable(self, uri: str, text: str) -> bool:
        reason = unsuitable(text)
        if reason is None:
            self.unsuitable.pop(uri, None)
            return True
        if self.unsuitable.get(uri) != reason:
            log.warning("no suggestions for %s: %s", uri, reason)
        self.unsuitable[uri] = reason
        return False

    def learn(self, uri: str, language: str, text: str) -> None:
        if self.pipeline is None:
            return
        self._learned_lines[uri] = text.count("\n")
        self.pipeline.worker.update_document(uri, language, text)

    def on_edits(self, uri: str, edits: list[Edit], before: str, after: str) -> None:
        """Called by the protocol for every didChange batch (see TactProtocol)."""
        if self.pipeline is not None:
            self.pipeline.on_edits(uri, edits, before, after)

    def document_changed(self, uri: str) -> None:
        """Re-learn a changed document when its line count changed (a line was finished
        or removed): often enough to learn what was just typed, rarely enough to stay cheap."""
        language = self.languages.get(uri)
        text = self.workspace.get_text_document(uri).source
        if not self.check_suitable(uri, text) or language is None:
            return
        if text.count("\n") != self._learned_lines.get(uri):
            self.learn(uri, language, text)

    # -- background work ----------------------------------------------------------------

    def start_indexing(self) -> None:
        roots = [Path(p) for p in self.workspace_roots()]
        if not roots or self.pipeline is None:
            return
        provider = self.pipeline.worker.provider
        self.indexing = True

        def run() -> None:
            try:
                paths = source_files(roots)
                index_paths = getattr(provider, "index_paths", None)
                if index_paths is not None:
                    self.indexed_files = int(index_paths(paths))
                else:
                    for p in paths:
                        lang = language_of(None, p.as_uri())
                        if lang:
                            provider.update_document(
                                p.as_uri(), lang, p.read_text("utf-8", "replace")
                            )
                            self.indexed_files += 1
                log.info("learned %d workspace files", self.indexed_files)
            except Exception:
                log.exception("workspace indexing failed")
            finally:
                self.indexing = False

        threading.Thread(target=run, name="tact-index", daemon=True).start()

    def workspace_roots(self) -> list[str]:
        roots = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                roots.append(path)
        if not roots and self.workspace.root_path:
            roots.append(self.workspace.root_path)
        return roots

    async def expire_periodically(self) -> None:
        """Reject timed-out suggestions on wall time (a replay clock does it on advance)."""
        while True:
            await asyncio.sleep(EXPIRY_INTERVAL_S)
            if self.pipeline is not None and not self.pipeline.clock.simulated:
                self.pipeline.expire()

    async def watch_model(self) -> None:
        """Hot reload: pick up a new gate model written into the model directory.

        The stat and any reload run in a worker thread, off the event loop, so the
        watch adds nothing to request latency."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(MODEL_WATCH_INTERVAL_S)
            if self.pipeline is not None and not self.training:
                try:
                    await loop.run_in_executor(None, self.pipeline.check_model)
                except Exception:
                    log.exception("checking the gate model directory failed")

    def notify_user(self, message: str) -> None:
        """Show ``message`` as an error in the editor (window/showMessage); any thread."""
        loop = self.client_log.loop
        if loop is None:
            return
        params = types.ShowMessageParams(type=types.MessageType.Error, message=message)

        def send() -> None:
            with contextlib.suppress(Exception):
                self.window_show_message(params)

        if threading.current_thread() is threading.main_thread():
            send()
        else:
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(send)

    # -- suggestions --------------------------------------------------------------------

    async def suggest(self, uri: str, position: types.Position, kind: str) -> Any:
        """The shown suggestion at ``position`` in ``uri``, or None."""
        if self.pipeline is None or not self.settings.enable:
            return None
        if uri not in self.languages:  # never opened: nothing trustworthy to complete
            log.info("no suggestions for %s: the document is not open", uri)
            return None
        document = self.workspace.get_text_document(uri)
        text = document.source
        if not self.check_suitable(uri, text):
            return None
        language = self.languages.get(uri) or language_of(document.language_id, uri)
        if language is None:
            return None
        offset = offset_at(document, position)
        return await self.pipeline.suggest(text, offset, uri, language, kind)

    def status(self) -> dict[str, Any]:
        if self.pipeline is None:
            return {
                "enabled": self.settings.enable,
                "gateEnabled": self.settings.gate.enabled,
                "modelVersion": None,
                "shownToday": 0,
                "hiddenToday": 0,
                "skippedToday": 0,
                "telemetryUrl": self.settings.telemetry.url,
            }
        result = self.pipeline.status()
        result["indexing"] = self.indexing
        result["indexedFiles"] = self.indexed_files
        return result


def _field(params: Any, name: str) -> Any:
    """A field of custom-method params (a JSON object arrives as a dict or an object)."""
    if isinstance(params, Mapping):
        return params.get(name)
    return getattr(params, name, None)


def _suggestion_id(params: Any) -> str:
    value = _field(params, "id")
    if not isinstance(value, str) or not value:
        raise JsonRpcInvalidParams(message=f"expected params {{'id': str}}, got {params!r}")
    return value


def register_features(server: TactServer) -> None:
    """Register every LSP feature of tact on ``server``."""
    _register_lifecycle(server)
    _register_documents(server)
    _register_suggestions(server)
    _register_telemetry(server)
    _register_fixes(server)


def _register_lifecycle(server: TactServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: TactServer, params: types.InitializeParams) -> None:
        # Attach the editor log first: settings problems are reported through it.
        ls.client_log.loop = asyncio.get_running_loop() if _loop_running() else None
        logging.getLogger("tact").addHandler(ls.client_log)
        ls.update_settings(params.initialization_options)
        ls.pipeline = Pipeline(
            ls.settings, make_provider(ls.settings.engine), notify=ls.notify_user
        )

    @server.feature(types.INITIALIZED)
    def initialized(ls: TactServer, params: types.InitializedParams) -> None:
        if ls.client_log.loop is None and _loop_running():
            ls.client_log.loop = asyncio.get_running_loop()
        ls.start_indexing()
        if _loop_running():
            ls._expiry_task = asyncio.get_running_loop().create_task(ls.expire_periodically())
            ls._watch_task = asyncio.get_running_loop().create_task(ls.watch_model())

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: TactServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if params.settings is None:  # "pull" clients: ask for the tact section
            ls.background.add(task := asyncio.ensure_future(ls.pull_settings()))
            task.add_done_callback(ls.background.discard)
            return
        ls.update_settings(params.settings)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: TactServer, params: Any) -> None:
        logging.getLogger("tact").removeHandler(ls.client_log)
        for task in (ls._expiry_task, ls._watch_task):
            if task is not None:
                task.cancel()
        if ls.pipeline is not None:
            ls.pipeline.close()


def _register_documents(server: TactServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TactServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.track_document(doc.uri, doc.language_id, doc.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TactServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: TactServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri not in ls.languages:
            return  # saved without being opened: nothing of ours to refresh
        text = (
            params.text if params.text is not None else ls.workspace.get_text_document(uri).source
        )
        language = ls.languages.get(uri) or language_of(None, uri)
        if language is not None and ls.check_suitable(uri, text):
            ls.learn(uri, language, text)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TactServer, params: types.DidCloseTextDocumentParams) -> None:
        # The engine keeps what it learned: the file still exists in the workspace.
        uri = params.text_document.uri
        if ls.pipeline is not None:
            ls.pipeline.close_document(uri)
        ls.languages.pop(uri, None)
        ls.unsuitable.pop(uri, None)
        ls._learned_lines.pop(uri, None)


def _register_suggestions(server: TactServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: TactServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        suggestion = await ls.suggest(params.text_document.uri, params.position, "inline")
        if suggestion is None:
            return None
        return items.inline_list(suggestion, params.position)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())
    async def completion(
        ls: TactServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        uri = params.text_document.uri
        suggestion = await ls.suggest(uri, params.position, "completion")
        if suggestion is None:
            return None
        word = items.word_before(suggestion)
        doc = ls.workspace.get_text_document(uri)
        word_start = doc.client_position_at_offset(suggestion.context.offset - len(word))
        return items.completion_list(suggestion, params.position, word_start)

    @server.command(ACCEPT)
    def accept(ls: TactServer, suggestion_id: str) -> bool:
        if ls.pipeline is None:
            return False
        return ls.pipeline.accept(str(suggestion_id))


def _register_telemetry(server: TactServer) -> None:
    @server.feature(DID_SHOW)
    def did_show(ls: TactServer, params: Any) -> None:
        try:
            suggestion_id = _suggestion_id(params)
        except JsonRpcInvalidParams as exc:
            log.warning("%s: %s", DID_SHOW, exc.message)
            return
        if ls.pipeline is not None:
            ls.pipeline.mark_shown(suggestion_id)

    @server.feature(DID_PARTIALLY_ACCEPT)
    def did_partially_accept(ls: TactServer, params: Any) -> None:
        length = _field(params, "acceptedLength")
        try:
            suggestion_id = _suggestion_id(params)
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise JsonRpcInvalidParams(
                    message=f"acceptedLength must be an int >= 0: {params!r}"
                )
        except JsonRpcInvalidParams as exc:
            log.warning("%s: %s", DID_PARTIALLY_ACCEPT, exc.message)
            return
        if ls.pipeline is not None:
            ls.pipeline.partial(suggestion_id, length)

    @server.feature(STATUS)
    async def status(ls: TactServer, params: Any) -> dict[str, Any]:
        # Status doubles as a sync point: everything recorded before it is written
        # (unless the caller passes {"flush": false}, as replay does after each request).
        if ls.pipeline is not None and _field(params, "flush") is not False:
            await asyncio.get_running_loop().run_in_executor(None, ls.pipeline.flush, 10.0)
        return ls.status()

    @server.command(RELOAD_MODEL)
    def reload_model(ls: TactServer, *args: Any) -> str | None:
        if ls.pipeline is None:
            return None
        return ls.pipeline.reload_gate()

    @server.command(model_commands.TRAIN_MODEL)
    async def train_model(ls: TactServer, *args: Any) -> dict[str, Any]:
        return await model_commands.train_model(ls)

    @server.command(model_commands.MODEL_REPORT)
    async def model_report(ls: TactServer, *args: Any) -> dict[str, Any]:
        return await model_commands.model_report(ls)

    @server.feature(REPLAY_CLOCK)
    def replay_clock(ls: TactServer, params: Any) -> None:
        when = _field(params, "time")
        seed = _field(params, "seed")
        if isinstance(when, bool) or not isinstance(when, int | float):
            log.warning("%s: expected params {'time': number}, got %r", REPLAY_CLOCK, params)
            return
        if ls.pipeline is not None:
            ls.pipeline.use_replay_clock(float(when), seed if isinstance(seed, int) else None)


def _register_fixes(server: TactServer) -> None:
    """Self-debug fixes (``tact.server.fixes``) register their code actions here."""
    from tact.server.fixes.lsp import register_fix_features

    register_fix_features(server)


def _is_pipe(stream: Any) -> bool:
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def create_server(telemetry_url: str | None = None) -> TactServer:
    server = TactServer(telemetry_url)
    register_features(server)
    return server
