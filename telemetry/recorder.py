"""Write telemetry from a background thread so a request never waits on disk.

The language server answers completion requests in milliseconds; a SQLite commit can
take longer (an fsync, another process holding the lock during ``tact model train``).
:class:`AsyncRecorder` puts each write on a queue and returns at once; one writer
thread, with its own connection, drains the queue in batches (``executemany`` in one
transaction per batch, which is also what makes it fast). Failures are logged and
counted, never raised into the caller: losing a telemetry row must not break an
editor. A locked database is waited out (the batch is retried), so nothing is lost to
a long-running reader or a second server.
"""

from __future__ import annotations

import atexit
import logging
import math
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

from tact.telemetry.errors import StoreLockedError
from tact.telemetry.records import Decision, Outcome
from tact.telemetry.store import TelemetryStore, open_store
from tact.telemetry.url import parse_url

log = logging.getLogger("tact.telemetry")

_STOP = object()
# Queue items: ("record", Decision) | ("outcome", id, outcome, chars, time) | ("shown", id, time)
_Op = tuple[Any, ...]


class AsyncRecorder:
    """Non-blocking telemetry writer for one store URL.

    ``record``, ``set_outcome`` and ``mark_shown`` enqueue and return immediately; the
    writer applies them in order. The recorder takes ownership of a recorded
    :class:`Decision`: do not mutate it afterwards (report changes with ``set_outcome``).

    Counters (read them any time): ``written`` operations applied, ``errors`` operations
    lost to a write error, ``dropped`` operations never attempted (queue full, recorder
    closed, or the lock outlasted ``close``'s timeout). ``last_error`` is the last
    error message. With ``sqlite:///:memory:`` the writer's database is private to it.

    Privacy guard: pass ``store_text=settings.telemetry.store_text``; with ``False``
    ``suggestion_text`` and ``context_text`` are blanked as rows are written (the
    caller's Decision is not modified), so only features and hashes reach disk even if
    a caller filled them in. The default ``True`` stores what it is given.
    """

    def __init__(
        self,
        store_url: str,
        *,
        batch_size: int = 5000,
        max_queue: int = 200_000,
        lock_timeout: float = 1.0,
        retry_interval: float = 0.25,
        store_text: bool = True,
    ) -> None:
        parse_url(store_url)  # a malformed URL is a configuration error: raise it now
        self.url = store_url
        self.batch_size = batch_size
        self.lock_timeout = lock_timeout
        self.retry_interval = retry_interval
        self.store_text = store_text
        self.written = 0
        self.errors = 0
        self.dropped = 0
        self.last_error: str | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._cond = threading.Condition()
        self._enqueued = 0
        self._done = 0
        self._closed = False
        self._deadline = math.inf  # when closing: give up on a locked store after this
        self._wake = threading.Event()
        self._last_logged: str | None = None
        self._thread = threading.Thread(target=self._run, name="tact-telemetry", daemon=True)
        self._thread.start()
        atexit.register(self.close, 5.0)

    # -- producer side (any thread; never blocks) -------------------------------------

    def record(self, decision: Decision) -> None:
        self._put(("record", decision))

    def set_outcome(
        self,
        id: str,
        outcome: Outcome | str,
        *,
        accepted_chars: int | None = None,
        time: float | None = None,
        override: bool = False,
    ) -> None:
        self._put(("outcome", id, Outcome(outcome), accepted_chars, time, override))

    def mark_shown(self, id: str, time: float) -> None:
        self._put(("shown", id, time))

    @property
    def pending(self) -> int:
        """Operations enqueued but not yet applied (or given up)."""
        with self._cond:
            return self._enqueued - self._done

    def _put(self, op: _Op) -> None:
        if self._closed:
            self._count_drop("telemetry recorder is closed; a write was dropped")
            return
        with self._cond:
            self._enqueued += 1
        try:
            self._queue.put_nowait(op)
        except queue.Full:
            with self._cond:
                self._enqueued -= 1
            self._count_drop("telemetry queue is full; a write was dropped")

    def _count_drop(self, message: str) -> None:
        with self._cond:
            self.dropped += 1
        self._log(logging.WARNING, message)

    # -- waiting ----------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything enqueued so far is written; False on timeout."""
        with self._cond:
            target = self._enqueued
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def close(self, timeout: float | None = 10.0) -> bool:
        """Flush and stop the writer; return whether everything was written in time.

        If the store stays locked past ``timeout`` the remaining operations are dropped
        (counted in ``dropped``) so that shutting down an editor never hangs.
        """
        if self._closed:
            return self.pending == 0
        lost_before = self.errors + self.dropped
        self._closed = True
        atexit.unregister(self.close)
        self._deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        self._queue.put(_STOP)  # blocks only if the queue is full; the writer drains it
        self._wake.set()
        self._thread.join(None if timeout is None else timeout + self.lock_timeout + 1.0)
        return self.pending == 0 and self.errors + self.dropped == lost_before

    def __enter__(self) -> AsyncRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writer thread ----------------------------------------------------------------

    def _log(self, level: int, message: str) -> None:
        """Log a message once per change, so a persistent failure does not flood logs."""
        if message != self._last_logged:
            self._last_logged = message
            log.log(level, message)

    def _run(self) -> None:
        store: TelemetryStore | None = None
        stopping = False
        try:
            while not stopping:
                batch = [self._queue.get()]
                while len(batch) < self.batch_size:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                ops = [op for op in batch if op is not _STOP]
                stopping = len(ops) < len(batch)
                try:
                    store = self._write(store, ops)
                except Exception as exc:  # never let the writer die
                    log.exception("telemetry writer failed")
                    self.last_error = str(exc)
                    with self._cond:
                        self.errors += len(ops)
                with self._cond:
                    self._done += len(ops)
                    self._cond.notify_all()
        finally:
            if store is not None:
                store.close()
            self._drain_after_stop()

    def _drain_after_stop(self) -> None:
        """Operations that raced with close() after the stop marker: count them dropped."""
        late = 0
        while True:
            try:
                if self._queue.get_nowait() is not _STOP:
                    late += 1
            except queue.Empty:
                break
        if late:
            with self._cond:
                self.dropped += late
                self._done += late
                self._cond.notify_all()

    def _write(self, store: TelemetryStore | None, ops: list[_Op]) -> TelemetryStore | None:
        """Apply ``ops``, waiting out locks; return the (possibly newly opened) store."""
        if not ops:
            return store
        while True:
            try:
                if store is None:
                    store = open_store(
                        self.url, timeout=self.lock_timeout, keep_text=self.store_text
                    )
                with store.transaction():
                    _apply(store, ops)
                with self._cond:
                    self.written += len(ops)
                if self._last_logged is not None:
                    self._last_logged = None
                    log.info("telemetry writes resumed")
                return store
            except StoreLockedError as exc:
                self.last_error = str(exc)
                if time.monotonic() >= self._deadline:
                    self._log(logging.ERROR, f"{exc}; dropping {len(ops)} pending writes")
                    with self._cond:
                        self.dropped += len(ops)
                    return store
                self._log(logging.WARNING, f"{exc}; will retry")
                self._wake.wait(self.retry_interval)
            except Exception as exc:
                self.last_error = str(exc)
                self._log(logging.ERROR, f"telemetry write failed: {exc}")
                if store is None or len(ops) == 1:
                    with self._cond:
                        self.errors += len(ops)
                    return store
                # One bad operation must not sink the batch: retry one by one.
                for op in ops:
                    try:
                        with store.transaction():
                            _apply(store, [op])
                        with self._cond:
                            self.written += 1
                    except Exception as one_exc:
                        self.last_error = str(one_exc)
                        with self._cond:
                            self.errors += 1
                return store


def _apply(store: TelemetryStore, ops: Sequence[_Op]) -> None:
    """Apply operations in order inside the caller's transaction."""
    pending: list[Decision] = []
    for op in ops:
        if op[0] == "record":
            pending.append(op[1])
            continue
        if pending:
            store.record_many(pending)
            pending = []
        if op[0] == "outcome":
            store.set_outcome(op[1], op[2], accepted_chars=op[3], time=op[4], override=op[5])
        elif op[0] == "shown":
            store.mark_shown(op[1], op[2])
    if pending:
        store.record_many(pending)
