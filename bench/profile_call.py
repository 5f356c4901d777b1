"""Where one SDK call's time goes: cProfile over calls through the mock transport.

    python -m bench.profile_call            # RuptAPI.get_evaluation
    python -m bench.profile_call --async    # AsyncRuptAPI.get_evaluation
    python -m bench.profile_call --raw      # raw httpx + json.loads, for comparison

Prints the functions with the most own time, in µs per call. cProfile's overhead inflates every
figure about threefold; compare rows with each other, not with `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from rupt_api import AsyncRuptAPI, RuptAPI

from .payload import (
    AUTH_HEADERS,
    EVALUATION_ID,
    EVALUATION_PATH,
    MOCK_BASE_URL,
    SECRET,
    mock_transport,
)
from .server import ROOT

URL = MOCK_BASE_URL + EVALUATION_PATH


def _sync_call(raw: bool) -> Callable[[], Any]:
    if raw:
        client = httpx.Client(transport=mock_transport())
        return lambda: json.loads(client.get(URL, headers=AUTH_HEADERS).content)
    sdk = RuptAPI(
        SECRET, domain=MOCK_BASE_URL, http_client=httpx.Client(transport=mock_transport())
    )
    return lambda: sdk.get_evaluation(EVALUATION_ID)


def _async_call(raw: bool) -> Callable[[], Awaitable[Any]]:
    if raw:
        client = httpx.AsyncClient(transport=mock_transport())

        async def raw_call() -> Any:
            return json.loads((await client.get(URL, headers=AUTH_HEADERS)).content)

        return raw_call
    sdk = AsyncRuptAPI(
        SECRET, domain=MOCK_BASE_URL, http_client=httpx.AsyncClient(transport=mock_transport())
    )
    return lambda: sdk.get_evaluation(EVALUATION_ID)


def profile(calls: int, use_async: bool, raw: bool) -> pstats.Stats:
    """Profile `calls` calls after a warm-up; the async ones yield to the loop between calls."""
    profiler = cProfile.Profile()
    if use_async:
        call = _async_call(raw)

        async def loop() -> None:
            await call()
            profiler.enable()
            for _ in range(calls):
                await call()
                await asyncio.sleep(0)
            profiler.disable()

        asyncio.run(loop())
    else:
        sync_call = _sync_call(raw)
        sync_call()
        profiler.enable()
        for _ in range(calls):
            sync_call()
        profiler.disable()
    return pstats.Stats(profiler)


def top_rows(stats: pstats.Stats, calls: int, limit: int) -> list[str]:
    """The `limit` functions with the most own time, as printable lines (µs per call)."""
    rows = []
    for (filename, line, name), (_, ncalls, own, cumulative, _) in stats.stats.items():
        where = filename.split("site-packages/")[-1].removeprefix(f"{ROOT}/")
        rows.append((own, ncalls, cumulative, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    header = f"{'own µs':>8} {'cum µs':>8} {'calls':>6}  function (per SDK call)"
    lines = [header]
    for own, ncalls, cumulative, where in rows[:limit]:
        per_call = own / calls * 1e6, cumulative / calls * 1e6, ncalls / calls
        lines.append("{:8.2f} {:8.2f} {:6.1f}  ".format(*per_call) + where)
    return lines


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--async", dest="use_async", action="store_true")
    parser.add_argument("--raw", action="store_true", help="profile raw httpx instead")
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    stats = profile(args.calls, args.use_async, args.raw)
    total = sum(own for (_, _, own, _, _) in stats.stats.values()) / args.calls * 1e6
    print(f"{total:.0f} µs per call under cProfile")
    print("\n".join(top_rows(stats, args.calls, args.top)))


if __name__ == "__main__":
    main()
