"""Turn a suggestion into the LSP items editors render.

Inline items insert at the cursor (an empty range). Completion items, for clients
without inline completion, replace the identifier already typed before the cursor so
the client's own prefix filtering keeps the item (``filterText`` starts with it).
Both carry the ``tact.accept`` command with the suggestion id: that is how an accept
reaches telemetry.
"""

from __future__ import annotations

import re

from lsprotocol import types
from tact.server.pipeline.suggest import Suggestion

ACCEPT_COMMAND = "tact.accept"
_WORD_TAIL = re.compile(r"[A-Za-z_0-9]*$")


def accept_command(suggestion_id: str) -> types.Command:
    return types.Command(
        title="Accept tact suggestion", command=ACCEPT_COMMAND, arguments=[suggestion_id]
    )


def inline_list(suggestion: Suggestion, position: types.Position) -> types.InlineCompletionList:
    item = types.InlineCompletionItem(
        insert_text=suggestion.text,
        range=types.Range(start=position, end=position),
        command=accept_command(suggestion.id),
    )
    return types.InlineCompletionList(items=[item])


def word_before(suggestion: Suggestion) -> str:
    """The identifier characters right before the cursor (the client's filter prefix)."""
    match = _WORD_TAIL.search(suggestion.context.line_prefix)
    return match.group(0) if match else ""


def completion_list(
    suggestion: Suggestion, position: types.Position, word_start: types.Position
) -> types.CompletionList:
    word = word_before(suggestion)
    first_line = suggestion.text.split("\n", 1)[0]
    item = types.CompletionItem(
        label=first_line or suggestion.text.strip().split("\n", 1)[0],
        kind=types.CompletionItemKind.Text,
        detail="tact",
        filter_text=word + first_line,
        sort_text="0",
        preselect=True,
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(
            range=types.Range(start=word_start, end=position), new_text=word + suggestion.text
        ),
        command=accept_command(suggestion.id),
    )
    return types.CompletionList(is_incomplete=True, items=[item])
