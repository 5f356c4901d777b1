"""Handing a cut-off request to its continuation: the part both surfaces share, without I/O.

With the SDK's own pool, every socket operation of an attempt goes through the deadline backend
(`_deadline_backend.py`), which records the attempt's traffic in an `Exchange`. When the
deadline passes in the middle of that traffic, the backend does not close the connection: it
detaches the raw network stream from httpcore (whose pool then simply drops the connection) and
raises `HandOff` through httpcore and httpx. The caller is told at once; the continuation takes
the stream and finishes that same request, never a second one: `ResponseReader` says which
request bytes are still to write, and parses the answer from the bytes already read plus those
that follow, with a fresh h11 connection (h11 is what httpcore speaks HTTP/1.1 with).
"""

from __future__ import annotations

import contextvars
from typing import Any

import httpx

# The exchange the deadline backend should watch, for the attempt running in this context.
current_exchange: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar(
    "rupt_api_exchange", default=None
)

_READ_SIZE = 64 * 1024


class Exchange:
    """One attempt's traffic, as the deadline backend sees it.

    `deadline` bounds every connect, read and write (a `time.monotonic()` value). While
    `hand_off` is true (the caller is still waiting), passing it hands the connection over
    instead of failing; once the caller has its timeout, it is the backstop and fails.
    """

    __slots__ = ("deadline", "hand_off", "received", "sent", "stream")

    def __init__(self, deadline: float, *, hand_off: bool) -> None:
        self.deadline = deadline
        self.hand_off = hand_off
        self.sent: list[bytes] = []  # the request bytes the socket (or transport) accepted
        self.received: list[bytes] = []  # every byte read for this request
        self.stream: Any = None  # the raw network stream, once handed off

    @property
    def written(self) -> int:
        """How many request bytes were sent: the continuation writes only the rest."""
        return sum(map(len, self.sent))


class HandOff(Exception):
    """The deadline passed mid-exchange; `exchange.stream` now belongs to the continuation."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__("the call's deadline passed; the request continues in the background")
        self.exchange = exchange


class ResponseReader:
    """Finishes a handed-off request: the bytes still to write, then the answer, sans I/O.

    A client-role h11 connection is taken through the request (which yields the exact bytes
    httpcore writes for it), then fed what was already read and whatever follows until the
    answer ends. The answer comes back as a streamed `httpx.Response` of the raw body, read
    (and decoded, bounded) like any other; past `max_body` raw bytes, reading stops early and
    that size check refuses it.
    """

    def __init__(self, request: httpx.Request, exchange: Exchange, max_body: int) -> None:
        import h11  # noqa: PLC0415 - loaded with httpcore, which a handed-off stream implies

        self._request = request
        self._max_body = max_body
        self._h11 = h11.Connection(h11.CLIENT)
        head = h11.Request(
            method=request.method, target=request.url.raw_path, headers=request.headers.raw
        )
        parts = [self._h11.send(head)]
        if request.content:
            parts.append(self._h11.send(h11.Data(data=request.content)))
        parts.append(self._h11.send(h11.EndOfMessage()))
        whole = b"".join(part for part in parts if part)
        written = b"".join(exchange.sent)
        if not whole.startswith(written):
            # Never write anything after bytes we cannot account for.
            raise httpx.RemoteProtocolError("the request was cut off in an unknown state")
        self.unwritten = whole[len(written) :]
        received = b"".join(exchange.received)
        if received:  # (to h11, b"" means the server closed the connection)
            self._h11.receive_data(received)
        self._head: h11.Response | None = None
        self._body: list[bytes] = []
        self._size = 0
        self.read_size = _READ_SIZE

    def feed(self, data: bytes) -> None:
        """Bytes read from the connection; b"" when the server closed it."""
        self._h11.receive_data(data)

    def response(self) -> httpx.Response | None:
        """The whole answer once it has arrived, else None (read more and `feed` it)."""
        import h11  # noqa: PLC0415

        try:
            while True:
                event = self._h11.next_event()
                if event is h11.NEED_DATA:
                    return None
                if isinstance(event, h11.Response):
                    self._head = event
                elif isinstance(event, h11.Data):
                    self._body.append(bytes(event.data))
                    self._size += len(event.data)
                    if self._size > self._max_body:
                        return self._response()  # refused by the size check, unread further
                elif isinstance(event, h11.EndOfMessage):
                    return self._response()
                elif isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError("Rupt closed the connection without answering")
                # h11.InformationalResponse (a 1xx): the real answer follows.
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc

    def _response(self) -> httpx.Response:
        assert self._head is not None
        return httpx.Response(
            self._head.status_code,
            headers=self._head.headers.raw_items(),
            stream=httpx.ByteStream(b"".join(self._body)),
            request=self._request,
        )
