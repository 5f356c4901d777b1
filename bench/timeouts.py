"""Section 4b: calls that time out: what they leave behind, and how a storm of them behaves.

- Leftovers: against a loopback server that answers after 0.1 s, `calls` calls with a 0.05 s
  deadline all time out; each leaves a continuation that finishes the request in the
  background. Once those settle (counts back, or `settle_seconds` gone), threads and
  descriptors should be back where they were. Sockets to the server are counted apart: the pool
  may keep up to 20 of them alive.
- Storms: `calls` calls at once (threads on one `RuptAPI`, tasks on one loop for
  `AsyncRuptAPI`) against a server that answers after 1.5 s, with a 1 s deadline: how late each
  `RuptTimeoutError` is raised (p50, p99), how long until every continuation resolved, and how
  long fresh calls then take (the server answers those at once). The server counts what it
  received: exactly one request per call.

Each runs in a fresh interpreter (see `bench.resources`).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from rupt_api import AsyncRuptAPI, RuptAPI, RuptTimeoutError
from tests.reliability._slow_server import SlowServer

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


# -- storms: 1,000 calls timing out together -----------------------------------------------------

STORM_DELAY = 1.5  # the slow server answers every request this late
STORM_TIMEOUT = 1.0
SMOKE_STORM = (0.5, 0.3)  # (delay, timeout) of the smoke run
FRESH_CALLS = 100
FRESH_THREADS = 16


def _lateness(late: list[float]) -> dict[str, float]:
    ordered = sorted(late) or [0.0]
    return {
        "late_p50_ms": ordered[len(ordered) // 2] * 1000,
        "late_p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "late_max_ms": ordered[-1] * 1000,
    }


def measure_storm_sync(port: int, calls: int, timeout: float) -> dict[str, Any]:
    """`calls` threads call one `RuptAPI` at once against a slow server: how late each
    `RuptTimeoutError` comes, how long until every continuation resolved, and then how long
    `FRESH_CALLS` fresh calls (answered at once by the server) take."""
    server = SlowServer(port)
    client = RuptAPI(SECRET, domain=server.url, timeout=timeout)
    client.with_options(timeout=5).get_evaluation("fast")  # warm: imports, one connection
    start = threading.Barrier(calls + 1)
    late: list[float] = []
    continuations: list[Future[Any]] = []
    lock = threading.Lock()

    def caller() -> None:
        start.wait()
        started = time.monotonic()
        try:
            client.get_evaluation(EVALUATION_ID)
        except RuptTimeoutError as error:
            with lock:
                late.append(time.monotonic() - started - timeout)
                continuations.append(error.continuation)

    previous = threading.stack_size(256 * 1024)  # a thousand callers: small stacks
    try:
        threads = [threading.Thread(target=caller) for _ in range(calls)]
        for thread in threads:
            thread.start()
    finally:
        threading.stack_size(previous)
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    wait(continuations, timeout=120)
    resolved = time.monotonic() - began
    ok = sum(1 for future in continuations if _outcome(future) == "ok")
    fresh = client.with_options(timeout=5)
    started = time.monotonic()
    with ThreadPoolExecutor(FRESH_THREADS) as pool:
        answers = list(pool.map(lambda _: _fresh_sync(fresh), range(FRESH_CALLS)))
    fresh_s = time.monotonic() - started
    client.close()
    return _storm_figures(server, calls, timeout, late, ok, resolved, answers, fresh_s)


def _storm_figures(
    server: SlowServer,
    calls: int,
    timeout: float,
    late: list[float],
    ok: int,
    resolved: float,
    answers: list[bool],
    fresh_s: float,
) -> dict[str, Any]:
    """What both storms report, from what each measured."""
    return {
        "calls": calls,
        "timeout_s": timeout,
        "raised": len(late),
        **_lateness(late),
        "continuations_ok": ok,
        "resolved_s": resolved,
        "fresh_calls": FRESH_CALLS,
        "fresh_ok": sum(answers),
        "fresh_s": fresh_s,
        "requests_seen": server.count(),
        "requests_expected": 1 + calls + FRESH_CALLS,
    }


def _fresh_sync(client: RuptAPI) -> bool:
    try:
        return client.get_evaluation("fast").id == "fast"
    except Exception:
        return False


async def _measure_storm_async(port: int, calls: int, timeout: float) -> dict[str, Any]:
    server = SlowServer(port)
    client = AsyncRuptAPI(SECRET, domain=server.url, timeout=timeout)
    await client.with_options(timeout=5).get_evaluation("fast")

    async def one() -> tuple[float, asyncio.Task[Any]] | None:
        started = time.monotonic()
        try:
            await client.get_evaluation(EVALUATION_ID)
        except RuptTimeoutError as error:
            return time.monotonic() - started - timeout, error.continuation
        return None

    began = time.monotonic()
    raised = [r for r in await asyncio.gather(*(one() for _ in range(calls))) if r is not None]
    tasks = [task for _, task in raised]
    if tasks:
        await asyncio.wait(tasks, timeout=120)
    resolved = time.monotonic() - began
    ok = sum(1 for task in tasks if _outcome(task) == "ok")
    fresh = client.with_options(timeout=5)

    async def fresh_call() -> bool:
        try:
            return (await fresh.get_evaluation("fast")).id == "fast"
        except Exception:
            return False

    started = time.monotonic()
    answers = await asyncio.gather(*(fresh_call() for _ in range(FRESH_CALLS)))
    fresh_s = time.monotonic() - started
    await client.aclose()
    late = [lateness for lateness, _ in raised]
    return _storm_figures(server, calls, timeout, late, ok, resolved, answers, fresh_s)


def measure_storm_async(port: int, calls: int, timeout: float) -> dict[str, Any]:
    """`measure_storm_sync` for `AsyncRuptAPI`: `calls` tasks on one event loop."""
    return asyncio.run(_measure_storm_async(port, calls, timeout))
