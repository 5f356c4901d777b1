"""What ran the benchmark: CPU, core count, Python and library versions."""

from __future__ import annotations

import datetime
import os
import platform
from typing import Any

import httpx

import rupt_api


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("unknown" elsewhere)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def describe() -> dict[str, Any]:
    """The machine and software versions, for the JSON and the docs."""
    return {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "nproc": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "httpx": httpx.__version__,
        "rupt_api": rupt_api.__version__,
    }


def summary(info: dict[str, Any]) -> str:
    """One line: CPU, cores, Python, httpx."""
    return (
        f"{info['cpu']}, {info['nproc']} cores, {info['implementation']} {info['python']},"
        f" httpx {info['httpx']}, rupt-api {info['rupt_api']}, {info['when']}"
    )
