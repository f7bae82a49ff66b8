"""The replay's editor: a pygls LanguageClient driving `python -m tact serve` over stdio.

Exactly the messages an editor sends (didOpen/didChange/didSave/didClose, inline
completion requests, the ``tact.accept`` command and tact's notifications), plus the
replay-only ``tact/replayClock``. The server's stderr is drained continuously (a full
pipe would stall it) and its tail is kept for error messages.
"""

from __future__ import annotations

import asyncio
import collections
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

# A request the server has not answered in this long means it is stuck.
REQUEST_TIMEOUT_S = 120.0


class ReplayClient(LanguageClient):
    def __init__(self) -> None:
        super().__init__("tact-replay", "1")
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._drain: asyncio.Task[None] | None = None
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(client: ReplayClient, params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def _log_message(client: ReplayClient, params: types.LogMessageParams) -> None:
            if params.type <= types.MessageType.Warning:
                self.stderr_tail.append(params.message)

    async def launch(self, extra_args: list[str] | None = None) -> None:
        await self.start_io(sys.executable, "-m", "tact", "serve", *(extra_args or []))
        server = self._server
        if server is not None and server.stderr is not None:
            self._drain = asyncio.create_task(self._drain_stderr(server.stderr))

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    @property
    def alive(self) -> bool:
        return self._server is not None and self._server.returncode is None

    def last_words(self) -> str:
        return "\n".join(self.stderr_tail)

    async def initialize_workspace(self, root: Path, options: dict[str, Any]) -> None:
        await self.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                initialization_options={"tact": options},
            )
        )
        self.initialized(types.InitializedParams())

    def clock(self, when: float, seed: int | None = None) -> None:
        params: dict[str, Any] = {"time": when}
        if seed is not None:
            params["seed"] = seed
        self.protocol.notify("tact/replayClock", params)

    def open(self, uri: str, language: str, text: str) -> None:
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )

    def insert(self, uri: str, version: int, position: types.Position, text: str) -> None:
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=position, end=position), text=text
                    )
                ],
            )
        )

    def save_and_close(self, uri: str) -> None:
        doc = types.TextDocumentIdentifier(uri=uri)
        self.text_document_did_save(types.DidSaveTextDocumentParams(text_document=doc))
        self.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc))

    async def inline(self, uri: str, position: types.Position) -> types.InlineCompletionList | None:
        request = self.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position,
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        result = await asyncio.wait_for(request, REQUEST_TIMEOUT_S)
        if isinstance(result, list):  # InlineCompletionItem[] form
            return types.InlineCompletionList(items=result)
        return result

    async def accept(self, suggestion_id: str) -> Any:
        return await asyncio.wait_for(
            self.workspace_execute_command_async(
                types.ExecuteCommandParams(command="tact.accept", arguments=[suggestion_id])
            ),
            REQUEST_TIMEOUT_S,
        )

    def did_show(self, suggestion_id: str) -> None:
        self.protocol.notify("tact/didShowCompletion", {"id": suggestion_id})

    def did_partially_accept(self, suggestion_id: str, length: int) -> None:
        self.protocol.notify(
            "tact/didPartiallyAcceptCompletion", {"id": suggestion_id, "acceptedLength": length}
        )

    async def status(self, flush: bool = True) -> dict[str, Any]:
        result = await asyncio.wait_for(
            self.protocol.send_request_async("tact/status", {"flush": flush}), REQUEST_TIMEOUT_S
        )
        return result._asdict() if hasattr(result, "_asdict") else dict(result)

    async def close_session(self) -> None:
        if self.alive:
            try:
                await asyncio.wait_for(self.shutdown_async(None), 30)
                self.exit(None)
            except (TimeoutError, RuntimeError):
                pass  # stuck or gone: killed below
            server = self._server
            if server is not None:
                try:
                    await asyncio.wait_for(server.wait(), 30)
                except TimeoutError:
                    server.kill()
        await self.stop()
        if self._drain is not None:
            self._drain.cancel()
