"""tools/pythons.py in the background of the suite, for test_other_pythons to collect.

The other Pythons' run takes a minute or two, mostly waiting on sockets and timers, so it starts
as soon as the tests are collected, runs while the rest of the suite does, and the test (moved to
the end of the run) reads its outcome. It starts only when that test was selected, and is
stopped, with everything it started, if the session ends first.

The run belongs to the process that reports the session: with plain pytest the only one; under
pytest-xdist (`make test`) the controller, which outlives its workers. The controller collects no
test itself: it starts the run when the first worker reports a collection holding the test, and
has told each worker, when setting it up, the folder where the run writes its output and its exit
status. The worker that gets the test waits there for the status.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_ID = (
    "tests/packaging/test_other_pythons.py::test_the_wheel_and_the_tests_under_every_other_python"
)
PLUGIN_NAME = "rupt-other-pythons"
WORKER_KEY = "rupt_other_pythons_folder"

# Runs tools/pythons.py, then writes its exit status beside its output (atomically: the waiting
# side reads the status file once it exists).
_RECORD_STATUS = """\
import os, subprocess, sys
status = subprocess.call(sys.argv[2:])
with open(sys.argv[1] + ".part", "w") as file:
    file.write(str(status))
os.replace(sys.argv[1] + ".part", sys.argv[1])
"""


class Outcome:
    """Where the run writes what it prints and its exit status."""

    def __init__(self, folder: Path) -> None:
        self.output = folder / "output"
        self.status = folder / "status"

    def result(self, timeout: float) -> tuple[int, str]:
        """Wait for the run to end; its exit status and everything it printed."""
        deadline = time.monotonic() + timeout
        while not self.status.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"tools/pythons.py gave no result within {timeout:g} s")
            time.sleep(0.2)
        return int(self.status.read_text()), self.output.read_text(encoding="utf-8")


class Background:
    """The running tools/pythons.py, in its own process group."""

    def __init__(self, outcome: Outcome) -> None:
        pythons = [sys.executable, str(ROOT / "tools" / "pythons.py")]
        with outcome.output.open("w", encoding="utf-8") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _RECORD_STATUS, str(outcome.status), *pythons],
                cwd=ROOT,
                # Its temporary files (venvs, the wheel) go in the folder, removed with it even
                # when the run is stopped before it could clean up.
                env={**os.environ, "TMPDIR": str(outcome.output.parent)},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stop() ends the other Pythons' pip and pytest too
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class OtherPythons:
    """The plugin (registered by tests/conftest.py): starts, hands over and stops the run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.background: Background | None = None
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        if workerinput is not None:
            self.folder = Path(workerinput[WORKER_KEY])
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="rupt-other-pythons-"))

    def outcome(self) -> Outcome:
        """For the test: where the run's outcome appears (started now if it was not yet)."""
        self.start()
        return Outcome(self.folder)

    def start(self) -> None:
        if not self.is_worker and self.background is None:
            self.background = Background(Outcome(self.folder))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Last: by the time a worker gets to it, the run has had the whole suite's time.
        items.sort(key=lambda item: item.nodeid == TEST_ID)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.config.option.collectonly and any(i.nodeid == TEST_ID for i in session.items):
            self.start()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_KEY] = str(self.folder)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if TEST_ID in ids:
            self.start()

    def pytest_unconfigure(self) -> None:
        if self.background is not None:
            self.background.stop()
        if not self.is_worker:
            shutil.rmtree(self.folder, ignore_errors=True)
