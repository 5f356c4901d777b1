"""Timing helpers: interleaved rounds, per-call costs, medians, percentiles, paired ratios.

Contenders are measured round by round in a rotating order, so drift on a noisy machine (CPU
frequency, a neighbour's load) hits all of them alike; comparisons use the median of the
per-round ratios.
"""

from __future__ import annotations

import asyncio
import gc
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any


def rotated(names: Sequence[str], round_index: int) -> list[str]:
    """`names` rotated by the round number, so nobody always runs first."""
    shift = round_index % len(names)
    return [*names[shift:], *names[:shift]]


def interleave(
    contenders: Mapping[str, Callable[[], float]], rounds: int
) -> dict[str, list[float]]:
    """Run each contender once per round; return every contender's samples in round order."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for index in range(rounds):
        for name in rotated(list(contenders), index):
            samples[name].append(contenders[name]())
    return samples


async def interleave_async(
    contenders: Mapping[str, Callable[[], Awaitable[float]]], rounds: int
) -> dict[str, list[float]]:
    """`interleave` for coroutine contenders, run on the current event loop."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for index in range(rounds):
        for name in rotated(list(contenders), index):
            samples[name].append(await contenders[name]())
    return samples


def per_call_us(fn: Callable[[], Any], calls: int) -> float:
    """Microseconds per call of `fn`, over `calls` calls after a fresh garbage collection."""
    gc.collect()
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


async def per_call_us_async(fn: Callable[[], Awaitable[Any]], calls: int) -> float:
    """`per_call_us` for a coroutine function.

    Yields to the event loop first: calls through a mock transport never suspend, so without it
    the loop would never run its housekeeping (dropping cancelled timers) between batches.
    """
    await asyncio.sleep(0)
    gc.collect()
    started = time.perf_counter()
    for _ in range(calls):
        await fn()
    return (time.perf_counter() - started) / calls * 1e6


def median(values: Sequence[float]) -> float:
    """The median of `values`."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (`fraction` 0.99 for p99)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return float(ordered[rank - 1])


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median over rounds of numerator / denominator, pairing samples of the same round."""
    return median(ratios(numerators, denominators))


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """numerator / denominator for each round, pairing samples of the same round."""
    return [n / d for n, d in zip(numerators, denominators, strict=True)]


def spread(values: Sequence[float]) -> dict[str, float]:
    """The median of `values` with the lowest and highest beside it: what every figure reports."""
    return {"median": median(values), "min": float(min(values)), "max": float(max(values))}


def ratio_spread(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, float]:
    """`spread` of the per-round ratios; its median is `paired_ratio`."""
    return spread(ratios(numerators, denominators))
