"""Where a call goes on while nobody waits for it, so the caller can stop waiting at once.

The twins: `start_in_background(fn)` (sync: a worker thread, outcome in a
`concurrent.futures.Future`) and `start_in_background_async(coro)` (async: a task on the running
loop, referenced until it ends, so it is never collected mid-flight).

Sync workers are daemon threads shared by the process, started on demand and exiting after a few
idle seconds, so a burst of timeouts leaves no threads behind (daemon threads never hold up
interpreter exit, unlike `concurrent.futures.ThreadPoolExecutor`'s). Continuations of the SDK's
own pool run on at most `MAX_WORKERS` of them.

A call through an injected `http_client` runs on a helper thread from its start (`run_waited`),
since nothing can interrupt the caller's own thread inside a foreign transport: each calling
thread keeps one helper parked on a lock, so a call costs two lock hand-overs rather than a
queue, a future and a condition (about a third of the wait). At the deadline the caller stops
waiting and the helper, still running the call, becomes the continuation; the caller's thread
parks a new helper next time. At most `MAX_CALL_WORKERS` helpers exist at once; past that, calls
queue on a shared set of workers.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar, cast

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
        _Workers("rupt-api-call-queued", MAX_CALL_WORKERS),
    )


_workers, _call_workers = _new_workers()


# A job's outcome: (True, what it returned) or (False, what it raised).
_Outcome = tuple[bool, Any]


class _Helper:
    """A daemon thread parked for one calling thread's calls (see `run_waited`).

    Two locks carry a call across and back: `_go` (released to hand over a job) and `_done`
    (released when the job has ended). `_state` orders the end of a job against the caller
    giving up on it, and a new job against the helper retiring when idle.
    """

    def __init__(self, count: threading.BoundedSemaphore) -> None:
        self._count = count  # the process's helper count, given back as this thread ends
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._state = threading.Lock()
        self._job: Callable[[], Any] | None = None
        self._outcome: _Outcome | None = None
        self._late: concurrent.futures.Future[Any] | None = None
        self._retired = False

    def start(self, job: Callable[[], Any]) -> bool:
        """Hand `job` over; False if this helper takes no more jobs (retired, or running late)."""
        with self._state:
            if self._retired or self._late is not None:
                return False
            self._job = job
            self._go.release()
        return True

    def wait(self, timeout: float) -> _Outcome | None:
        """The job's outcome, or None if it is still running after `timeout` seconds."""
        if not self._done.acquire(True, timeout):
            return None
        outcome, self._outcome = self._outcome, None
        return outcome

    def abandon(self) -> concurrent.futures.Future[Any]:
        """Stop waiting: the outcome goes to the returned future (at once if the job just ended)."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_running_or_notify_cancel()
        with self._state:
            if self._done.acquire(False):  # it ended as the wait did
                outcome, self._outcome = self._outcome, None
                _settle(future, outcome)
            else:
                self._late = future
        return future

    def run(self) -> None:
        try:
            while True:
                if not self._go.acquire(True, IDLE_SECONDS):
                    with self._state:
                        # Re-check under the lock: a job handed over just now must not be stranded.
                        if not self._go.acquire(False):
                            self._retired = True
                            return
                job, self._job = self._job, None
                assert job is not None
                outcome = _outcome_of(job)
                del job
                with self._state:
                    late = self._late
                    if late is None:
                        self._outcome = outcome
                        del outcome  # parked, this thread keeps no answer alive
                        self._done.release()
                        continue
                # Nobody waits on this thread any more, and its caller has a new helper.
                _settle(late, outcome)
                return
        finally:
            self._count.release()


def _outcome_of(job: Callable[[], Any]) -> _Outcome:
    try:
        return True, job()
    except BaseException as exc:  # delivered to whoever waits for the job
        return False, exc


def _settle(future: concurrent.futures.Future[Any], outcome: _Outcome | None) -> None:
    assert outcome is not None
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _unwrap(outcome: _Outcome | None) -> Any:
    assert outcome is not None
    ok, value = outcome
    if ok:
        return value
    try:
        raise value
    finally:
        del value, outcome  # no reference cycle through the traceback


def _helper_for_this_thread() -> _Helper | None:
    helper: _Helper | None = getattr(_local, "helper", None)
    return helper


def _new_helper() -> _Helper | None:
    """A new helper thread, or None if `MAX_CALL_WORKERS` exist already (or none can start)."""
    count = _helpers
    if not count.acquire(False):
        return None
    helper = _Helper(count)
    try:
        threading.Thread(target=helper.run, name="rupt-api-call", daemon=True).start()
    except RuntimeError:  # the process may start no more threads: the call queues instead
        count.release()
        return None
    return helper


def _in_this_context(fn: Callable[[], T]) -> Callable[[], T]:
    # Context variables (request ids, tracing spans) follow the call onto the helper.
    context = contextvars.copy_context()
    return lambda: context.run(fn)


def _wait_for_queued(future: concurrent.futures.Future[T], timeout: float) -> T:
    done, _ = concurrent.futures.wait((future,), timeout)
    if not done:
        raise StillRunning(future)
    return future.result()


_local = threading.local()
_helpers = threading.BoundedSemaphore(MAX_CALL_WORKERS)


def _reset_after_fork() -> None:
    # The child has none of the parent's threads; start counting again.
    global _workers, _call_workers, _local, _helpers  # noqa: PLW0603 - the child has no helpers
    _workers, _call_workers = _new_workers()
    _local = threading.local()
    _helpers = threading.BoundedSemaphore(MAX_CALL_WORKERS)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def start_in_background(fn: Callable[[], T]) -> concurrent.futures.Future[T]:
    """Run `fn` on a worker thread; its outcome lands in the returned future."""
    return _workers.submit(fn)


class StillRunning(Exception):
    """`run_waited`'s wait ended before the call did; `future` gets the call's outcome."""

    def __init__(self, future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        super().__init__("the call is still running")
        self.future = future


def run_waited(fn: Callable[[], T], timeout: float) -> T:
    """Run `fn` on this thread's helper and wait for it at most `timeout` seconds.

    Returns what `fn` returns, or raises what it raises; past `timeout`, raises `StillRunning`
    with a future of the outcome (`fn` keeps running: it is never interrupted).
    """
    job = _in_this_context(fn)
    helper = _helper_for_this_thread()
    if helper is None or not helper.start(job):
        helper = _new_helper()
        if helper is None:  # too many helpers: queue instead
            return _wait_for_queued(_call_workers.submit(fn), timeout)
        helper.start(job)
        _local.helper = helper
    try:
        outcome = helper.wait(timeout)
    except BaseException:
        # The wait itself was interrupted (KeyboardInterrupt): the call goes on unobserved.
        helper.abandon()
        raise
    if outcome is None:  # the deadline came first: the helper is the continuation now
        raise StillRunning(helper.abandon())
    return cast("T", _unwrap(outcome))


# Async continuations still running, referenced so they are not collected mid-flight.
_tasks: set[Any] = set()


def start_in_background_async(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run `coro` as a task on the running loop, referenced until it ends."""
    import asyncio  # noqa: PLC0415 - already loaded by any caller; sync users never load it

    return _keep(asyncio.get_running_loop().create_task(coro))


