"""Section 4a: resident memory after creating a client and after many calls (mock transport).

Run in a fresh interpreter (see `bench.resources`), so earlier sections' allocations do not
hide or inflate growth. The budget counts growth from just after the first call: that call loads
the generated models (about 0.8 MB, once), and flat means nothing grows per call after it. Growth
from just after the client was created is recorded too.
"""

from __future__ import annotations

import asyncio
import gc

import httpx

from rupt_api import AsyncRuptAPI, RuptAPI

from .payload import EVALUATION_ID, MOCK_BASE_URL, SECRET, mock_transport
from .procstat import rss_kb


def measure_sync(calls: int) -> dict[str, float]:
    """RSS (KB) before and after creating a `RuptAPI`, after one call and after `calls` more."""
    start = rss_kb()
    client = RuptAPI(
        SECRET, domain=MOCK_BASE_URL, http_client=httpx.Client(transport=mock_transport())
    )
    created = rss_kb()
    client.get_evaluation(EVALUATION_ID)
    first_call = rss_kb()
    for _ in range(calls):
        client.get_evaluation(EVALUATION_ID)
    gc.collect()
    return _summary(start, created, first_call, rss_kb(), calls)


async def _measure_async(calls: int) -> dict[str, float]:
    start = rss_kb()
    client = AsyncRuptAPI(
        SECRET, domain=MOCK_BASE_URL, http_client=httpx.AsyncClient(transport=mock_transport())
    )
    created = rss_kb()
    await client.get_evaluation(EVALUATION_ID)
    first_call = rss_kb()
    for _ in range(calls):
        await client.get_evaluation(EVALUATION_ID)
        # A mock transport never suspends, so the event loop would never run between calls; real
        # I/O always does. Without this, the loop's housekeeping (dropping cancelled timers) never
        # happens and each call's cancelled deadline timer stays in the heap until it does.
        await asyncio.sleep(0)
    gc.collect()
    return _summary(start, created, first_call, rss_kb(), calls)


def measure_async(calls: int) -> dict[str, float]:
    """`measure_sync` for `AsyncRuptAPI`."""
    return asyncio.run(_measure_async(calls))


def _summary(start: int, created: int, first_call: int, after: int, calls: int) -> dict[str, float]:
    return {
        "calls": calls,
        "rss_start_kb": start,
        "rss_client_kb": created,
        "rss_first_call_kb": first_call,
        "rss_after_calls_kb": after,
        "growth_kb": after - created,
        "growth_after_first_call_kb": after - first_call,
    }
