"""Compression bombs cost a small multiple of the 4 MiB limit, and end well within the deadline.

Runs `_bomb_memory.py` in a fresh process (peak RSS is per process): every bomb of `_bombs.py`
(1 GiB of zeros as gzip, deflate, gzip in gzip, br and zstd where installed) on every surface
(sync, and each transport AsyncRuptAPI offers); each call's own peak RSS is measured.
Before bounded decoding, the same bombs peaked ~1.5 GiB above baseline and took up to 7 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rupt_api._call import MAX_BODY_BYTES

from ._bomb_memory import TRANSPORTS
from ._bombs import BOMBS

ROOT = Path(__file__).resolve().parents[2]
# Decoded pieces up to the limit, the piece past it, decoder windows (zstd's is capped at 8 MiB).
PEAK_BOUND = 8 * MAX_BODY_BYTES


def test_bombs_are_refused_with_bounded_memory_within_the_deadline() -> None:
    run = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tests.reliability._bomb_memory"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    calls = summary["calls"]
    expected = {e.replace(", ", "-in-") for e, build in BOMBS.items() if build() is not None}
    assert {token for _, token, *_ in calls} == expected
    assert len(calls) == (1 + len(TRANSPORTS)) * len(expected)  # every surface
    for surface, token, outcome, elapsed, peak in calls:
        where = f"{surface} {token}: {run.stdout}"
        assert outcome == "RuptResponseError", where
        assert elapsed < 2.0, where  # the timeout: refused by the size limit, not the deadline
        assert peak < PEAK_BOUND, where
