"""One AsyncRuptAPI used from many event loops, one `asyncio.run()` each (celery tasks, Django
async views under WSGI, pytest's per-test loops): file descriptors and memory stay bounded.

    .venv/bin/python -W error -m tests.reliability._many_loops [RUNS] [TRANSPORT]

Calls `get_evaluation` once per `asyncio.run()` against the stand-in on 127.0.0.1 (keep-alive
connections, so a pool left open keeps its socket), and prints open file descriptors and RSS
after a warm-up and at the end, then a JSON summary as the last line (what `test_loops.py`
reads).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time

from rupt_api import AsyncRuptAPI
from rupt_api.testing import FakeRupt
from tests.facade.conftest import ASYNC_TRANSPORTS

SECRET = "sk_test_many_loops"
WARM_UP = 50
# Every transport AsyncRuptAPI offers.
TRANSPORTS = ASYNC_TRANSPORTS


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main(runs: int, transport: str = "httpx") -> dict[str, float]:
    fake = FakeRupt(secret=SECRET)
    evaluation_id = fake.add_evaluation(id="ev_loops")["id"]
    summary: dict[str, float] = {"runs": runs}
    with fake.serve() as url:
        options = {} if transport == "httpx" else {"transport": transport}
        client = AsyncRuptAPI(SECRET, domain=url, timeout=10, **options)

        async def one_call() -> None:
            evaluation = await client.get_evaluation(evaluation_id)
            assert evaluation.id == evaluation_id

        started = time.monotonic()
        for run in range(runs):
            asyncio.run(one_call())
            if run + 1 == WARM_UP:
                gc.collect()
                summary["fds_after_warm_up"] = _fds()
                summary["rss_after_warm_up"] = _rss()
        summary["seconds"] = time.monotonic() - started
        gc.collect()
        summary["fds_at_end"] = _fds()
        summary["rss_at_end"] = _rss()
        summary["requests"] = len(fake.requests)
        asyncio.run(client.aclose())
    return summary


if __name__ == "__main__":
    arguments = sys.argv[1:]
    result = main(int(arguments[0]) if arguments else 1000, *arguments[1:2])
    growth = (result["rss_at_end"] - result["rss_after_warm_up"]) / 2**20
    print(
        f"{result['runs']:.0f} asyncio.run() calls in {result['seconds']:.1f} s: file descriptors"
        f" {result['fds_after_warm_up']:.0f} after {WARM_UP}, {result['fds_at_end']:.0f} at the"
        f" end; RSS {growth:+.1f} MiB"
    )
    sys.stdout.write(json.dumps(result) + "\n")
