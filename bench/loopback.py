"""Section 2: real HTTP over loopback, against `bench.server` in its own process.

Raw httpx uses `httpx.Limits(max_connections=100, max_keepalive_connections=20,
keepalive_expiry=30)`, the pool the SDK creates for itself; the SDK side uses its own default
pool (no `http_client`). The expiry matters: httpcore's pool scans every connection for every
queued request, so 256 tasks run ~30% faster on a pool that shrank while idle (httpx's default
5 s expiry, between interleaved bursts) than on one that kept its 20 connections. Measured:
latency p50/p99 at concurrency 1 (sync and async), requests per second with 32 threads sharing
one sync client, and with 256 tasks sharing one async client (fewer in smoke runs). Ratios are
SDK time over raw time (for throughput, raw req/s over SDK req/s), paired round by round.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import httpx

from rupt_api import AsyncRuptAPI, RuptAPI

from .payload import AUTH_HEADERS, EVALUATION_ID, EVALUATION_PATH, SECRET
from .server import running_server
from .sizes import Sizes
from .timing import interleave, interleave_async, median, paired_ratio, percentile

# The limits of the pool `RuptAPI` / `AsyncRuptAPI` create (rupt_api/_transport.py).
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30)
WARM_UP_CALLS = 10


def _latencies_us(fn: Callable[[], Any], calls: int) -> list[float]:
    gc.collect()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


async def _latencies_us_async(fn: Callable[[], Awaitable[Any]], calls: int) -> list[float]:
    gc.collect()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


def _latency_summary(rounds: dict[str, list[list[float]]]) -> dict[str, float]:
    """p50/p99 over every call of every round, and the median of per-round p50 ratios."""
    summary = {}
    for name in ("raw", "sdk"):
        every_call = [value for samples in rounds[name] for value in samples]
        summary[f"{name}_p50_us"] = percentile(every_call, 0.50)
        summary[f"{name}_p99_us"] = percentile(every_call, 0.99)
    p50s = {name: [percentile(samples, 0.50) for samples in rounds[name]] for name in rounds}
    summary["ratio"] = paired_ratio(p50s["sdk"], p50s["raw"])
    return summary


def _throughput_summary(
    seconds: dict[str, list[float]], workers: int, calls: int
) -> dict[str, float]:
    return {
        "workers": workers,
        "raw_per_s": calls / median(seconds["raw"]),
        "sdk_per_s": calls / median(seconds["sdk"]),
        "ratio": paired_ratio(seconds["sdk"], seconds["raw"]),
    }


def measure_sync(port: int, sizes: Sizes) -> dict[str, dict[str, float]]:
    """Sync latency at concurrency 1, then throughput with `sizes.threads` threads."""
    base_url = f"http://127.0.0.1:{port}"
    raw = httpx.Client(limits=LIMITS)
    sdk = RuptAPI(SECRET, domain=base_url)
    url = base_url + EVALUATION_PATH
    calls = {
        "raw": lambda: json.loads(raw.get(url, headers=AUTH_HEADERS).content),
        "sdk": lambda: sdk.get_evaluation(EVALUATION_ID),
    }
    pool = ThreadPoolExecutor(max_workers=sizes.threads)
    per_thread = sizes.calls_per_thread

    def burst(fn: Callable[[], Any]) -> float:
        gc.collect()
        started = time.perf_counter()
        futures = [pool.submit(_repeat, fn, per_thread) for _ in range(sizes.threads)]
        wait(futures)
        for future in futures:
            future.result()
        return time.perf_counter() - started

    try:
        for fn in calls.values():
            _latencies_us(fn, WARM_UP_CALLS)
        latency = interleave(
            {
                name: (lambda fn=fn: _latencies_us(fn, sizes.latency_calls))
                for name, fn in calls.items()
            },
            sizes.loopback_rounds,
        )
        for fn in calls.values():
            burst(fn)  # open the connections and start every thread before measuring
        throughput = interleave(
            {name: (lambda fn=fn: burst(fn)) for name, fn in calls.items()},
            sizes.loopback_rounds,
        )
    finally:
        pool.shutdown()
        raw.close()
        sdk.close()
    return {
        "latency": _latency_summary(latency),
        "throughput": _throughput_summary(throughput, sizes.threads, sizes.threads * per_thread),
    }


def _repeat(fn: Callable[[], Any], times: int) -> None:
    for _ in range(times):
        fn()


async def _measure_async(port: int, sizes: Sizes) -> dict[str, dict[str, float]]:
    base_url = f"http://127.0.0.1:{port}"
    raw = httpx.AsyncClient(limits=LIMITS)
    sdk = AsyncRuptAPI(SECRET, domain=base_url)
    url = base_url + EVALUATION_PATH

    async def raw_call() -> Any:
        return json.loads((await raw.get(url, headers=AUTH_HEADERS)).content)

    async def sdk_call() -> Any:
        return await sdk.get_evaluation(EVALUATION_ID)

    calls = {"raw": raw_call, "sdk": sdk_call}
    per_task = sizes.calls_per_task

    async def task(fn: Callable[[], Awaitable[Any]]) -> None:
        for _ in range(per_task):
            await fn()

    async def burst(fn: Callable[[], Awaitable[Any]]) -> float:
        gc.collect()
        started = time.perf_counter()
        await asyncio.gather(*(task(fn) for _ in range(sizes.tasks)))
        return time.perf_counter() - started

    try:
        for fn in calls.values():
            await _latencies_us_async(fn, WARM_UP_CALLS)
        latency = await interleave_async(
            {
                name: (lambda fn=fn: _latencies_us_async(fn, sizes.latency_calls))
                for name, fn in calls.items()
            },
            sizes.loopback_rounds,
        )
        for fn in calls.values():
            await burst(fn)
        throughput = await interleave_async(
            {name: (lambda fn=fn: burst(fn)) for name, fn in calls.items()},
            sizes.loopback_rounds,
        )
    finally:
        await raw.aclose()
        await sdk.aclose()
    return {
        "latency": _latency_summary(latency),
        "throughput": _throughput_summary(throughput, sizes.tasks, sizes.tasks * per_task),
    }


def run(sizes: Sizes) -> dict[str, dict[str, dict[str, float]]]:
    """Section 2: sync and async, against one fresh server process."""
    with running_server() as port:
        return {
            "sync": measure_sync(port, sizes),
            "async": asyncio.run(_measure_async(port, sizes)),
        }
