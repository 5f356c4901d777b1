"""Compression bombs cost a small multiple of the 4 MiB limit, and end well within the deadline.

Runs `_bomb_memory.py` in a fresh process (peak RSS is per process): every bomb of `_bombs.py`
(1 GiB of zeros as gzip, deflate, gzip in gzip, br and zstd where installed) on every surface
(sync, and each transport AsyncRuptAPI offers); each call's own peak RSS is measured.
Before bounded decoding, the same bombs peaked ~1.5 GiB above baseline and took up to 7 s.
And well-formed compressed answers, in every coding offered, decode on every surface.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI
from rupt_api._call import MAX_BODY_BYTES
from tests.facade.conftest import ASYNC_TRANSPORTS

from ._bomb_memory import TRANSPORTS
from ._bombs import BOMBS, brotli, zstd
from ._fault_server import Connection, FaultServer, Seen, respond

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk_test_compressed"
# Decoded pieces up to the limit, the piece past it, decoder windows (zstd's is capped at 8 MiB).
PEAK_BOUND = 8 * MAX_BODY_BYTES


def test_bombs_are_refused_with_bounded_memory_within_the_deadline() -> None:
    run = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tests.reliability._bomb_memory"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    calls = summary["calls"]
    expected = {e.replace(", ", "-in-") for e, build in BOMBS.items() if build() is not None}
    assert {token for _, token, *_ in calls} == expected
    assert len(calls) == (1 + len(TRANSPORTS)) * len(expected)  # every surface
    for surface, token, outcome, elapsed, peak in calls:
        where = f"{surface} {token}: {run.stdout}"
        assert outcome == "RuptResponseError", where
        assert elapsed < 2.0, where  # the timeout: refused by the size limit, not the deadline
        assert peak < PEAK_BOUND, where


# -- the same decoder on the network, for well-formed answers --------------------------------------


def _encoders() -> dict[str, Any]:
    encoders: dict[str, Any] = {"gzip": gzip.compress, "deflate": zlib.compress}
    if brotli is not None:
        encoders["br"] = brotli.compress
    if zstd is not None:
        encoders["zstd"] = zstd.compress
    return encoders


SURFACES = ["sync", *(f"async-{transport}" for transport in ASYNC_TRANSPORTS)]


@pytest.mark.parametrize("surface", SURFACES)
def test_compressed_answers_decode_on_every_surface(surface: str) -> None:
    """What `Accept-Encoding` offers is what comes back, decoded, over real sockets."""
    encoders = _encoders()

    def answer(conn: Connection, attempt: int, seen: Seen) -> None:
        coding = seen.path.rsplit("/", 1)[-1]
        body = json.dumps({"id": coding, "verdict": "allow", "pad": "x" * 5000}).encode()
        headers = {"Content-Type": "application/json", "Content-Encoding": coding}
        respond(conn, 200, "OK", encoders[coding](body), headers)

    with FaultServer(lifetime=60) as server:
        for coding in encoders:
            server.register(coding, answer)
        results = _get_each(surface, server.url, list(encoders))
        offered = {seen.headers["accept-encoding"] for c in encoders for seen in server.seen(c)}
    assert results == list(encoders)
    assert offered == {", ".join(encoders)}


def _get_each(surface: str, url: str, ids: list[str]) -> list[str]:
    if surface == "sync":
        with RuptAPI(SECRET, domain=url, retries=0) as client:
            return [client.get_evaluation(i).id for i in ids]
    options = {} if surface == "async-httpx" else {"transport": surface.removeprefix("async-")}

    async def main() -> list[str]:
        async with AsyncRuptAPI(SECRET, domain=url, retries=0, **options) as client:
            return [(await client.get_evaluation(i)).id for i in ids]

    return asyncio.run(main())
