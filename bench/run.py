"""Run the benchmarks: `python bench/run.py` (full, ~2 minutes) or `python bench/run.py --smoke`.

A thin script wrapper around `bench.cli.main`, so the benchmarks run from a path as well as with
`python -m bench.cli`.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.cli import main

    raise SystemExit(main())
