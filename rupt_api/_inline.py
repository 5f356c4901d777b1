"""A call run in its caller's own task until its deadline, and handed to a task only then.

An unwatched async call must let its caller go at the deadline while its request goes on. Run
as a task of its own from the start, every call pays for a task it rarely needs (about a tenth
of a call's CPU on the aiohttp transport). `Inline` runs the call's coroutine in the task that
awaits it instead, stepping it as a task would, and hands it to a new task only if the deadline
passes while it waits for an answer.

A coroutine may only change task where it holds nothing bound to the task it runs in:
`asyncio.timeout` (aiohttp's connect timeouts) cancels the task it was entered in, whichever
task runs the coroutine by then. So the work says which waits may be handed over (`expose()`,
once its request may have been sent, and `cover()` when that exchange ended); every other wait
(the pool's gate, a connect, a backoff sleep) must end by itself at the deadline, and the caller
then starts a continuation that sends the request, once. The work must also set no context
variable it resets later: the caller's context is the one it runs in, and a handed-over
coroutine resets in a copy.

Cancelling the caller cancels the work, as cancelling a task cancels what it awaits.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")


class _Running(threading.local):
    """The `Inline` whose coroutine this thread is running now (between resuming it and its next
    wait): the work it runs finds its driver here. Per thread: event loops in other threads run
    their own calls meanwhile, and the interpreter may switch threads in the middle of a step."""

    inline: Inline[Any] | None = None


_running = _Running()


def waited() -> bool:
    """True if the running call's caller waits for it (it runs inline, before its deadline)."""
    inline = _running.inline
    return inline is not None and inline._deadline is not None


def expose(bound: Callable[[float], None]) -> None:
    """Say that the running call waits, from now on, for the answer to a request that may have
    been sent: the deadline does not end those waits; past it, the call goes on in a task, and
    `bound(seconds)` limits them to the time it then has (see `LeftRunning`)."""
    inline = _running.inline
    if inline is not None:
        inline.exposed = bound


def cover() -> None:
    """Say that the running call's exchange has ended: its next waits end at the deadline."""
    inline = _running.inline
    if inline is not None:
        inline.exposed = None


class LeftRunning(Exception):
    """The deadline passed while the call waited for an answer: `rest`, awaited (in a task),
    runs the rest of it, after `bound(seconds)` has limited the wait (see `expose`)."""

    def __init__(self, rest: Inline[Any], bound: Callable[[float], None]) -> None:
        super().__init__("the call is still running")
        self.rest = rest
        self.bound = bound


