"""tact.server: what talks and acts.

The LSP server and its handlers (``lsp``), the suggestion pipeline from request to
decision (``pipeline``), self-debug fixes and their sandbox (``fixes``), the
simulated programmer that replays code through a real LSP connection (``replay``)
and the ``tact`` command line (``cli``). Imports ``tact.models`` and
``tact.telemetry``; nothing imports it.
"""
