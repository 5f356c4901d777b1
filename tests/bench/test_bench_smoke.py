"""`python bench/run.py --smoke` runs every section and writes figures that make sense."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {"mock", "loopback", "imports", "resources", "options"}
# Figures every smoke run must report as positive numbers, by section.
POSITIVE = {
    "mock": [
        ("sync", "raw_httpx_us"),
        ("sync", "generated_us"),
        ("sync", "sdk_us"),
        ("sync", "thread_hop_us"),
        ("sync", "sdk_ratio"),
        ("async", "raw_httpx_us"),
        ("async", "sdk_us"),
        ("async", "sdk_ratio"),
    ],
    "loopback": [
        (surface, part, figure)
        for surface in ("sync", "async")
        for part, figures in (
            ("latency", ("raw_p50_us", "raw_p99_us", "sdk_p50_us", "sdk_p99_us", "ratio")),
            ("throughput", ("raw_per_s", "sdk_per_s", "ratio")),
        )
        for figure in figures
    ],
    "imports": [
        ("bare_ms",),
        ("httpx_ms",),
        ("rupt_api_ms",),
        ("ratio",),
        ("rupt_api_client_ms",),
        ("httpx_client_ms",),
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
        timeout=60,  # a hang guard: the smoke run takes about 10 s on an idle 2-core machine
        check=False,
    )
    assert done.returncode == 0, done.stderr

    results = json.loads(output.read_text())
    assert set(results["sections"]) == SECTIONS
    for name, paths in POSITIVE.items():
        for path in paths:
            value = _figure(results["sections"][name], path)
            assert isinstance(value, int | float), (name, path, value)
            assert value > 0, (name, path, value)
    assert results["budgets"], "no budget was checked"
    assert all(isinstance(budget["passed"], bool) for budget in results["budgets"])
    # Every budget row is in the printed table, with its verdict.
    assert done.stdout.count("| PASS |") + done.stdout.count("| **FAIL** |") == len(
        results["budgets"]
    )
