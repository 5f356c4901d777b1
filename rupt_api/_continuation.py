"""Where a call goes on after its deadline passed, so the caller can stop waiting at once.

Sync: a small pool of daemon threads shared by the process. Threads are started on demand, at
most `MAX_WORKERS` at a time (so abandoned calls never hold more than that many connections),
and exit after a few idle seconds, so a burst of timeouts leaves no threads behind. Daemon
threads never hold up interpreter exit, unlike `concurrent.futures.ThreadPoolExecutor`'s.

Async continuations are tasks on the caller's loop (`_async_client.start_task`), kept out of this
module so that sync users never import asyncio.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")

MAX_WORKERS = 8
IDLE_SECONDS = 2.0
# A continuation ends at the latest this long after it starts: abandoned work always finishes.
BACKSTOP_SECONDS = 60.0


class _Workers:
    def __init__(self, max_workers: int = MAX_WORKERS, idle_seconds: float = IDLE_SECONDS) -> None:
        self._max_workers = max_workers
        self._idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Callable[[], Any]]]
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        # Context variables (request ids, tracing spans) follow the call into the worker.
        context = contextvars.copy_context()
        self._queue.put((future, lambda: context.run(fn)))
        with self._lock:
            if self._idle == 0 and self._threads < self._max_workers:
                self._threads += 1
                threading.Thread(
                    target=self._work, name="rupt-api-continuation", daemon=True
                ).start()
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            try:
                future, fn = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    # Re-check under the lock: a job queued just now must not be stranded.
                    if self._queue.empty():
                        self._threads -= 1
                        return
                continue
            with self._lock:
                self._idle -= 1
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)
            del future, fn


_workers = _Workers()


def _reset_after_fork() -> None:
    # The child has none of the parent's threads; start counting again.
    global _workers  # noqa: PLW0603
    _workers = _Workers()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def run_in_background(fn: Callable[[], T]) -> concurrent.futures.Future[T]:
    """Run `fn` on a continuation worker thread; its outcome lands in the returned future."""
    return _workers.submit(fn)


def then(
    future: concurrent.futures.Future[T], fn: Callable[[concurrent.futures.Future[T]], U]
) -> concurrent.futures.Future[U]:
    """A future of `fn(future)`, run once `future` is done (for continuations that post-process)."""
    chained: concurrent.futures.Future[U] = concurrent.futures.Future()

    def done(finished: concurrent.futures.Future[T]) -> None:
        try:
            chained.set_result(fn(finished))
        except BaseException as exc:  # delivered through the future
            chained.set_exception(exc)

    future.add_done_callback(done)
    return chained
