"""pygls protocol tweaks that the server's guarantees depend on.

Two things pygls 2.1 does not do on its own:

* A request whose params do not match the LSP schema is logged by pygls and then
  dropped without a response, so the client waits forever. Here it gets a JSON-RPC
  ``InvalidParams`` error naming the method and the bad fields, and the server goes on.
* ``textDocument/didChange`` is applied to the workspace before any handler sees it,
  which loses the text before the change and where each edit happened. Suggestion
  outcomes are inferred from exactly that (typing through a suggestion vs. diverging
  from it), so the server gets the edits (offsets into the text before each change)
  and the document before and after the whole batch.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol, lsp_method
from tact.server.lsp.offsets import apply_change

log = logging.getLogger("tact.lsp")


@dataclass(frozen=True, slots=True)
class Edit:
    """One content change as offsets (Python string indices) into the pre-change text."""

    start: int
    end: int
    text: str


class _Dropped:
    """Stands in for a message already answered with an error."""

    jsonrpc = "dropped"


_DROPPED = _Dropped()


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, cattrs.ClassValidationError):
        try:
            return "; ".join(cattrs.transform_error(exc))
        except Exception:  # transform_error is best effort
            return str(exc)
    return str(exc) if exc is not None else "malformed params"


class TactProtocol(LanguageServerProtocol):
    """LanguageServerProtocol with answered invalid params and captured edits."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcInvalidParams as exc:
            method = data.get("method", "?")
            details = _describe(exc.__cause__)
            if "id" in data and "method" in data:
                message = f"Invalid params for {method}: {details}"
                log.warning("%s (request %s)", message, data["id"])
                self._send_response(
                    data["id"],
                    error=types.ResponseError(code=JsonRpcInvalidParams.CODE, message=message),
                )
                return _DROPPED
            log.warning("Ignoring notification %s with invalid params: %s", method, details)
            return _DROPPED

    def handle_message(self, message: Any) -> None:
        if message is _DROPPED:
            return
        super().handle_message(message)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        """Apply the changes one by one, noting each one's offsets before it applies."""
        uri = params.text_document.uri
        document = self.workspace.get_text_document(uri)
        before = document.source
        edits = [Edit(*apply_change(document, change)) for change in params.content_changes]
        document.version = params.text_document.version
        if log.isEnabledFor(logging.DEBUG):
            log.debug("didChange %s v%s: %r", uri, document.version, edits[:20])
        on_edits = getattr(self._server, "on_edits", None)
        if on_edits is not None:
            on_edits(uri, edits, before, document.source)
        if (user_handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None
