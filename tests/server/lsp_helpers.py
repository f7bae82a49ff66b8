"""Helpers for end-to-end server tests: a real `tact serve` subprocess over stdio,
driven by pytest-lsp's client, with a throwaway workspace and SQLite store."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from tact.telemetry.records import Decision
from tact.telemetry.store import open_store

# A workspace file with a pattern any code model learns: the same call, over and over.
LEARNABLE = "\n".join(
    [
        "import logging",
        "",
        "log = logging.getLogger(__name__)",
        "",
        "",
        "def handle(request):",
        *[f"    log.info('handled %s', request.path_{i})" for i in range(6)],
        *[f"    response.headers.setdefault('X-Frame-Options', 'DENY')  # {i}" for i in range(3)],
        "    return response",
        "",
    ]
)


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@asynccontextmanager
async def tact_server(
    workspace: Path,
    *,
    settings: dict[str, Any] | None = None,
    files: dict[str, str] | None = None,
    db_name: str = "telemetry.db",
    capabilities: types.ClientCapabilities | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[tuple[LanguageClient, str]]:
    """A started and initialized server; yields (client, telemetry URL)."""
    workspace.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {}).items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text)
    url = f"sqlite:///{workspace.parent / db_name}"
    options = dict(settings or {})
    options["telemetry"] = {**options.get("telemetry", {}), "url": url}
    # Most tests are about the LSP plumbing, not the gate: it shows everything unless a
    # test turns it on (``settings={"gate": {"enabled": True, ...}}``).
    options["gate"] = {"enabled": False, **options.get("gate", {})}
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "tact", "serve"],
        # A private data dir: trained models of the machine's user stay out of tests.
        server_env={**server_env(), "XDG_DATA_HOME": str(workspace.parent / "data"), **(env or {})},
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    try:
        client.init_result = await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities
                or types.ClientCapabilities(
                    workspace=types.WorkspaceClientCapabilities(configuration=True)
                ),
                root_uri=workspace.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
                initialization_options={"tact": options},
            )
        )
        await wait_indexed(client)
        yield client, url
        await client.shutdown_session()
    finally:
        server = client._server
        if server is not None and server.returncode is None and client.error is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait(), 5)
        if server is not None and server.returncode is None:
            server.kill()
        await client.stop()


async def wait_indexed(client: LanguageClient) -> dict[str, Any]:
    """Wait until background indexing of the workspace finished (bounded)."""
    for _ in range(200):
        status = await status_of(client)
        if not status.get("indexing"):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("workspace indexing did not finish")


async def status_of(client: LanguageClient) -> dict[str, Any]:
    result = await client.protocol.send_request_async("tact/status", {})
    return result._asdict() if hasattr(result, "_asdict") else dict(result)


def open_document(client: LanguageClient, uri: str, text: str, language: str = "python") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )


def insert(client: LanguageClient, uri: str, version: int, line: int, char: int, text: str) -> None:
    pos = types.Position(line=line, character=char)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=pos, end=pos), text=text
                )
            ],
        )
    )


async def inline(client: LanguageClient, uri: str, line: int, char: int) -> Any:
    return await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=char),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
    )


async def raw_request(client: LanguageClient, msg_id: str, method: str, params: Any) -> Any:
    """Send a request exactly as given (no client-side type checks), await the reply."""
    from concurrent.futures import Future

    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wrap_future(future)


def rows(url: str) -> list[Decision]:
    with open_store(url) as store:
        return list(store.iter_decisions())
