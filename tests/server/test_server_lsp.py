"""End-to-end: a real `tact serve` subprocess, a real LSP client over stdio."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_helpers import (
    LEARNABLE,
    inline,
    insert,
    open_document,
    raw_request,
    rows,
    status_of,
    tact_server,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException

PREFIX = "def other(response):\n    response.headers.setdefault("
COL = len(PREFIX.split("\n")[1])


async def shown_suggestion(client, uri: str):
    """Open a document whose cursor sits where the workspace pattern continues."""
    open_document(client, uri, PREFIX)
    result = await inline(client, uri, 1, COL)
    assert result is not None and result.items, "expected a suggestion for a learned pattern"
    return result.items[0]


async def test_initialize_advertises_tact_features(tmp_path: Path) -> None:
    async with tact_server(tmp_path / "ws") as (client, _url):
        caps = client.init_result.capabilities
        assert caps.inline_completion_provider is not None
        assert caps.completion_provider is not None
        assert "tact.accept" in caps.execute_command_provider.commands
        assert "tact.reloadModel" in caps.execute_command_provider.commands
        sync = caps.text_document_sync
        assert sync.change == types.TextDocumentSyncKind.Incremental


async def test_inline_completion_then_accept_is_recorded(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, url):
        uri = (ws / "new.py").as_uri()
        item = await shown_suggestion(client, uri)
        assert item.command.command == "tact.accept"
        suggestion_id = item.command.arguments[0]
        assert item.insert_text.startswith("'X-Frame")
        assert item.range.start == item.range.end == types.Position(line=1, character=COL)

        client.protocol.notify("tact/didShowCompletion", {"id": suggestion_id})
        # The editor inserts the text, then runs the item's command.
        insert(client, uri, 2, 1, COL, item.insert_text)
        accepted = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="tact.accept", arguments=[suggestion_id])
        )
        assert accepted is True
        status = await status_of(client)  # flushes telemetry
        assert status["shownToday"] == 1

    [row] = rows(url)
    assert row.id == suggestion_id
    assert row.outcome.value == "accepted"
    assert row.accepted_chars == len(item.insert_text)
    assert row.shown and row.shown_time is not None
    assert row.suggestion_text is None and row.context_text is None  # storeText is off
    assert row.suggestion_hash and row.features
    assert row.latency_ms is not None and row.latency_ms > 0


async def test_divergent_edit_is_inferred_rejection(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, url):
        uri = (ws / "new.py").as_uri()
        item = await shown_suggestion(client, uri)
        # Typing the suggestion's first character keeps it pending...
        insert(client, uri, 2, 1, COL, item.insert_text[0])
        await status_of(client)
        assert rows(url)[0].outcome.value == "unknown"
        # ...typing something else rejects it.
        insert(client, uri, 3, 1, COL + 1, "Z")
        await status_of(client)
    [row] = rows(url)
    assert row.outcome.value == "rejected"


async def test_timeout_rejection_follows_replay_clock(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    settings = {"completion": {"rejectTimeoutMs": 2000}}
    async with tact_server(ws, files={"app.py": LEARNABLE}, settings=settings) as (client, url):
        client.protocol.notify("tact/replayClock", {"time": 1_000_000.0, "seed": 1})
        uri = (ws / "new.py").as_uri()
        item = await shown_suggestion(client, uri)
        client.protocol.notify("tact/replayClock", {"time": 1_000_001.5})
        await status_of(client)
        assert rows(url)[0].outcome.value == "unknown"  # 1.5 s < 2 s
        client.protocol.notify("tact/replayClock", {"time": 1_000_002.5})
        await status_of(client)
    [row] = rows(url)
    assert row.id == item.command.arguments[0]
    assert row.outcome.value == "rejected"
    assert row.time == 1_000_000.0
    assert row.outcome_time == pytest.approx(1_000_002.0)  # when it expired
    assert row.source == "replay"


async def test_partial_accept(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, url):
        uri = (ws / "new.py").as_uri()
        item = await shown_suggestion(client, uri)
        sid = item.command.arguments[0]
        client.protocol.notify(
            "tact/didPartiallyAcceptCompletion", {"id": sid, "acceptedLength": 7}
        )
        await status_of(client)
    [row] = rows(url)
    assert row.outcome.value == "partial" and row.accepted_chars == 7


async def test_cancelled_request_gets_cancel_error_and_no_decision(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    # A long debounce keeps the request in flight until the cancel arrives.
    settings = {"completion": {"debounceMs": 5000}}
    async with tact_server(ws, files={"app.py": LEARNABLE}, settings=settings) as (client, url):
        uri = (ws / "new.py").as_uri()
        open_document(client, uri, PREFIX)
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=COL),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        future = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="cancel-me"
            )
        )
        await asyncio.sleep(0.1)  # let the server start handling it (not a timing assertion)
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="cancel-me"))
        with pytest.raises(JsonRpcException) as err:
            await asyncio.wait_for(future, 4.0)  # well before the 5 s debounce ends
        assert err.value.code == -32800  # RequestCancelled
        status = await status_of(client)
        assert status["shownToday"] == 0
    assert rows(url) == []


async def test_bad_params_get_clear_error_and_server_lives(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, _url):
        with pytest.raises(JsonRpcException) as err:
            await raw_request(
                client, "bad-1", types.TEXT_DOCUMENT_INLINE_COMPLETION, {"textDocument": {"uri": 5}}
            )
        assert err.value.code == -32602  # InvalidParams
        assert "textDocument/inlineCompletion" in err.value.message
        with pytest.raises(JsonRpcException) as err:
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="tact.accept", arguments=[])
            )
        assert err.value.code == -32602
        # Still serving.
        uri = (ws / "new.py").as_uri()
        assert (await shown_suggestion(client, uri)).insert_text


async def test_disable_by_configuration_stops_suggestions(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, _url):
        uri = (ws / "new.py").as_uri()
        await shown_suggestion(client, uri)
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"tact": {"enable": False}})
        )
        result = await inline(client, uri, 1, COL)
        assert result is None or not result.items
        assert (await status_of(client))["enabled"] is False
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"tact": {"enable": True}})
        )
        result = await inline(client, uri, 1, COL)
        assert result is not None and result.items


async def test_bad_setting_is_reported_and_ignored(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    settings = {"completion": {"maxLines": "lots"}, "gate": {"mode": "yolo"}}
    async with tact_server(ws, files={"app.py": LEARNABLE}, settings=settings) as (client, _url):
        uri = (ws / "new.py").as_uri()
        await shown_suggestion(client, uri)  # still works with the defaults
        messages = " ".join(m.message for m in client.log_messages)
        assert "completion.maxLines" in messages and "gate.mode" in messages


async def test_completion_request_path(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, url):
        uri = (ws / "new.py").as_uri()
        open_document(client, uri, "def other(response):\n    response.headers.")
        insert(client, uri, 2, 1, 21, "setdef")  # typed after opening
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=1, character=27),
            )
        )
        [item] = result.items
        assert item.command.command == "tact.accept"
        edit = item.text_edit
        assert edit.range.start == types.Position(line=1, character=21)  # start of "setdef"
        assert edit.new_text.startswith("setdefault(")
        assert item.label == edit.new_text[len("setdef") :].split("\n")[0]
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="tact.accept", arguments=item.command.arguments)
        )
        await status_of(client)
    [row] = rows(url)
    assert row.kind == "completion" and row.outcome.value == "accepted"


async def test_large_or_binary_document_gets_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, url):
        big = (ws / "big.py").as_uri()
        open_document(client, big, PREFIX + "\n" + "x = 1\n" * 400_000)
        assert await inline(client, big, 1, COL) is None
        binary = (ws / "bin.py").as_uri()
        open_document(client, binary, PREFIX + "\x00\x01")
        assert await inline(client, binary, 1, COL) is None
        await status_of(client)
        messages = " ".join(m.message for m in client.log_messages)
        assert "big.py" in messages and "bin.py" in messages
    assert rows(url) == []


async def test_store_text_is_opt_in(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    settings = {"telemetry": {"storeText": True}}
    async with tact_server(ws, files={"app.py": LEARNABLE}, settings=settings) as (client, url):
        uri = (ws / "new.py").as_uri()
        item = await shown_suggestion(client, uri)
        await status_of(client)
    [row] = rows(url)
    assert row.suggestion_text == item.insert_text
    assert row.context_text is not None and row.context_text.endswith("setdefault(")


async def test_null_settings_pull_the_tact_section(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, _url):
        client.set_configuration({"enable": False, "gate": {"benefit": 3}}, section="tact")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        for _ in range(100):  # the server asks back; wait for the round trip to land
            if (await status_of(client))["enabled"] is False:
                break
            await asyncio.sleep(0.02)
        assert (await status_of(client))["enabled"] is False


async def test_reload_model_answers_the_version(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws) as (client, _url):
        version = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="tact.reloadModel")
        )
        assert version == (await status_of(client))["modelVersion"]


async def test_unusable_store_does_not_stop_suggestions(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    settings = {"telemetry": {"url": f"sqlite:///{blocker}/sub/t.db"}}
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, _url):
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"tact": settings})
        )
        uri = (ws / "new.py").as_uri()
        assert (await shown_suggestion(client, uri)).insert_text
        status = await status_of(client)
        assert status["telemetryUrl"].endswith("sub/t.db") and status["shownToday"] == 1


async def test_unopened_document_gets_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    async with tact_server(ws, files={"app.py": LEARNABLE}) as (client, _url):
        ghost = (ws / "never-opened.py").as_uri()
        assert await inline(client, ghost, 0, 0) is None
        uri = (ws / "new.py").as_uri()
        assert (await shown_suggestion(client, uri)).insert_text  # still serving
