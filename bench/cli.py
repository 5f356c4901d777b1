"""`make bench`: run every section, print the table, write the figures as JSON.

    python bench/run.py                 # full run, about two minutes
    python bench/run.py --smoke         # every section with tiny counts, a few seconds
    RUPT_BENCH_SMOKE=1 python bench/run.py
    python bench/run.py --sections mock,options --output /tmp/bench.json

Always exits 0 when the benchmarks ran: budgets are reported (PASS/FAIL), not enforced.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import imports, loopback, machine, mock_calls, options, resources
from .budgets import check
from .report import render
from .sizes import FULL, SMOKE, Sizes

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS: dict[str, Callable[[Sizes], Any]] = {
    "mock": mock_calls.run,
    "loopback": loopback.run,
    "imports": imports.run,
    "resources": resources.run,
    "options": options.run,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; `RUPT_BENCH_SMOKE=1` in the environment also selects smoke mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: checks it all runs")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of: {', '.join(SECTIONS)}",
    )
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/...)")
    args = parser.parse_args(argv)
    args.smoke = args.smoke or os.environ.get("RUPT_BENCH_SMOKE", "") not in ("", "0")
    args.sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.output is None:
        args.output = RESULTS / ("smoke.json" if args.smoke else "latest.json")
    return args


def run_sections(names: list[str], sizes: Sizes) -> dict[str, Any]:
    """Run the named sections in order, saying on stderr how long each took."""
    sections = {}
    for name in names:
        started = time.perf_counter()
        print(f"bench: {name}...", file=sys.stderr, flush=True)
        sections[name] = SECTIONS[name](sizes)
        print(f"bench: {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return sections


def main(argv: list[str] | None = None) -> int:
    """Run, print, write; return the exit status (0 unless something crashed)."""
    args = parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    info = machine.describe() | {"mode": "smoke" if args.smoke else "full"}
    sections = run_sections(args.sections, sizes)
    budgets = check(sections)
    print(f"rupt-api benchmarks ({info['mode']} run): {machine.summary(info)}\n")
    if args.smoke:
        print("Smoke run: counts far too small for the budgets to mean anything.\n")
    print(render(sections, budgets))
    results = {
        "machine": info,
        "sizes": vars(sizes),
        "sections": sections,
        "budgets": [budget.as_dict() for budget in budgets],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nFigures written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
