"""Deadlines over TLS: a request cut off is finished on its connection, and sent exactly once.

On plain TCP the deadline backend hands a request's bytes to the asyncio transport itself, so what
it counts as sent is what left. Over TLS it does the same with the encrypted records: through
anyio's send, a cancellation pending on the task could stop the records after the TLS session had
taken the bytes, and the request was lost (counted as sent, never received, and the connection
unusable), so its continuation waited until the backstop for an answer that could not come.
Both are checked here, side by side. And a certificate TLS refuses is said plainly, not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI, RuptNetworkError, RuptTimeoutError

from ._slow_server import slow_server
from ._tls import HOST, client_context, server_context

SECRET = "sk_tls_test_secret_5b0e"
DELAY = 0.8  # the server answers this late
TIMEOUT = 0.3  # every call's deadline passes before its answer comes
# Continuations end with their answers well before the 60 s backstop a lost request waits for.
SETTLED_WITHIN = 20.0


def _serve_once(listener: socket.socket, received: list[bytes], tls: bool) -> None:
    raw, _ = listener.accept()
    with server_context().wrap_socket(raw, server_side=True) if tls else raw as sock:
        sock.settimeout(5)
        data = b""
        try:
            while chunk := sock.recv(4096):
                data += chunk
        except (ssl.SSLError, OSError):
            pass  # the client's close without a TLS goodbye
        received.append(data)


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_what_is_counted_as_written_is_what_was_sent_despite_a_pending_cancel(tls: bool) -> None:
    """A cut-off request's continuation trusts the count: it writes only the rest, then waits
    for the answer. Through anyio's send, a cancelled enclosing scope stopped the write before
    the bytes (or, over TLS, the encrypted record) reached the transport while they were already
    counted, and the continuation waited until its backstop for an answer to a request Rupt never
    got (1 call in ~300 under load)."""
    import anyio
    import httpcore

    from rupt_api._deadline_backend import AsyncDeadlineBackend
    from rupt_api._handoff import Exchange, current_exchange

    request = b"GET /v3/evaluations/e1 HTTP/1.1\r\nHost: x\r\n\r\n"
    received: list[bytes] = []
    with socket.create_server((HOST, 0)) as listener:
        server = threading.Thread(target=_serve_once, args=(listener, received, tls))
        server.start()

        async def write_while_cancelled() -> Exchange:
            backend = AsyncDeadlineBackend(httpcore.AnyIOBackend())
            stream = await backend.connect_tcp(HOST, listener.getsockname()[1])
            if tls:
                stream = await stream.start_tls(client_context(), server_hostname=HOST)
            exchange = Exchange(time.monotonic() + 5, hand_off=True)
            token = current_exchange.set(exchange)
            try:
                with anyio.CancelScope() as scope:
                    scope.cancel()  # a cancellation pending on the task as it writes
                    await stream.write(request)
                    await anyio.sleep(0)  # delivered here, after the write
            finally:
                current_exchange.reset(token)
            await stream.aclose()
            return exchange

        exchange = asyncio.run(write_while_cancelled())
        server.join(10)
    assert received == [request]
    assert b"".join(exchange.sent) == request


@pytest.fixture
def trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory for the server's certificates, whose authority the SDK's pools trust."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    return tmp_path


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_an_async_storm_over_tls_sends_each_request_once_and_every_continuation_ends(
    trusted: Path, transport: str
) -> None:
    calls = 100

    async def main(url: str) -> list[Any]:
        async with AsyncRuptAPI(SECRET, domain=url, timeout=TIMEOUT, transport=transport) as client:

            async def one() -> Any:
                try:
                    await client.get_evaluation("e1")
                except RuptTimeoutError as err:
                    return err.continuation
                raise AssertionError("the call did not time out")

            continuations = await asyncio.gather(*(one() for _ in range(calls)))
            results = await asyncio.wait_for(asyncio.gather(*continuations), SETTLED_WITHIN)
            fresh = await client.with_options(timeout=5).get_evaluation("fast")
            return [*results, fresh]

    with slow_server(DELAY, tls=trusted) as server:
        results = asyncio.run(main(server.url))
        assert [r.id for r in results] == ["e1"] * calls + ["fast"]
        assert server.count() == calls + 1  # every request sent once, over TLS


def test_a_sync_storm_over_tls_sends_each_request_once_and_every_continuation_ends(
    trusted: Path,
) -> None:
    threads = 32
    with slow_server(DELAY, tls=trusted) as server:
        with RuptAPI(SECRET, domain=server.url, timeout=TIMEOUT) as client:
            continuations: list[Any] = []
            start = threading.Barrier(threads)

            def caller() -> None:
                start.wait()
                try:
                    client.get_evaluation("e1")
                except RuptTimeoutError as err:
                    continuations.append(err.continuation)

            workers = [threading.Thread(target=caller) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert len(continuations) == threads
            ids = [future.result(timeout=SETTLED_WITHIN).id for future in continuations]
            assert ids == ["e1"] * threads
            assert client.with_options(timeout=5).get_evaluation("fast").id == "fast"
        assert server.count() == threads + 1  # every request sent once, over TLS


class _Handshakes:
    """A TLS server with a certificate the client does not trust: counts connections."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.05)
        self.address = f"{HOST}:{self.listener.getsockname()[1]}"
        self.connections = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            raw.settimeout(5)
            with contextlib.suppress(ssl.SSLError, OSError):
                server_context().wrap_socket(raw, server_side=True).close()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self.listener.close()


def _get_evaluation(surface: str, url: str) -> None:
    if surface == "sync":
        with RuptAPI(SECRET, domain=url, retries=3) as client:
            client.get_evaluation("e1")
        return

    async def call() -> None:
        transport = surface.removeprefix("async-")
        async with AsyncRuptAPI(SECRET, domain=url, retries=3, transport=transport) as client:
            await client.get_evaluation("e1")

    asyncio.run(call())


@pytest.mark.parametrize("surface", ["sync", "async-httpx", "async-aiohttp"])
def test_a_refused_certificate_is_said_plainly_and_not_retried(surface: str) -> None:
    """TLS refusing the server's certificate gives the same answer every time: asking again
    would only make the caller wait through the backoff."""
    server = _Handshakes()  # the SDK trusts the usual authorities, not the test's
    try:
        with pytest.raises(RuptNetworkError) as raised:
            _get_evaluation(surface, f"https://{server.address}")
    finally:
        server.close()
    message = str(raised.value)
    assert server.connections == 1  # no retry
    assert raised.value.attempts == 1
    assert raised.value.phase == "connecting"
    assert f"the TLS certificate of {server.address} was refused" in message
    assert "(not retried)" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message
