"""Stage 2: ask the provider for a continuation, off the event loop.

The provider runs on one dedicated worker thread shared with document updates, so
updates and completions reach the engine in the order the client sent them (a
completion never sees a document older than the edit before it) and the event loop
stays free to read ``$/cancelRequest``: a cancelled request stops waiting at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from tact.models.engine.provider import Candidate, CompletionProvider, CompletionRequest

log = logging.getLogger("tact.generate")
T = TypeVar("T")


class EngineWorker:
    """One thread that owns all calls into the provider."""

    def __init__(self, provider: CompletionProvider) -> None:
        self.provider = provider
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tact-engine")

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._executor.submit(fn, *args)

    def update_document(self, uri: str, language: str, text: str) -> Future[None]:
        return self._executor.submit(self._safe_update, uri, language, text)

    def remove_document(self, uri: str) -> Future[None]:
        return self._executor.submit(self._safe_call, self.provider.remove_document, uri)

    async def complete(
        self, request: CompletionRequest, max_candidates: int = 1
    ) -> tuple[list[Candidate], float]:
        """Candidates and the generation time in ms (measured on the worker)."""
        loop = asyncio.get_running_loop()
        return await asyncio.wrap_future(
            self._executor.submit(self._timed_complete, request, max_candidates), loop=loop
        )

    def _timed_complete(
        self, request: CompletionRequest, max_candidates: int
    ) -> tuple[list[Candidate], float]:
        start = time.perf_counter()
        try:
            candidates = self.provider.complete(request, max_candidates)
        except Exception:
            log.exception("provider %s failed to complete", self.provider.name)
            candidates = []
        return list(candidates), (time.perf_counter() - start) * 1000.0

    def _safe_update(self, uri: str, language: str, text: str) -> None:
        self._safe_call(self.provider.update_document, uri, language, text)

    def _safe_call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("provider %s failed in %s", self.provider.name, fn.__name__)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
