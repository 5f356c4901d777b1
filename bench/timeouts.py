"""Section 4b: threads and file descriptors left behind by calls that time out.

Against a loopback server that answers after 0.1 s, `calls` calls with a 0.05 s deadline all
time out; each leaves a continuation that re-sends the request in the background. Once those
settle (counts back, or `settle_seconds` gone), threads and descriptors should be back where they
were. Sockets to the server are counted apart: the pool may keep up to 20 of them alive.
Run in a fresh interpreter (see `bench.resources`).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from rupt_api import AsyncRuptAPI, RuptAPI, RuptTimeoutError

from .payload import EVALUATION_ID, SECRET
from .procstat import fd_count, task_count, thread_count

DEADLINE = 0.05
SERVER_DELAY = 0.1
CALLER_THREADS = 50
MAX_KEEPALIVE = 20
POLL_SECONDS = 0.05


def server_sockets(port: int) -> int:
    """How many of this process's descriptors are TCP sockets to `port` (any state)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    if int(fields[2].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])
        except FileNotFoundError:
            continue
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def snapshot(port: int, tasks: int = 0) -> dict[str, int]:
    """Threads, OS threads, descriptors, sockets to the server (and pending asyncio tasks)."""
    return {
        "threads": thread_count(),
        "os_threads": task_count(),
        "fds": fd_count(),
        "server_sockets": server_sockets(port),
        "asyncio_tasks": tasks,
    }


def settled(before: dict[str, int], now: dict[str, int]) -> bool:
    """True when nothing but the pool's keep-alive sockets is held beyond the baseline."""
    return (
        now["threads"] <= before["threads"]
        and now["os_threads"] <= before["os_threads"]
        and now["asyncio_tasks"] <= before["asyncio_tasks"]
        and now["fds"] - now["server_sockets"] <= before["fds"] - before["server_sockets"]
        and now["server_sockets"] <= MAX_KEEPALIVE
    )


def _report(
    before: dict[str, int],
    after: dict[str, int],
    timeouts: int,
    settle: tuple[float, float],
    outcomes: list[Any],
) -> dict[str, Any]:
    return {
        "timeouts": timeouts,
        "before": before,
        "after": after,
        "settled": settled(before, after),
        "settle_s": settle[0],
        "settle_limit_s": settle[1],
        "continuations_done": sum(1 for outcome in outcomes if outcome is not None),
        "continuations_ok": sum(1 for outcome in outcomes if outcome == "ok"),
    }


def _outcome(future: Future[Any] | asyncio.Task[Any]) -> str | None:
    """None while running, "ok" for a result, else the exception's type name."""
    if not future.done():
        return None
    error = future.exception()
    return "ok" if error is None else type(error).__name__


def _wait_sync(check: Callable[[], bool], limit: float) -> float:
    started = time.monotonic()
    while not check() and time.monotonic() - started < limit:
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def measure_sync(port: int, calls: int, settle_seconds: float) -> dict[str, Any]:
    """`calls` timed-out `RuptAPI` calls from `CALLER_THREADS` threads, then the settle wait."""
    client = RuptAPI(SECRET, domain=f"http://127.0.0.1:{port}", timeout=DEADLINE)
    client.with_options(timeout=5).get_evaluation(EVALUATION_ID)  # one pooled connection
    before = snapshot(port)

    def timed_out_call(_: int) -> Future[Any] | None:
        try:
            client.get_evaluation(EVALUATION_ID)
        except RuptTimeoutError as error:
            return error.continuation
        return None

    with ThreadPoolExecutor(CALLER_THREADS) as callers:
        continuations = list(callers.map(timed_out_call, range(calls)))
    futures = [c for c in continuations if c is not None]
    settle = _wait_sync(lambda: settled(before, snapshot(port)), settle_seconds)
    after = snapshot(port)
    client.close()
    outcomes = [_outcome(future) for future in futures]
    return _report(before, after, len(futures), (settle, settle_seconds), outcomes)


async def _measure_async(port: int, calls: int, settle_seconds: float) -> dict[str, Any]:
    client = AsyncRuptAPI(SECRET, domain=f"http://127.0.0.1:{port}", timeout=DEADLINE)
    patient = client.with_options(timeout=5)
    # Warm up with concurrent calls: connections, and the loop's resolver threads.
    await asyncio.gather(*(patient.get_evaluation(EVALUATION_ID) for _ in range(100)))

    def pending() -> int:
        return len(asyncio.all_tasks()) - 1  # not counting this coroutine's task

    before = snapshot(port, pending())

    async def timed_out_call() -> asyncio.Task[Any] | None:
        try:
            await client.get_evaluation(EVALUATION_ID)
        except RuptTimeoutError as error:
            return error.continuation
        return None

    continuations = await asyncio.gather(*(timed_out_call() for _ in range(calls)))
    tasks = [c for c in continuations if c is not None]
    started = time.monotonic()
    while not settled(before, snapshot(port, pending())):
        if time.monotonic() - started >= settle_seconds:
            break
        await asyncio.sleep(POLL_SECONDS)
    settle = time.monotonic() - started
    after = snapshot(port, pending())
    outcomes = [_outcome(task) for task in tasks]
    await client.aclose()
    return _report(before, after, len(tasks), (settle, settle_seconds), outcomes)


def measure_async(port: int, calls: int, settle_seconds: float) -> dict[str, Any]:
    """`measure_sync` for `AsyncRuptAPI`: all calls at once on one event loop."""
    return asyncio.run(_measure_async(port, calls, settle_seconds))
