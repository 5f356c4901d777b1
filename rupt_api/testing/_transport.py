"""The in-process httpx transport: requests go straight to the fake, with no socket."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ._state import Exchange, FakeRupt
    from ._wire import Answer

_DISCONNECTED = "Server disconnected without sending a response."


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport, for both `httpx.Client` and `httpx.AsyncClient`, backed by a `FakeRupt`.

    Get one from `FakeRupt.transport()`. The URL's scheme and host are ignored; only the path
    matters. Faults behave as over HTTP: a delay sleeps (`time.sleep` in a sync client,
    `asyncio.sleep` in an async one, so cancelling the task stops the wait), a delay longer than
    the request's read timeout raises `httpx.ReadTimeout` after that timeout, and `drop` raises
    `httpx.RemoteProtocolError`.
    """

    def __init__(self, fake: FakeRupt) -> None:
        """Answer requests from `fake`."""
        self._fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a request of a sync client."""
        exchange = self._receive(request, request.read())
        wait, timed_out = _wait(request, exchange)
        if wait:
            time.sleep(wait)
        return _finish(request, exchange, timed_out)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a request of an async client."""
        exchange = self._receive(request, await request.aread())
        wait, timed_out = _wait(request, exchange)
        if wait:
            await asyncio.sleep(wait)
        return _finish(request, exchange, timed_out)

    def _receive(self, request: httpx.Request, body: bytes) -> Exchange:
        target = request.url.raw_path.decode("ascii")
        return self._fake._receive(request.method, target, request.headers.multi_items(), body)


def _wait(request: httpx.Request, exchange: Exchange) -> tuple[float, bool]:
    """How long to sleep, and whether the read timeout runs out first."""
    timeout = request.extensions.get("timeout", {}).get("read")
    if timeout is not None and exchange.delay > timeout:
        return timeout, True
    return exchange.delay, False


def _finish(request: httpx.Request, exchange: Exchange, timed_out: bool) -> httpx.Response:
    if timed_out:
        if not exchange.drop:
            exchange.answer()  # a server handles the request even when the client gave up
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    if exchange.drop:
        raise httpx.RemoteProtocolError(_DISCONNECTED, request=request)
    answer: Answer = exchange.answer()
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )
