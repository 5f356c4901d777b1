"""Section 1: what one call costs in process, through `httpx.MockTransport`.

No network: the difference between the contenders is pure Python work per call. Sync contenders
are raw httpx (`get` + `json.loads`), the generated low-level client, and `RuptAPI`; beside them,
the cost of handing a no-op to a warm worker thread and waiting for it (the floor for any design
that runs sync calls on another thread), and the same through the hand-off `RuptAPI` uses for an
injected client (`_continuation.run_waited`), also with both threads held on one CPU (Linux): on
a VM whose idle CPUs halt at once, a wake-up that crosses CPUs waits for the halted one, and the
gap between the two says how much of the SDK's figure is the machine's. Async: raw
`httpx.AsyncClient`, the generated client's `asyncio()`, and `AsyncRuptAPI`.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from rupt_api import AsyncRuptAPI, RuptAPI
from rupt_api._continuation import run_waited
from rupt_api._generated import AuthenticatedClient
from rupt_api._generated.api.evaluations import get_evaluation

from .payload import (
    AUTH_HEADERS,
    EVALUATION_ID,
    EVALUATION_PATH,
    MOCK_BASE_URL,
    SECRET,
    mock_transport,
)
from .sizes import Sizes
from .timing import (
    interleave,
    interleave_async,
    per_call_us,
    per_call_us_async,
    ratio_spread,
    spread,
)

URL = MOCK_BASE_URL + EVALUATION_PATH


def _noop() -> None:
    return None


def _on_one_cpu(measure: Callable[[], float]) -> float:
    """`measure()` run in a new thread held on one CPU; the helper it parks inherits that."""
    results: list[float] = []

    def run() -> None:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        results.append(measure())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return results[0]


def _can_hold_on_one_cpu() -> bool:
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1


def measure_sync(sizes: Sizes) -> dict[str, dict[str, float]]:
    """µs per call of each sync contender, and the SDK's and generated client's ratios."""
    raw = httpx.Client(transport=mock_transport())
    generated = AuthenticatedClient(
        base_url=MOCK_BASE_URL, token=SECRET, httpx_args={"transport": mock_transport()}
    )
    sdk = RuptAPI(
        SECRET, domain=MOCK_BASE_URL, http_client=httpx.Client(transport=mock_transport())
    )
    worker = ThreadPoolExecutor(max_workers=1)
    calls = sizes.mock_calls

    def raw_call() -> Any:
        return json.loads(raw.get(URL, headers=AUTH_HEADERS).content)

    def generated_call() -> Any:
        return get_evaluation.sync(EVALUATION_ID, client=generated)

    def sdk_call() -> Any:
        return sdk.get_evaluation(EVALUATION_ID)

    def thread_hop() -> Any:
        return worker.submit(_noop).result()

    def call_hop() -> Any:
        return run_waited(_noop, 5.0)

    contenders = {
        "raw": raw_call,
        "generated": generated_call,
        "sdk": sdk_call,
        "hop": thread_hop,
        "call_hop": call_hop,
    }
    for fn in contenders.values():  # warm every path once: lazy imports, pools, caches
        fn()
    measures = {name: (lambda fn=fn: per_call_us(fn, calls)) for name, fn in contenders.items()}
    if _can_hold_on_one_cpu():

        def call_hop_one_cpu() -> float:
            def measure() -> float:
                call_hop()  # park this thread's helper first
                return per_call_us(call_hop, calls)

            return _on_one_cpu(measure)

        measures["call_hop_one_cpu"] = call_hop_one_cpu
    try:
        samples = interleave(measures, sizes.mock_rounds)
    finally:
        worker.shutdown()
        raw.close()
        sdk.close()
    return _summary(samples)


async def _measure_async(sizes: Sizes) -> dict[str, dict[str, float]]:
    raw = httpx.AsyncClient(transport=mock_transport())
    generated = AuthenticatedClient(
        base_url=MOCK_BASE_URL, token=SECRET, httpx_args={"transport": mock_transport()}
    )
    sdk = AsyncRuptAPI(
        SECRET, domain=MOCK_BASE_URL, http_client=httpx.AsyncClient(transport=mock_transport())
    )
    calls = sizes.mock_calls

    async def raw_call() -> Any:
        return json.loads((await raw.get(URL, headers=AUTH_HEADERS)).content)

    async def generated_call() -> Any:
        return await get_evaluation.asyncio(EVALUATION_ID, client=generated)

    async def sdk_call() -> Any:
        return await sdk.get_evaluation(EVALUATION_ID)

    contenders = {"raw": raw_call, "generated": generated_call, "sdk": sdk_call}
    for fn in contenders.values():
        await fn()
    try:
        samples = await interleave_async(
            {name: (lambda fn=fn: per_call_us_async(fn, calls)) for name, fn in contenders.items()},
            sizes.mock_rounds,
        )
    finally:
        await raw.aclose()
        await sdk.aclose()
        await generated.get_async_httpx_client().aclose()
    return _summary(samples)


def _summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Each contender's µs per call and its ratio to raw httpx, as spreads over rounds."""
    summary = {}
    for name, values in samples.items():
        label = {"raw": "raw_httpx", "hop": "thread_hop"}.get(name, name)
        summary[f"{label}_us"] = spread(values)
        if name != "raw":
            summary[f"{label}_ratio"] = ratio_spread(values, samples["raw"])
    return summary


def measure_async(sizes: Sizes) -> dict[str, dict[str, float]]:
    """µs per call of each async contender, and the ratios to raw async httpx."""
    return asyncio.run(_measure_async(sizes))


def run(sizes: Sizes) -> dict[str, dict[str, dict[str, float]]]:
    """Section 1: sync and async per-call costs."""
    return {"sync": measure_sync(sizes), "async": measure_async(sizes)}
