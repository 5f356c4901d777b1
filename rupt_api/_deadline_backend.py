"""httpcore's network backend, wrapped so that each socket operation ends by the call's deadline.

Installed by `_transport.new_sync_client` / `new_async_client` in the pools the SDK creates
itself; loaded with the first such pool, as httpx loads httpcore itself. The two surfaces' twins
sit side by side: `SyncDeadlineBackend` / `AsyncDeadlineBackend`, `_SyncStream` / `_AsyncStream`,
`finish_sync` / `finish_async`.

Outside a call (no `Exchange` in the context) every operation passes straight through. Inside
one, each connect, read and write is bounded by what is left of the exchange's deadline. When the
deadline passes once the request has started, the stream is handed off (see `_handoff.py`): it
stops obeying httpcore's `close()`, and `HandOff` carries it to the continuation, which finishes
the request with `finish_sync` / `finish_async`. No task is ever cancelled on this path.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

import httpcore
import httpx

from ._call import MAX_BODY_BYTES
from ._handoff import Exchange, HandOff, ResponseReader, current_exchange
from ._internals import TLSParts, asyncio_transport, tls_parts

# Handed-off connections open at once, process-wide; past this, a cut-off request is closed
# instead (its continuation reports that it may have reached Rupt), so a storm of timeouts
# cannot hold an unbounded number of sockets.
MAX_HANDED_OFF = 512
_handed_off = 0
_handed_off_lock = threading.Lock()
_WRITE_FLOOR = 0.001


def _remaining(exchange: Exchange, timeout: float | None) -> tuple[float, bool]:
    """The timeout for one operation, and whether it is the deadline's (not httpcore's)."""
    remaining = exchange.deadline - time.monotonic()
    if timeout is None or remaining <= timeout:
        return remaining, True
    return timeout, False


def _take_slot() -> bool:
    global _handed_off  # noqa: PLW0603
    with _handed_off_lock:
        if _handed_off >= MAX_HANDED_OFF:
            return False
        _handed_off += 1
        return True


def release_slot() -> None:
    """Called once a continuation is done with a handed-off stream."""
    global _handed_off  # noqa: PLW0603
    with _handed_off_lock:
        _handed_off -= 1


# -- sync ----------------------------------------------------------------------------------------


_Stream = TypeVar("_Stream", httpcore.NetworkStream, httpcore.AsyncNetworkStream)


class _Detachable(Generic[_Stream]):
    """What both stream wrappers share: handing their stream to a continuation at the deadline."""

    _stream: _Stream
    _detached = False

    def _hand_off(self, exchange: Exchange, error: type[Exception]) -> Exception:
        if not exchange.hand_off or not _take_slot():
            return error("the call's deadline passed")
        self._detached = True
        exchange.stream = self._stream
        return HandOff(exchange)


class _SyncStream(_Detachable[httpcore.NetworkStream], httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        exchange = current_exchange.get()
        if exchange is None:
            return self._stream.read(max_bytes, timeout)
        bound, ours = _remaining(exchange, timeout)
        if bound > 0:
            try:
                data = self._stream.read(max_bytes, bound)
            except httpcore.ReadTimeout:
                if not ours:
                    raise
            else:
                exchange.received.append(data)
                return data
        raise self._hand_off(exchange, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        exchange = current_exchange.get()
        if exchange is None or not buffer:
            return self._stream.write(buffer, timeout)
        sock = self._stream.get_extra_info("socket")
        if sock is None:  # TLS inside a TLS proxy: no socket to count what was sent
            self._stream.write(buffer, _remaining(exchange, timeout)[0])
            exchange.sent.append(buffer)
            return None
        # httpcore's own send loop, counting what the socket accepted, so that a write the
        # deadline cuts short is finished by the continuation and never written twice.
        view = memoryview(buffer)
        while view:
            bound, ours = _remaining(exchange, timeout)
            if bound <= 0:
                break
            try:
                sock.settimeout(bound)
                sent = sock.send(view)
            except TimeoutError:
                if ours:
                    break
                raise httpcore.WriteTimeout("timed out") from None
            except OSError as exc:
                raise httpcore.WriteError(str(exc)) from exc
            exchange.sent.append(bytes(view[:sent]))
            view = view[sent:]
        else:
            return None
        raise self._hand_off(exchange, httpcore.WriteTimeout)

    def close(self) -> None:
        if not self._detached:  # a handed-off stream is the continuation's to close
            self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        exchange = current_exchange.get()
        if exchange is not None:
            timeout = _bounded_connect(exchange, timeout)
        return _SyncStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _bounded_connect(exchange: Exchange, timeout: float | None) -> float:
    bound = _remaining(exchange, timeout)[0]
    if bound <= 0:
        raise httpcore.ConnectTimeout("the call's deadline passed")
    return bound


class SyncDeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        exchange = current_exchange.get()
        if exchange is None:
            stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
            return _SyncStream(stream)
        # getaddrinfo cannot be interrupted: resolve on a helper thread, waiting no longer than
        # the deadline, then connect to each address in turn within what is left.
        addresses = _resolve(host, port, exchange, timeout)
        for index, address in enumerate(addresses):
            bound = _bounded_connect(exchange, timeout)
            try:
                stream = self._backend.connect_tcp(
                    address, port, bound, local_address, socket_options
                )
            except httpcore.ConnectError:
                if index == len(addresses) - 1:
                    raise
            else:
                return _SyncStream(stream)
        raise httpcore.ConnectError(f"no address for {host}")  # pragma: no cover

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        exchange = current_exchange.get()
        if exchange is not None:
            timeout = _bounded_connect(exchange, timeout)
        return _SyncStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _Lookup:
    """One getaddrinfo running on a helper thread; calls for the same host share it."""

    def __init__(self, host: str, port: int) -> None:
        self.done = threading.Event()
        self.addresses: list[str] = []
        self.error: OSError | None = None
        self._key = (host, port)
        threading.Thread(target=self._run, name="rupt-api-resolve", daemon=True).start()

    def _run(self) -> None:
        host, port = self._key
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = [str(info[4][0]) for info in infos]
            self.addresses = list(dict.fromkeys(addresses))
        except OSError as exc:
            self.error = exc
        finally:
            with _lookups_lock:
                _lookups.pop(self._key, None)
            self.done.set()


_lookups: dict[tuple[str, int], _Lookup] = {}
_lookups_lock = threading.Lock()


def _resolve(host: str, port: int, exchange: Exchange, timeout: float | None) -> list[str]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [host]
    with _lookups_lock:
        lookup = _lookups.get((host, port))
        if lookup is None:
            lookup = _lookups[(host, port)] = _Lookup(host, port)
    bound = _bounded_connect(exchange, timeout)
    if not lookup.done.wait(bound):
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than the deadline")
    if lookup.error is not None:
        # Raised inside an except block, so that the resolver's error stays the context too:
        # httpcore's pool re-raises `from None`, which drops only the cause.
        try:
            raise lookup.error
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
    if not lookup.addresses:
        raise httpcore.ConnectError(f"no address for {host}")
    return lookup.addresses


def finish_sync(exchange: Exchange, request: httpx.Request) -> httpx.Response:
    """Finish a handed-off request on its own stream, by the exchange's (backstop) deadline."""
    stream: httpcore.NetworkStream = exchange.stream
    try:
        with _httpx_errors():
            reader = ResponseReader(request, exchange, MAX_BODY_BYTES)
            if reader.unwritten:
                stream.write(reader.unwritten, _bounded_read(exchange, httpcore.WriteTimeout))
            while (response := reader.response()) is None:
                bound = _bounded_read(exchange, httpcore.ReadTimeout)
                reader.feed(stream.read(reader.read_size, bound))
        return response
    finally:
        stream.close()
        release_slot()


