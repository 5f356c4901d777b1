"""How much each section measures: the full run (about two minutes) and the smoke run (seconds)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """Counts for one run of every section."""

    # 1. per-call cost through a mock transport
    mock_rounds: int
    mock_calls: int
    # 2. real HTTP on loopback
    loopback_rounds: int
    latency_calls: int
    threads: int
    calls_per_thread: int
    tasks: int
    calls_per_task: int
    # 3. import time
    import_runs: int
    # 4. memory, threads and file descriptors
    memory_calls: int
    timeout_calls: int
    settle_seconds: float
    # 5. with_options
    options_rounds: int
    options_calls: int


FULL = Sizes(
    mock_rounds=12,
    mock_calls=800,
    loopback_rounds=12,
    latency_calls=200,
    threads=32,
    calls_per_thread=10,
    tasks=256,
    calls_per_task=1,
    import_runs=10,
    memory_calls=10_000,
    timeout_calls=1000,
    settle_seconds=15.0,
    options_rounds=15,
    options_calls=10_000,
)

SMOKE = Sizes(
    mock_rounds=2,
    mock_calls=30,
    loopback_rounds=2,
    latency_calls=20,
    threads=8,
    calls_per_thread=2,
    tasks=32,
    calls_per_task=2,
    import_runs=1,
    memory_calls=200,
    timeout_calls=20,
    settle_seconds=15.0,
    options_rounds=2,
    options_calls=200,
)
