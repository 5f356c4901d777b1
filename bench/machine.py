"""What ran the benchmark: CPU, core count, Python and library versions."""

from __future__ import annotations

import datetime
import os
import platform
from typing import Any

import aiohttp
import httpx
import urllib3

import rupt_api

from .payload import EVALUATION_JSON


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
        "aiohttp": aiohttp.__version__,
        "urllib3": urllib3.__version__,
        "rupt_api": rupt_api.__version__,
        "payload_bytes": len(EVALUATION_JSON),
    }


def summary(info: dict[str, Any]) -> str:
    """One line: CPU, cores, Python, the clients' versions, the payload's size."""
    return (
        f"{info['cpu']}, {info['nproc']} cores, {info['implementation']} {info['python']},"
        f" httpx {info['httpx']}, aiohttp {info['aiohttp']}, urllib3 {info['urllib3']},"
        f" rupt-api {info['rupt_api']}, {info['when']}; payload: the documented evaluation,"
        f" every field filled, {info['payload_bytes']:,} bytes of JSON"
    )
