"""Section 2: real HTTP over loopback, against `bench.server` in its own process.

Contenders, sync: raw `httpx.Client`, raw urllib3 (a `PoolManager`, the fastest common sync
client: the reference that makes httpx and us look slow) and `RuptAPI`. Async: raw
`httpx.AsyncClient`, raw aiohttp (a `ClientSession`: the reference for async), `AsyncRuptAPI`
and `AsyncRuptAPI(transport="aiohttp")`.
Raw clients `json.loads` the body, as any caller would; the SDK also parses it into models.

Pools: raw httpx uses `httpx.Limits(max_connections=100, max_keepalive_connections=20,
keepalive_expiry=30)`, the pool the SDK creates for itself; the SDK side uses its own default
pool (no `http_client`). The expiry matters: httpcore's pool scans every connection for every
queued request, so 256 tasks run ~30% faster on a pool that shrank while idle (httpx's default
5 s expiry, between interleaved bursts) than on one that kept its 20 connections. aiohttp gets
the same limit of 100 connections and 30 s keep-alive; urllib3 keeps one connection per thread.

Measured, every contender round by round in a rotating order: latency at concurrency 1 (p50 of
each round; p99 over every call), then requests per second and the process's CPU time per
request (the server runs in another process, so that is the client's own work) with
`sizes.threads` threads sharing one sync client, and with `sizes.tasks` tasks sharing one async
client. Every figure is a spread over rounds (median, min, max); ratios pair each round's figures.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import aiohttp
import httpx
import urllib3

from rupt_api import AsyncRuptAPI, RuptAPI

from .payload import AUTH_HEADERS, EVALUATION_ID, EVALUATION_PATH, SECRET
from .server import running_server
from .sizes import Sizes
from .timing import interleave, interleave_async, percentile, ratio_spread, spread

# The limits of the pool `RuptAPI` / `AsyncRuptAPI` create (rupt_api/_transport.py).
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30)
WARM_UP_CALLS = 10
# Every ratio compares a contender with this one, measured in the same round.
BASELINE = "httpx"

Figures = dict[str, Any]


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


def _pairs(names: list[str]) -> list[tuple[str, str]]:
    """The ratios worth printing: everyone over httpx, and the SDK over each raw reference."""
    references = [name for name in names if name != BASELINE and not name.startswith("sdk")]
    pairs = [(name, BASELINE) for name in names if name != BASELINE]
    pairs += [(name, ref) for name in names if name.startswith("sdk") for ref in references]
    return pairs


def latency_summary(rounds: dict[str, list[list[float]]]) -> Figures:
    """Per contender: p50 spread over rounds and p99 over every call; ratios of p50s as "a/b"."""
    p50s = {name: [percentile(samples, 0.50) for samples in rounds[name]] for name in rounds}
    summary: Figures = {}
    for name, samples in rounds.items():
        every_call = [value for one_round in samples for value in one_round]
        summary[name] = {"p50_us": spread(p50s[name]), "p99_us": percentile(every_call, 0.99)}
    summary["ratios"] = {f"{a}/{b}": ratio_spread(p50s[a], p50s[b]) for a, b in _pairs([*rounds])}
    return summary


def throughput_summary(rounds: dict[str, list[tuple[float, float]]], workers: int) -> Figures:
    """Per contender: req/s and CPU µs per request; ratios of both as "a/b", round by round.

    Each round's sample is (requests per second, CPU seconds per request).
    """
    rates = {name: [rate for rate, _ in samples] for name, samples in rounds.items()}
    cpu_us = {name: [cpu * 1e6 for _, cpu in samples] for name, samples in rounds.items()}
    summary: Figures = {"workers": workers}
    for name in rounds:
        summary[name] = {"per_s": spread(rates[name]), "cpu_us": spread(cpu_us[name])}
    summary["ratios"] = {
        f"{a}/{b}": {
            "per_s": ratio_spread(rates[a], rates[b]),
            "cpu": ratio_spread(cpu_us[a], cpu_us[b]),
        }
        for a, b in _pairs([*rounds])
    }
    return summary


def _rate_and_cpu(requests: int, wall: float, cpu: float) -> tuple[float, float]:
    return requests / wall, cpu / requests


# -- sync ------------------------------------------------------------------------------------------


def sync_contenders(base_url: str, sizes: Sizes) -> tuple[dict[str, Callable[[], Any]], Any]:
    """The sync calls to compare, and a function that closes their clients."""
    url = base_url + EVALUATION_PATH
    raw = httpx.Client(limits=LIMITS)
    pool = urllib3.PoolManager(maxsize=sizes.threads)
    sdk = RuptAPI(SECRET, domain=base_url)

    def close() -> None:
        raw.close()
        pool.clear()
        sdk.close()

    calls = {
        "httpx": lambda: json.loads(raw.get(url, headers=AUTH_HEADERS).content),
        "urllib3": lambda: json.loads(pool.request("GET", url, headers=AUTH_HEADERS).data),
        "sdk": lambda: sdk.get_evaluation(EVALUATION_ID),
    }
    return calls, close


def measure_sync(port: int, sizes: Sizes) -> Figures:
    """Sync latency at concurrency 1, then throughput with `sizes.threads` threads."""
    calls, close = sync_contenders(f"http://127.0.0.1:{port}", sizes)
    threads = ThreadPoolExecutor(max_workers=sizes.threads)
    per_thread = sizes.calls_per_thread
    requests = sizes.threads * per_thread

    def burst(fn: Callable[[], Any]) -> tuple[float, float]:
        gc.collect()
        cpu, started = time.process_time(), time.perf_counter()
        futures = [threads.submit(_repeat, fn, per_thread) for _ in range(sizes.threads)]
        wait(futures)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        for future in futures:
            future.result()
        return _rate_and_cpu(requests, wall, cpu)

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
        threads.shutdown()
        close()
    return {
        "latency": latency_summary(latency),
        "throughput": throughput_summary(throughput, sizes.threads),
    }


def _repeat(fn: Callable[[], Any], times: int) -> None:
    for _ in range(times):
        fn()


# -- async -----------------------------------------------------------------------------------------


async def async_contenders(base_url: str) -> tuple[dict[str, Callable[[], Awaitable[Any]]], Any]:
    """The async calls to compare, and a coroutine function that closes their clients."""
    url = base_url + EVALUATION_PATH
    raw = httpx.AsyncClient(limits=LIMITS)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=LIMITS.max_connections or 0, keepalive_timeout=30)
    )
    sdk = AsyncRuptAPI(SECRET, domain=base_url)
    sdk_aiohttp = AsyncRuptAPI(SECRET, domain=base_url, transport="aiohttp")

    async def raw_call() -> Any:
        return json.loads((await raw.get(url, headers=AUTH_HEADERS)).content)

    async def aiohttp_call() -> Any:
        async with session.get(url, headers=AUTH_HEADERS) as response:
            return json.loads(await response.read())

    async def sdk_call() -> Any:
        return await sdk.get_evaluation(EVALUATION_ID)

    async def sdk_aiohttp_call() -> Any:
        return await sdk_aiohttp.get_evaluation(EVALUATION_ID)

    async def close() -> None:
        await raw.aclose()
        await session.close()
        await sdk.aclose()
        await sdk_aiohttp.aclose()

    calls = {
        "httpx": raw_call,
        "aiohttp": aiohttp_call,
        "sdk": sdk_call,
        "sdk_aiohttp": sdk_aiohttp_call,
    }
    return calls, close


async def _measure_async(port: int, sizes: Sizes) -> Figures:
    calls, close = await async_contenders(f"http://127.0.0.1:{port}")
    per_task = sizes.calls_per_task
    requests = sizes.tasks * per_task

    async def task(fn: Callable[[], Awaitable[Any]]) -> None:
        for _ in range(per_task):
            await fn()

    async def burst(fn: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
        gc.collect()
        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(task(fn) for _ in range(sizes.tasks)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        return _rate_and_cpu(requests, wall, cpu)

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
        await close()
    return {
        "latency": latency_summary(latency),
        "throughput": throughput_summary(throughput, sizes.tasks),
    }


def run(sizes: Sizes) -> dict[str, Figures]:
    """Section 2: sync and async, against one fresh server process."""
    with running_server() as port:
        return {
            "sync": measure_sync(port, sizes),
            "async": asyncio.run(_measure_async(port, sizes)),
        }
