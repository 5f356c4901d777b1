"""Every ```python block of the README runs as written, as a reader would paste it into a file.

Each block runs alone, in a fresh interpreter under `-X dev -W error` (so an unclosed client's
`ResourceWarning`, a coroutine never awaited or a deprecation fails it), with nothing but what the
README tells the reader to set up: the stand-in started as `python -m rupt_api.testing --seed`
(here: the same seed, served on a free loopback port) and `RUPT_SECRET` / `RUPT_DOMAIN` pointing
at it. Nothing is added to the block's namespace.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rupt_api.testing import FakeRupt
from rupt_api.testing.__main__ import seed

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
SECRET = "sk_test_fake"  # what `python -m rupt_api.testing` accepts by default, as the README says

# asyncio's debug mode (on under -X dev) logs any step slower than 0.1 s; the first call's lazy
# imports can be, on a loaded machine. That line is about the machine, not the example.
SLOW_STEP = re.compile(r"^Executing <.*> took \d+\.\d+ seconds$")

# Run as a module rather than as `__main__`, so that an example app's
# `if __name__ == "__main__": web.run_app(app)` does not serve forever.
RUNNER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='readme_example')"


def test_the_readme_has_examples_for_both_surfaces() -> None:
    assert len(BLOCKS) >= 8
    assert any("AsyncRuptAPI" in block and "asyncio.run(" in block for block in BLOCKS)
    assert any("RuptTimeoutError" in block and "continuation" in block for block in BLOCKS)
    assert any("verify_challenge(" in block for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_readme_example_runs_as_written(block: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(block, encoding="utf-8")
    fake = FakeRupt(secret=SECRET)
    seed(fake)
    env = {key: value for key, value in os.environ.items() if not key.startswith("RUPT_")}
    with fake.serve() as base_url:
        env |= {"RUPT_SECRET": SECRET, "RUPT_DOMAIN": base_url}
        done = subprocess.run(
            [sys.executable, "-X", "dev", "-W", "error", "-c", RUNNER, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    # Warnings raised where they cannot propagate (a finalizer at exit) are only printed.
    noise = [line for line in done.stderr.splitlines() if not SLOW_STEP.match(line)]
    assert noise == [], done.stderr
    # An example that only defines things, or brings its own stand-in, has nothing to show here.
    assert fake.requests or "def " in block or "FakeRupt(" in block, "the example sent nothing"