class Alarm:
    """The deadlines of one event loop's waits on one timer of the loop.

    A timer per wait is costly when hundreds wait at once: the loop keeps its timers in a heap
    ordered by Python-level comparisons, and cancelled ones are swept out later. Here a wait
    costs a dict entry, and the loop's timer is armed for the earliest deadline only.
    """

    __slots__ = ("_due", "_timer", "_when")

    def __init__(self) -> None:
        self._due: dict[object, tuple[float, Callable[[], None]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._when = math.inf

    def add(self, key: object, deadline: float, ring: Callable[[], None]) -> None:
        """Call `ring()` at `deadline` (a `time.monotonic()` value), unless `key` is discarded."""
        self._due[key] = (deadline, ring)
        if deadline < self._when:
            self._arm(deadline)

    def discard(self, key: object) -> None:
        self._due.pop(key, None)

    def _arm(self, when: float) -> None:
        import asyncio  # noqa: PLC0415 - loaded by any caller

        if self._timer is not None:
            self._timer.cancel()
        self._when = when
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(when - time.monotonic(), 0.0), self._ring)

    def _ring(self) -> None:
        self._timer = None
        self._when = math.inf
        now = time.monotonic()
        due = [(key, ring) for key, (deadline, ring) in self._due.items() if deadline <= now]
        for key, _ in due:
            del self._due[key]
        for _, ring in due:
            ring()
        if self._due:
            earliest = min(deadline for deadline, _ in self._due.values())
            if earliest < self._when:
                self._arm(earliest)


class Inline(Generic[T]):
    """Awaiting it runs `coro` in the awaiting task. Returns what `coro` returns or raises what
    it raises; past `deadline` (a `time.monotonic()` value) during an exposed wait, raises
    `LeftRunning` instead, with the rest of the work, which then has no deadline of its own."""

    __slots__ = ("_alarm", "_coro", "_deadline", "_pending", "_wake", "exposed")

    def __init__(self, coro: Coroutine[Any, Any, T], deadline: float, alarm: Alarm) -> None:
        self._coro = coro
        self._deadline: float | None = deadline
        self._alarm = alarm
        # The future the coroutine waited on when it was left running.
        self._pending: asyncio.Future[Any] | None = None
        self._wake: asyncio.Future[None] | None = None
        # Set while the coroutine waits for an answer (see `expose`).
        self.exposed: Callable[[float], None] | None = None

    def __await__(self) -> Generator[Any, None, T]:
        return self._drive()

    def _drive(self) -> Generator[Any, None, T]:
        pending, self._pending = self._pending, None
        if pending is not None:
            # Left running: the task awaiting this now waits for what the coroutine waited for.
            pending._asyncio_future_blocking = True
        thrown: BaseException | None = None
        try:
            while True:
                if pending is not None:
                    thrown = yield from self._wait(pending)
                    pending = None
                finished, yielded = self._step(thrown)
                thrown = None
                if finished:
                    result: T = yielded
                    return result
                if yielded is None:  # a bare yield (asyncio.sleep(0)): let the loop run once
                    thrown = yield from _pass()
                elif getattr(yielded, "_asyncio_future_blocking", False):
                    pending = yielded
                else:
                    thrown = RuntimeError(f"coroutine yielded {yielded!r}, not a future")
        except GeneratorExit:
            self._coro.close()  # the awaiting task was destroyed before the call ended
            raise

    def _step(self, thrown: BaseException | None) -> tuple[bool, Any]:
        """Run the coroutine to its next wait: (False, what it waits on), or (True, its result)."""
        running = _running
        previous, running.inline = running.inline, self
        try:
            if thrown is None:
                return False, self._coro.send(None)
            return False, self._coro.throw(thrown)
        except StopIteration as stop:
            return True, stop.value
        finally:
            running.inline = previous

    def _wait(self, pending: asyncio.Future[Any]) -> Generator[Any, None, BaseException | None]:
        """Wait on `pending` as a task would; what the awaiting task threw (its cancellation)."""
        try:
            bound = self.exposed
            if bound is None or self._deadline is None:
                yield pending  # on this very future: cancelled with the awaiting task
            elif not (yield from self._wait_until_deadline(pending)):
                self._deadline = None
                self._pending = pending
                raise LeftRunning(self, bound)
        except (GeneratorExit, LeftRunning):
            raise
        except BaseException as exc:  # the awaiting task was cancelled: so is the coroutine
            return exc
        return None

    def _wait_until_deadline(self, pending: asyncio.Future[Any]) -> Generator[Any, None, bool]:
        """Wait for `pending` or the deadline, whichever comes first: True if `pending` is done."""
        assert self._deadline is not None
        if self._deadline <= time.monotonic():
            return False
        wake = self._wake = pending.get_loop().create_future()
        pending.add_done_callback(self._woken)
        self._alarm.add(wake, self._deadline, self._woken)
        try:
            yield from wake
        except BaseException:
            pending.remove_done_callback(self._woken)
            pending.cancel()  # what cancelling a task waiting on it would do
            raise
        finally:
            self._alarm.discard(wake)
            self._wake = None
        if pending.done():
            return True
        pending.remove_done_callback(self._woken)
        return False

    def _woken(self, _: object = None) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)


def _pass() -> Generator[None, None, BaseException | None]:
    """Let the loop run once, as a task does on a bare yield; what the task threw meanwhile."""
    try:
        yield None
    except GeneratorExit:
        raise
    except BaseException as exc:
        return exc
    return None