def _keep(task: asyncio.Task[T]) -> asyncio.Task[T]:
    _tasks.add(task)
    task.add_done_callback(_forget)
    return task


async def run_waited_async(coro: Coroutine[Any, Any, T], timeout: float) -> T:
    """Run `coro` as a task and wait for it at most `timeout` seconds, never cancelling it.

    Returns what `coro` returns, or raises what it raises; past `timeout`, raises `StillRunning`
    with the task, which goes on. Cancelling the caller cancels the task.

    A task, not `coro` awaited in the caller's task: at the deadline, `coro` may be inside
    task-bound state (an anyio cancel scope, `asyncio.timeout`) that no other task may finish.
    The task is referenced by the caller while it waits and by this module only once it is left
    running; `coro` resolves the caller's wait from inside the task, a loop iteration before the
    task's done callbacks would.
    """
    import asyncio  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    task = loop.create_task(_resolving(coro, done))
    timer = loop.call_at(loop.time() + timeout, _resolve, done)
    try:
        await done
    except asyncio.CancelledError:
        _keep(task).cancel()  # the caller's own task was cancelled: so is its work
        raise
    finally:
        timer.cancel()
    if not task.done():
        raise StillRunning(_keep(task))
    return task.result()


async def _resolving(coro: Coroutine[Any, Any, T], done: asyncio.Future[None]) -> T:
    try:
        return await coro
    finally:
        _resolve(done)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def cancel_at(task: asyncio.Future[Any], when: float, before: Callable[[], None]) -> None:
    """Cancel `task` if it is still running at `when` (a `time.monotonic()` time), calling
    `before` first: the task can then tell this cancellation from its awaiter's."""
    timer = task.get_loop().call_later(max(when - time.monotonic(), 0.0), _cancel, task, before)
    task.add_done_callback(lambda _: timer.cancel())


def _cancel(task: asyncio.Future[Any], before: Callable[[], None]) -> None:
    if not task.done():
        before()
        task.cancel()


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
