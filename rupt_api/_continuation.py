"""Where a call goes on while nobody waits for it, so the caller can stop waiting at once.

The twins: `start_in_background(fn)` (sync: a worker thread, outcome in a
`concurrent.futures.Future`) and `start_in_background_async(coro)` (async: a task on the running
loop, referenced until it ends, so it is never collected mid-flight).

Sync workers are daemon threads shared by the process, started on demand and exiting after a few
idle seconds, so a burst of timeouts leaves no threads behind (daemon threads never hold up
interpreter exit, unlike `concurrent.futures.ThreadPoolExecutor`'s). Continuations of the SDK's
own pool run on at most `MAX_WORKERS` of them. Calls through an injected `http_client` run on
another set, at most `MAX_CALL_WORKERS` (see `_client.RuptAPI._call`): the caller waits for
them with what is left of its deadline, and at the deadline that running call is the
continuation.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import queue
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")
U = TypeVar("U")

MAX_WORKERS = 64
MAX_CALL_WORKERS = 256
IDLE_SECONDS = 2.0


class _Workers:
    def __init__(
        self, name: str, max_workers: int = MAX_WORKERS, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self._name = name
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
                threading.Thread(target=self._work, name=self._name, daemon=True).start()
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


def _new_workers() -> tuple[_Workers, _Workers]:
    return (
        _Workers("rupt-api-continuation", MAX_WORKERS),
        _Workers("rupt-api-call", MAX_CALL_WORKERS),
    )


_workers, _call_workers = _new_workers()


def _reset_after_fork() -> None:
    # The child has none of the parent's threads; start counting again.
    global _workers, _call_workers
    _workers, _call_workers = _new_workers()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def start_in_background(
    fn: Callable[[], T], *, waited: bool = False
) -> concurrent.futures.Future[T]:
    """Run `fn` on a worker thread; its outcome lands in the returned future.

    `waited`: a caller waits for it (a call through an injected `http_client`), so it may not
    queue behind abandoned continuations.
    """
    return (_call_workers if waited else _workers).submit(fn)


# Async continuations still running, referenced so they are not collected mid-flight.
_tasks: set[Any] = set()


def start_in_background_async(
    coro: Coroutine[Any, Any, T], done: asyncio.Future[None] | None = None
) -> asyncio.Task[T]:
    """Run `coro` as a task on the running loop, referenced until it ends.

    `done`, if given, is resolved from inside the task as it ends: a caller waiting on it wakes
    one loop iteration sooner than through the task's own done callbacks (see `wait_for`).
    """
    import asyncio  # noqa: PLC0415 - already loaded by any caller; sync users never load it

    if done is not None:
        coro = _resolving(coro, done)
    task = asyncio.get_running_loop().create_task(coro)
    _tasks.add(task)
    task.add_done_callback(_forget)
    return task


async def wait_for(coro: Coroutine[Any, Any, T], timeout: float) -> tuple[asyncio.Task[T], bool]:
    """Run `coro` in the background and wait for it at most `timeout` seconds, never cancelling
    it: the task, and whether it finished in time. Cancelling the caller cancels the task.

    About half the cost of `asyncio.wait((task,), timeout=...)` per call (a call through an
    injected client pays it every time).
    """
    import asyncio  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    task = start_in_background_async(coro, done)
    timer = loop.call_at(loop.time() + timeout, _resolve, done)
    try:
        await done
    except asyncio.CancelledError:
        task.cancel()  # the caller's own task was cancelled: so is its work
        raise
    finally:
        timer.cancel()
    return task, task.done()


async def _resolving(coro: Coroutine[Any, Any, T], done: asyncio.Future[None]) -> T:
    try:
        return await coro
    finally:
        _resolve(done)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _forget(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if not task.cancelled():
        task.exception()  # mark it retrieved: an ignored continuation must stay quiet


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
