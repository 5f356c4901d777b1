"""One AsyncRuptAPI across many event loops keeps file descriptors and memory bounded.

Runs `_many_loops.py` in a fresh process under `-W error` (a pool left to the garbage collector
would warn `ResourceWarning: unclosed transport`, which `-W error` turns into an error printed
on stderr): 1,000 `asyncio.run()` calls (200 on aiohttp), each one request on a keep-alive
connection, on every transport the async client offers. Before per-loop pools were closed with
their loops, 1,000 runs ended with 2,007 descriptors open (107 after 50) and RSS +815 MiB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ._many_loops import TRANSPORTS

ROOT = Path(__file__).resolve().parents[2]
MODULE = "tests.reliability._many_loops"
# aiohttp opens and closes a session per loop (~35 ms here): fewer runs keep the suite short,
# and are still far more than a leak needs to show.
RUNS = {"httpx": 1000, "aiohttp": 200}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_many_event_loops_keep_descriptors_and_memory_bounded(transport: str) -> None:
    runs = RUNS[transport]
    run = subprocess.run(
        [sys.executable, "-W", "error", "-m", MODULE, str(runs), transport],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no warning, no "Exception ignored in ..."
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["requests"] == runs
    # One pool per loop, closed with it: nothing accumulates after the warm-up.
    assert summary["fds_at_end"] <= summary["fds_after_warm_up"] + 2, run.stdout
    assert summary["rss_at_end"] - summary["rss_after_warm_up"] < 16 * 2**20, run.stdout


def test_a_loop_closed_without_shutting_down_is_forgotten_quietly() -> None:
    """`loop.close()` alone (no `shutdown_asyncgens`): the pool of that loop is dropped when a
    new loop comes (not kept for ever), quietly: no error from the garbage collector."""
    import asyncio
    import gc

    from rupt_api import AsyncRuptAPI
    from rupt_api.testing import FakeRupt

    fake = FakeRupt(secret="sk_test_loops")
    evaluation_id = fake.add_evaluation(id="ev_closed_loop")["id"]
    with fake.serve() as url:
        client = AsyncRuptAPI("sk_test_loops", domain=url)
        old = asyncio.new_event_loop()
        assert old.run_until_complete(client.get_evaluation(evaluation_id)).id == evaluation_id
        first = client._pool.client
        old.run_until_complete(first.aclose())  # its sockets closed, its closer still waiting
        old.close()
        assert asyncio.run(client.get_evaluation(evaluation_id)).id == evaluation_id
        assert client._pool.client is not first
        assert old not in client._pool._clients  # forgotten, its closer too
        assert old not in client._pool._keepers
        del old
        gc.collect()  # nothing is finalised through the dead loop
        asyncio.run(client.aclose())
    assert len(fake.requests) == 2
