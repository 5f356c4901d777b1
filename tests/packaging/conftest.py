"""Start the other Pythons' run (tools/pythons.py) as soon as the tests are collected.

It takes a minute or two, mostly waiting on sockets and timers, so it runs in the background while
the rest of the suite runs, and `test_other_pythons` collects its outcome. It starts only when that
test was selected, and is stopped if the session ends without it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_NAME = "test_other_pythons.py::test_the_wheel_and_the_tests_under_every_other_python"


class Background:
    """The running tools/pythons.py, and where its output goes."""

    def __init__(self) -> None:
        self.output: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tools" / "pythons.py")],
            cwd=ROOT,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def result(self, timeout: float) -> tuple[int, str]:
        """Wait for the run; its exit status and everything it printed."""
        status = self.process.wait(timeout=timeout)
        self.output.seek(0)
        return status, self.output.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.output.close()


BACKGROUND = pytest.StashKey[Background]()


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.nodeid.endswith(TEST_NAME) for item in session.items):
        session.config.stash[BACKGROUND] = Background()


def pytest_sessionfinish(session: pytest.Session) -> None:
    background = session.config.stash.get(BACKGROUND, None)
    if background is not None:
        background.stop()


@pytest.fixture
def other_pythons(request: pytest.FixtureRequest) -> Background:
    background = request.config.stash.get(BACKGROUND, None)
    if background is None:  # the test was selected some other way (by its name alone, say)
        background = request.config.stash[BACKGROUND] = Background()
    return background
