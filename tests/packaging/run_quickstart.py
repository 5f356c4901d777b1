"""Run the README's quick start as a new user would, against the stand-in, and say what it sent.

    python run_quickstart.py README.md

A standalone script: it runs in a fresh virtual environment holding only the installed wheel and
its runtime dependencies (tests/packaging/test_distribution.py, tools/pythons.py), so it imports
nothing but rupt_api and the standard library. Each ```python block of the README's "Quick start"
section runs, in order, as one async function's body (a reader pasting the section: later
blocks use what earlier ones imported; top-level `await` works), with `evaluation_id` a passed
challenge, `RUPT_SECRET` the stand-in's secret and `RUPT_DOMAIN` its URL, as a reader who
points the SDK at `python -m rupt_api.testing` would run it. Exits non-zero if a block raises or
the section sends nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import textwrap
from pathlib import Path

import rupt_api
from rupt_api.testing import FakeRupt


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
    with fake.serve() as base_url:
        os.environ["RUPT_SECRET"] = fake.secret
        os.environ["RUPT_DOMAIN"] = base_url
        evaluation = fake.evaluate("login", user_id="user_1", email="ada@example.com")
        fake.complete_challenge(evaluation)
        namespace = {"evaluation_id": evaluation["id"]}
        body = "\n".join(blocks)
        source = "async def _quick_start():\n" + textwrap.indent(body, "    ") + "\n    pass\n"
        exec(compile(source, "README quick start", "exec"), namespace)
        asyncio.run(namespace["_quick_start"]())
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
