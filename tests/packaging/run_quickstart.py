"""Run the README's quick start as a new user would, against the stand-in, and say what it sent.

    python run_quickstart.py README.md

A standalone script: it runs in a fresh virtual environment holding only the installed wheel and
its runtime dependencies (tests/packaging/test_distribution.py, tools/pythons.py), so it imports
nothing but rupt_api and the standard library. As the README says, the stand-in runs with its
sample objects (`python -m rupt_api.testing --seed`, here on a free port) and `RUPT_SECRET` /
`RUPT_DOMAIN` point at it; then each ```python block of the "Quick start" section runs, in order,
as a program of its own. Exits non-zero if a block raises or the section sends nothing.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import rupt_api
from rupt_api.testing import FakeRupt
from rupt_api.testing.__main__ import seed


def quick_start_blocks(readme: str) -> list[str]:
    """The ```python blocks of the README's "Quick start" section, in order."""
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def main(readme_path: str) -> int:
    blocks = quick_start_blocks(Path(readme_path).read_text(encoding="utf-8"))
    if not blocks:
        print("the README's quick start has no python block", file=sys.stderr)
        return 1
    fake = FakeRupt()
    seed(fake)
    with fake.serve() as base_url:
        os.environ["RUPT_SECRET"] = fake.secret
        os.environ["RUPT_DOMAIN"] = base_url
        for number, block in enumerate(blocks):
            code = compile(block, f"README quick start, block {number}", "exec")
            exec(code, {"__name__": "readme_example"})
    if not fake.requests:
        print("the quick start sent nothing", file=sys.stderr)
        return 1
    calls = ", ".join(f"{r.method} {r.path.split('/')[2]}" for r in fake.requests)
    print(f"quick start: {len(blocks)} blocks, {len(fake.requests)} requests ({calls})")
    location = Path(rupt_api.__file__).parent
    print(f"rupt_api {rupt_api.__version__} from {location}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
