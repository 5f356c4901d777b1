"""One AsyncRuptAPI across many event loops keeps file descriptors and memory bounded.

Runs `_many_loops.py` in a fresh process under `-W error` (a pool left to the garbage collector
would warn `ResourceWarning: unclosed transport`, which `-W error` turns into an error printed on
stderr): 1,000 `asyncio.run()` calls, each one request on a keep-alive connection, on every
transport the async client offers. Before per-loop pools were closed with their loops, each run
kept its pool: +1,000 descriptors, and `Too many open files` at run 122 under `ulimit -n 128`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ._many_loops import TRANSPORTS

ROOT = Path(__file__).resolve().parents[2]
RUNS = 1000


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_many_event_loops_keep_descriptors_and_memory_bounded(transport: str) -> None:
    run = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tests.reliability._many_loops", str(RUNS), transport],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no warning, no "Exception ignored in ..."
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["requests"] == RUNS
    # One pool per loop, closed with it: nothing accumulates after the warm-up.
    assert summary["fds_at_end"] <= summary["fds_after_warm_up"] + 2, run.stdout
    assert summary["rss_at_end"] - summary["rss_after_warm_up"] < 16 * 2**20, run.stdout
