"""Deadline assertions that hold on a loaded machine, and still fail on a late deadline.

A call that must raise within a few milliseconds of its deadline can be late without any fault of
the SDK: on a loaded machine the OS runs other processes first, or another thread of this one
holds the GIL, whenever this process wakes up. So a test starts a `Reference`, a plain timer due
at the same deadline, beside the call, and allows the call to be late by what it allows plus how
late the reference fired at the same moment. On a quiet machine that is a millisecond or less,
so a late deadline still fails the test.
"""

from __future__ import annotations

import threading
import time


class Reference:
    """A plain timer of this process, due `seconds` from now, in a thread of its own."""

    def __init__(self, seconds: float) -> None:
        self.due = time.monotonic() + seconds
        self._fired: float | None = None
        self._thread = threading.Thread(target=self._wait, name="timing-reference", daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        threading.Event().wait(max(0.0, self.due - time.monotonic()))
        self._fired = time.monotonic()

    def lateness(self) -> float:
        """How late the timer fired, in seconds (0 or more); waits for it to fire."""
        self._thread.join()
        assert self._fired is not None
        return max(0.0, self._fired - self.due)
