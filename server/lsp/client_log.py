"""Send the server's log records to the editor (``window/logMessage``) as well as stderr.

Users see warnings (bad settings, a document too large for suggestions) in the
editor's output panel without digging up the process's stderr. Records may come from
any thread (indexing, telemetry); they are handed to the event loop, since the
protocol writer is not thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from lsprotocol import types

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
    logging.DEBUG: types.MessageType.Log,
}


class ClientLogHandler(logging.Handler):
    def __init__(self, server: Any, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if self.loop is None or getattr(self._local, "busy", False):
            return
        kind = _LEVELS.get(record.levelno, types.MessageType.Log)
        if record.levelno >= logging.ERROR:
            kind = types.MessageType.Error
        try:
            message = self.format(record)
        except Exception:
            return
        params = types.LogMessageParams(type=kind, message=message)
        try:
            if threading.current_thread() is threading.main_thread():
                self._send(params)
            else:
                self.loop.call_soon_threadsafe(self._send, params)
        except RuntimeError:  # loop closed during shutdown
            pass

    def _send(self, params: types.LogMessageParams) -> None:
        self._local.busy = True
        try:
            self.server.window_log_message(params)
        except Exception:
            pass
        finally:
            self._local.busy = False
