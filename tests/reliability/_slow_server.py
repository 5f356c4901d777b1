"""A slow Rupt for timeout storms: its own process, counting every request it receives.

Raw asyncio, HTTP/1.1 keep-alive, a deep listen backlog: it takes hundreds of connections at
once and never competes with the client under test for the GIL (an in-process threaded server
would, and its five-deep backlog drops connections). Every request is answered with the
evaluation its path names after `--delay` seconds, except those for the evaluation `fast`
(answered at once),
and `GET /count`, answered at once with how many others it has received so far.

    python -m tests.reliability._slow_server --delay 1.5   # prints "port NNNNN", serves
    with slow_server(1.5) as server: ... server.url, server.count()
    with slow_server(1.5, tls=tmp_path) as server: ...   # https, certificates from _tls.py

It exits when its stdin closes (so it never outlives the test that started it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_FIELDS = {"verdict": "allow", "consumed": False, "createdAt": "2021-09-01T00:00:00.000Z"}


def _evaluation(head: bytes) -> bytes:
    """The evaluation the request's path asks for (`/v3/evaluations/<id>...`)."""
    target = head.split(b" ", 2)[1].decode("latin-1")
    evaluation_id = target.split("/")[3] if target.startswith("/v3/evaluations/") else "e1"
    return json.dumps({"id": evaluation_id, **_FIELDS}).encode()


def _answer(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


class _Protocol(asyncio.Protocol):
    received = 0

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
            raw_head = bytes(self.buffer[:end])
            head = raw_head.lower()
            length = 0
            for line in head.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if len(self.buffer) < end + 4 + length:
                return
            del self.buffer[: end + 4 + length]
            if head.startswith(b"get /count "):
                self._send(_answer(str(_Protocol.received).encode()))
                continue
            _Protocol.received += 1
            answer = _answer(_evaluation(raw_head))
            if b" /v3/evaluations/fast " in head:
                self._send(answer)
            else:
                asyncio.get_running_loop().call_later(self.delay, self._send, answer)

    def _send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


async def _serve(delay: float, certificate: str | None, key: str | None) -> None:
    loop = asyncio.get_running_loop()
    context = None
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
    server = await loop.create_server(
        lambda: _Protocol(delay), "127.0.0.1", 0, backlog=4096, reuse_address=True, ssl=context
    )
    print("port", server.sockets[0].getsockname()[1], flush=True)
    # Serve until the parent closes our stdin.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


class SlowServer:
    def __init__(self, port: int, authority: Path | None = None) -> None:
        self.port = port
        self.url = f"{'http' if authority is None else 'https'}://127.0.0.1:{port}"
        self._context = None if authority is None else ssl.create_default_context(cafile=authority)

    def count(self) -> int:
        """How many requests (other than these counts) the server has received."""
        connection = (
            http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            if self._context is None
            else http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=5, context=self._context
            )
        )
        try:
            connection.request("GET", "/count")
            return int(connection.getresponse().read())
        finally:
            connection.close()


@contextlib.contextmanager
def slow_server(delay: float, tls: Path | None = None) -> Iterator[SlowServer]:
    """The server in its own process; over TLS with `tls`, a directory for its certificates."""
    command = [sys.executable, "-m", "tests.reliability._slow_server", "--delay", str(delay)]
    authority = None
    if tls is not None:
        from ._tls import write_pem_files

        authority, chain, key = write_pem_files(tls)
        command += ["--certificate", str(chain), "--key", str(key)]
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        yield SlowServer(int(process.stdout.readline().split()[1]), authority)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=1.5)
    parser.add_argument("--certificate", help="serve TLS with this certificate chain (PEM)")
    parser.add_argument("--key", help="the certificate's private key (PEM)")
    arguments = parser.parse_args()
    asyncio.run(_serve(arguments.delay, arguments.certificate, arguments.key))
