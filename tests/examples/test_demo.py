"""`make demo` runs the whole challenge flow and says so; it must keep working."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

STEP = re.compile(r"^\s+\d+\.\d+s\s+(?P<outcome>ok|FAILED)\s+(?P<text>.*)$")
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_the_demo_passes_every_step_quickly() -> None:
    result = subprocess.run(
        [sys.executable, str(DEMO)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    steps = [m for line in lines if (m := STEP.match(line))]
    assert len(steps) == 14, result.stdout
    assert [m["outcome"] for m in steps] == ["ok"] * 14
    steps = [m["text"] for m in steps]
    for expected in (
        "replayed: refused",
        "mallory's completed signup posted for user_42's login: refused (user_id)",
        "redirect the user to https://",
        "retried",
        "continuation delivered",
    ):
        assert sum(expected in line for line in steps) == 2
    assert lines[-1].startswith("All steps behaved as expected in")
    assert result.stderr == ""
