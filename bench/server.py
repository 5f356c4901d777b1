"""A fast HTTP/1.1 server for loopback benchmarks, run in its own process.

Raw asyncio with keep-alive: every GET or POST gets the evaluation JSON with a Content-Length,
optionally after a delay (`--delay 0.1` makes a slow server for timeout tests). It does far less
work per request than any client, so client-side differences show.

    python -m bench.server --delay 0   # prints "port NNNNN", then serves until killed

`running_server()` starts it as a subprocess for the other modules, which stops when its parent
does, even a killed one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .payload import EVALUATION_JSON

ROOT = Path(__file__).resolve().parent.parent
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(EVALUATION_JSON)).encode()
    + b"\r\n\r\n"
    + EVALUATION_JSON
)
_CONTENT_LENGTH = b"\r\ncontent-length:"


class EvaluationProtocol(asyncio.Protocol):
    """One connection: parse request heads (and skip bodies), answer each with `RESPONSE`."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            total = end + 4 + _body_length(bytes(self.buffer[:end]))
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            if self.delay > 0:
                asyncio.get_running_loop().call_later(self.delay, self.respond)
            else:
                self.respond()

    def respond(self) -> None:
        """Send the answer, unless the client has hung up meanwhile."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(RESPONSE)


def _body_length(head: bytes) -> int:
    start = head.lower().find(_CONTENT_LENGTH)
    if start < 0:
        return 0
    start += len(_CONTENT_LENGTH)
    end = head.find(b"\r\n", start)
    return int(head[start : end if end >= 0 else len(head)])


async def serve(delay: float, until_stdin_closes: bool = False) -> None:
    """Listen on a free loopback port, print it, and serve forever (or until stdin closes)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: EvaluationProtocol(delay), "127.0.0.1", 0, backlog=2048
    )
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    if not until_stdin_closes:
        await server.serve_forever()
    # The parent's end of the pipe closes when it exits, however it ends (a killed benchmark
    # never runs its cleanup): the server then stops instead of outliving it.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


@contextlib.contextmanager
def running_server(delay: float = 0.0) -> Iterator[int]:
    """Start the server in a subprocess for the duration of the block; yield its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.server", "--delay", str(delay), "--until-stdin-closes"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError(f"the benchmark server did not start (it printed {line!r})")
        yield int(line.split()[1])
    finally:
        process.terminate()
        process.wait(timeout=10)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def main() -> None:
    """Command line: `python -m bench.server [--delay SECONDS]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument(
        "--until-stdin-closes", action="store_true", help="stop when stdin closes (its parent's)"
    )
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.delay, arguments.until_stdin_closes))


if __name__ == "__main__":
    main()
