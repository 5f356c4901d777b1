"""Peak memory and time of compression bombs, on both surfaces, in a fresh process.

    .venv/bin/python -m tests.reliability._bomb_memory

Serves every bomb of `_bombs.py` (1 GiB of zeros each) from a raw-socket server on 127.0.0.1,
calls `get_evaluation` once per bomb and surface with a 2 s timeout, and prints one line per
call, then a JSON summary as the last line (what `test_bombs.py` reads). Peak memory is the
call's peak RSS above the RSS before it (Linux's VmHWM, reset before each call), after a warm-up
call on each surface.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any

from rupt_api import AsyncRuptAPI, RuptAPI
from tests.facade.conftest import ASYNC_TRANSPORTS

from ._bombs import BOMBS
from ._fault_server import Connection, FaultServer, Seen, respond

SECRET = "sk_test_bomb_memory"
TIMEOUT = 2.0
_OK = b'{"id": "warm-up", "verdict": "allow"}'


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    raise LookupError(field)


class _Peak:
    """How far RSS rose above where it was, during one call (Linux: VmHWM, reset per call)."""

    def __enter__(self) -> _Peak:
        gc.collect()
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets the peak (VmHWM) to the current RSS
        self.before = _status("VmRSS")
        self.growth = 0
        return self

    def __exit__(self, *exc: object) -> None:
        self.growth = _status("VmHWM") - self.before


def _answer(body: bytes, encoding: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if encoding is not None:
        headers["Content-Encoding"] = encoding

    def behaviour(conn: Connection, attempt: int, seen: Seen) -> None:
        respond(conn, 200, "OK", body, headers)

    return behaviour


def _outcome(call: Any) -> str:
    try:
        call()
    except Exception as exc:
        return type(exc).__name__
    return "returned"


# Every transport AsyncRuptAPI offers.
TRANSPORTS = ASYNC_TRANSPORTS


async def _async_calls(
    url: str, tokens: list[str], results: dict[str, Any], transport: str = "httpx"
) -> None:
    options = {} if transport == "httpx" else {"transport": transport}
    surface = "async" if transport == "httpx" else f"async-{transport}"
    async with AsyncRuptAPI(SECRET, domain=url, timeout=TIMEOUT, retries=0, **options) as client:
        await client.get_evaluation("warm-up")
        for token in tokens:
            with _Peak() as peak:
                started = time.monotonic()
                try:
                    await client.get_evaluation(token)
                    outcome = "returned"
                except Exception as exc:
                    outcome = type(exc).__name__
                elapsed = time.monotonic() - started
            results["calls"].append((surface, token, outcome, elapsed, peak.growth))


def main() -> dict[str, Any]:
    bombs = {encoding: build() for encoding, build in BOMBS.items()}
    bombs = {encoding: bomb for encoding, bomb in bombs.items() if bomb is not None}
    results: dict[str, Any] = {"calls": []}
    with FaultServer(lifetime=120) as server:
        server.register("warm-up", _answer(_OK, None))
        tokens = []
        for encoding, bomb in bombs.items():
            token = encoding.replace(", ", "-in-")
            server.register(token, _answer(bomb, encoding))
            tokens.append(token)
        with RuptAPI(SECRET, domain=server.url, timeout=TIMEOUT, retries=0) as client:
            client.get_evaluation("warm-up")
            for transport in TRANSPORTS:  # warm the async surfaces too
                asyncio.run(_async_calls(server.url, [], results, transport))
            for token in tokens:
                with _Peak() as peak:
                    started = time.monotonic()
                    outcome = _outcome(lambda token=token: client.get_evaluation(token))
                    elapsed = time.monotonic() - started
                results["calls"].append(("sync", token, outcome, elapsed, peak.growth))
        for transport in TRANSPORTS:
            asyncio.run(_async_calls(server.url, tokens, results, transport))
    results["wire_bytes"] = {encoding: len(bomb) for encoding, bomb in bombs.items()}
    return results


if __name__ == "__main__":
    summary = main()
    for surface, token, outcome, elapsed, peak in summary["calls"]:
        growth = peak / 2**20
        line = f"{surface:13} {token:12} -> {outcome:18} {elapsed * 1000:6.0f} ms"
        print(f"{line}  peak +{growth:.1f} MiB")
    sys.stdout.write(json.dumps(summary) + "\n")
