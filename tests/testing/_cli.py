"""`python -m rupt_api.testing` in a subprocess, for the tests of the command line."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple


class Running(NamedTuple):
    """A running stand-in: its base URL, and the lines it prints after the banner."""

    url: str
    lines: queue.Queue[str]


@contextmanager
def running(*args: str) -> Iterator[Running]:
    """Start the command with `args` (on a free port), stop it with Ctrl-C, check it stopped.

    On leaving, it must have exited 0, said "FakeRupt stopped" last and written nothing on stderr.
    """
    command = [sys.executable, "-m", "rupt_api.testing", "--port", "0", *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()
        try:
            banner = lines.get(timeout=20)
            assert banner.startswith("FakeRupt listening on http://127.0.0.1:"), banner
            yield Running(banner.rsplit(" ", 1)[1], lines)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            finally:
                if process.poll() is None:
                    process.kill()
        assert process.returncode == 0
        while lines.get(timeout=5) != "FakeRupt stopped":  # skip what the test did not read
            pass
        assert process.stderr is not None
        assert process.stderr.read() == ""
