"""What this process holds, read from /proc: resident memory, threads, file descriptors."""

from __future__ import annotations

import os
import threading


def rss_kb() -> int:
    """Resident set size in KB (VmRSS in /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS line in /proc/self/status")


def thread_count() -> int:
    """Python threads alive (`threading.active_count()`)."""
    return threading.active_count()


def task_count() -> int:
    """OS threads of this process (entries in /proc/self/task)."""
    return len(os.listdir("/proc/self/task"))


def fd_count() -> int:
    """Open file descriptors (entries in /proc/self/fd)."""
    return len(os.listdir("/proc/self/fd"))
