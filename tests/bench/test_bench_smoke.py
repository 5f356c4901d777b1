"""`python bench/run.py --smoke` runs every section and writes figures that make sense."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {"mock", "loopback", "imports", "resources", "options"}
ASYNC_NAMES = ("httpx", "aiohttp", "sdk", "sdk_aiohttp")
# Figures every smoke run must report as positive numbers, by section. A timing is a spread:
# its median, min and max are all checked.
POSITIVE: dict[str, list[tuple[str, ...]]] = {
    "mock": [
        (surface, figure)
        for surface, figures in (
            (
                "sync",
                (
                    "raw_httpx_us",
                    "generated_us",
                    "sdk_us",
                    "thread_hop_us",
                    "call_hop_us",
                    "sdk_ratio",
                ),
            ),
            ("async", ("raw_httpx_us", "generated_us", "sdk_us", "sdk_ratio")),
        )
        for figure in figures
    ],
    "loopback": [
        *(
            (surface, "latency", name, "p50_us")
            for surface, names in (("sync", ("httpx", "urllib3", "sdk")), ("async", ASYNC_NAMES))
            for name in names
        ),
        *(
            (surface, "throughput", name, figure)
            for surface, names in (("sync", ("httpx", "urllib3", "sdk")), ("async", ASYNC_NAMES))
            for name in names
            for figure in ("per_s", "cpu_us")
        ),
        ("sync", "latency", "ratios", "sdk/httpx"),
        ("sync", "latency", "ratios", "sdk/urllib3"),
        ("sync", "throughput", "ratios", "sdk/httpx", "cpu"),
        ("async", "latency", "ratios", "sdk/httpx"),
        ("async", "latency", "ratios", "sdk/aiohttp"),
        ("async", "throughput", "ratios", "sdk/httpx", "per_s"),
        ("async", "latency", "ratios", "sdk_aiohttp/httpx"),
        ("async", "throughput", "ratios", "sdk_aiohttp/httpx", "per_s"),
        ("async", "throughput", "ratios", "sdk_aiohttp/aiohttp", "per_s"),
    ],
    "imports": [
        (name,)
        for name in (
            "bare_ms",
            "httpx_ms",
            "rupt_api_ms",
            "ratio",
            "rupt_api_client_ms",
            "httpx_client_ms",
            "rupt_api_first_call_ms",
            "httpx_first_call_ms",
            "first_call_ratio",
        )
    ],
    "resources": [
        *(
            (f"memory_{s}", f)
            for s in ("sync", "async")
            for f in ("rss_client_kb", "rss_after_calls_kb")
        ),
        *(
            (f"timeouts_{s}", when, f)
            for s in ("sync", "async")
            for when in ("before", "after")
            for f in ("threads", "os_threads", "fds")
        ),
        *((f"timeouts_{s}", "timeouts") for s in ("sync", "async")),
    ],
    "options": [("with_options_us",)],
}


def _figure(section: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = section
    for key in path:
        value = value[key]
    return value


def test_smoke_run_reports_every_section(tmp_path: Path) -> None:
    output = tmp_path / "smoke.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # A hang guard: the smoke run takes about 10 s on an idle 2-core machine, and went past
        # 60 s beside make test's other worker and two busy loops.
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    results = json.loads(output.read_text())
    assert set(results["sections"]) == SECTIONS
    for name, paths in POSITIVE.items():
        for path in paths:
            value = _figure(results["sections"][name], path)
            values = (
                [value[k] for k in ("median", "min", "max")] if isinstance(value, dict) else [value]
            )
            for number in values:
                assert isinstance(number, int | float), (name, path, value)
                assert number > 0, (name, path, value)
            if isinstance(value, dict):
                assert value["min"] <= value["median"] <= value["max"], (name, path, value)
    assert results["budgets"], "no budget was checked"
    assert all(isinstance(budget["passed"], bool) for budget in results["budgets"])
    # Every budget row is in the printed table, with its verdict, and the raw references too.
    assert done.stdout.count("| PASS |") + done.stdout.count("| **FAIL** |") == len(
        results["budgets"]
    )
    for surface, reference in (("sync", "raw urllib3"), ("async", "raw aiohttp")):
        row = f"Reference: loopback latency p50, concurrency 1, {surface}: {reference} / raw httpx"
        assert row in done.stdout
    # Every timing in the table has its spread beside it: "median (min-max)".
    assert len(re.findall(r"\(\d[\d,.]*-\d[\d,.]*\)", done.stdout)) >= 40