# What httpx would have raised for httpcore's errors (the continuation runs outside httpx).
_AS_HTTPX: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
}


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except tuple(_AS_HTTPX) as exc:
        raise _AS_HTTPX[type(exc)](str(exc)) from exc


def _bounded_read(exchange: Exchange, error: type[Exception]) -> float:
    bound = exchange.deadline - time.monotonic()
    if bound <= 0:
        raise error("the continuation's backstop deadline passed")
    return bound


# -- async ---------------------------------------------------------------------------------------


class _AsyncStream(_Detachable[httpcore.AsyncNetworkStream], httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        # Both fixed for the connection's life: found once, not on every write or pool scan.
        self._transport = asyncio_transport(stream)
        self._tls = tls_parts(stream)
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        exchange = current_exchange.get()
        if exchange is None:
            return await self._stream.read(max_bytes, timeout)
        bound, ours = _remaining(exchange, timeout)
        if bound > 0:
            try:
                data = await self._stream.read(max_bytes, bound)
            except httpcore.ReadTimeout:
                if not ours:
                    raise
            else:
                exchange.received.append(data)
                return data
        raise self._hand_off(exchange, httpcore.ReadTimeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        exchange = current_exchange.get()
        if exchange is None or not buffer:
            return await self._stream.write(buffer, timeout)
        bound, ours = _remaining(exchange, timeout)
        if bound > 0:
            # Straight over TCP, in TLS or not, the bytes go to the asyncio transport right
            # here, with no await before, so a request cut off later is known to have been
            # sent whole. (Through anyio's send, a cancellation pending on the task could stop
            # it before it handed them over, and the continuation then waited for an answer to
            # a request Rupt never got; in TLS the record was lost besides, so nothing sent
            # after it could be read.) The transport sends what the socket does not take at
            # once as it drains; the answer is read meanwhile, as the read's deadline allows.
            if self._transport is not None:
                _check_open(self._transport)
                self._transport.write(buffer)
                exchange.sent.append(buffer)
                return None
            if self._tls is not None:
                buffer = _write_tls(self._tls, exchange, buffer)
                if not buffer:
                    return None
            # TLS inside a TLS proxy, or a TLS session that must read before it writes more:
            # anyio hands the whole buffer to the transport, then waits while it drains; a
            # write the deadline cuts short counts as written (never written twice). It gives
            # up before handing it over if its timeout has already expired when it starts,
            # which the floor rules out (a write that must wait for the transport to drain can
            # thus end up to a millisecond late), or if a cancellation was pending on the task.
            exchange.sent.append(buffer)
            try:
                return await self._stream.write(buffer, max(bound, _WRITE_FLOOR))
            except httpcore.WriteTimeout:
                if not ours:
                    raise
        raise self._hand_off(exchange, httpcore.WriteTimeout)

    async def aclose(self) -> None:
        if not self._detached:  # a handed-off stream is the continuation's to close
            await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        exchange = current_exchange.get()
        if exchange is not None:
            timeout = _bounded_connect(exchange, timeout)
        stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _AsyncStream(stream)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of every idle connection for every request it places; anyio
            # answers by building a dict of its socket's attributes each time.
            return _is_readable(self._socket)
        return self._stream.get_extra_info(info)


def _check_open(transport: Any) -> None:
    if transport.is_closing():
        raise httpcore.WriteError("the connection was closed")


def _write_tls(tls: TLSParts, exchange: Exchange, buffer: bytes) -> bytes:
    """Encrypt `buffer` and hand the records to the transport; what is left unwritten (none,
    or the rest if the TLS session must read from the server first: rare)."""
    ssl_object, outgoing, transport = tls
    _check_open(transport)
    view = memoryview(buffer)
    try:
        while view:
            written = ssl_object.write(view)
            exchange.sent.append(bytes(view[:written]))
            view = view[written:]
    except ssl.SSLWantReadError:
        pass  # anyio's send reads what the session waits for, then writes the rest
    except ssl.SSLError as exc:
        raise httpcore.WriteError(str(exc)) from exc
    finally:
        # The records of what was counted reach the transport before anything else.
        if outgoing.pending:
            transport.write(outgoing.read())
    return bytes(view)


def _is_readable(sock: socket.socket | None) -> bool:
    """Whether reading `sock` would return at once: data, or the b"" of a peer that hung up."""
    if sock is None or sock.fileno() < 0:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])  # Windows


class AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        exchange = current_exchange.get()
        if exchange is not None:
            # The event loop resolves names on its executor: the timeout bounds that too.
            timeout = _bounded_connect(exchange, timeout)
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        exchange = current_exchange.get()
        if exchange is not None:
            timeout = _bounded_connect(exchange, timeout)
        stream = await self._backend.connect_unix_socket(path, timeout, socket_options)
        return _AsyncStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


async def finish_async(exchange: Exchange, request: httpx.Request) -> httpx.Response:
    """Finish a handed-off request on its own stream, by the exchange's (backstop) deadline."""
    stream: httpcore.AsyncNetworkStream = exchange.stream
    try:
        with _httpx_errors():
            reader = ResponseReader(request, exchange, MAX_BODY_BYTES)
            if reader.unwritten:
                await stream.write(reader.unwritten, _bounded_read(exchange, httpcore.WriteTimeout))
            while (response := reader.response()) is None:
                bound = _bounded_read(exchange, httpcore.ReadTimeout)
                reader.feed(await stream.read(reader.read_size, bound))
        return response
    finally:
        await stream.aclose()
        release_slot()
