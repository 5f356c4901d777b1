"""Section 4: memory, threads and file descriptors, each measured in a fresh interpreter.

The parent (`run`) starts one child per measurement with `python -m bench.resources KIND ...`;
the child prints its figures as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from tests.reliability._slow_server import slow_server

from . import memory, timeouts
from .server import ROOT, running_server
from .sizes import Sizes


def _child(kind: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.resources", kind, *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def run(sizes: Sizes) -> dict[str, Any]:
    """Section 4: RSS over many calls, then threads and descriptors after timed-out calls."""
    calls = str(sizes.memory_calls)
    results = {
        "memory_sync": _child("memory-sync", "--calls", calls),
        "memory_async": _child("memory-async", "--calls", calls),
    }
    with running_server(delay=timeouts.SERVER_DELAY) as port:
        for kind in ("timeouts-sync", "timeouts-async"):
            results[kind.replace("-", "_")] = _child(
                kind,
                "--port",
                str(port),
                "--calls",
                str(sizes.timeout_calls),
                "--settle",
                str(sizes.settle_seconds),
            )
    # Storms: as many calls at once, against a server that counts what it receives.
    full = sizes.timeout_calls >= 100
    delay, deadline = (
        (timeouts.STORM_DELAY, timeouts.STORM_TIMEOUT) if full else timeouts.SMOKE_STORM
    )
    # Issue 9's storms: 1,000 tasks on one loop; 200 threads on one client.
    storms = {"storm-sync": min(sizes.timeout_calls, 200), "storm-async": sizes.timeout_calls}
    for kind, calls in storms.items():
        with slow_server(delay) as server:
            results[kind.replace("-", "_")] = _child(
                kind, "--port", str(server.port), "--calls", str(calls), "--timeout", str(deadline)
            )
    return results


def main() -> None:
    """Child entry point: measure one KIND and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "kind",
        choices=[
            "memory-sync",
            "memory-async",
            "timeouts-sync",
            "timeouts-async",
            "storm-sync",
            "storm-async",
        ],
    )
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    if args.kind == "memory-sync":
        result = memory.measure_sync(args.calls)
    elif args.kind == "memory-async":
        result = memory.measure_async(args.calls)
    elif args.kind == "timeouts-sync":
        result = timeouts.measure_sync(args.port, args.calls, args.settle)
    elif args.kind == "timeouts-async":
        result = timeouts.measure_async(args.port, args.calls, args.settle)
    elif args.kind == "storm-sync":
        result = timeouts.measure_storm_sync(args.port, args.calls, args.timeout)
    else:
        result = timeouts.measure_storm_async(args.port, args.calls, args.timeout)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
