"""The HTTP clients underneath the SDK, and the socket-level deadline for sync calls.

A sync call runs in the caller's thread (handing every call to a worker thread would cost more
than a whole request). httpx's timeouts apply per read or write, so a server trickling its answer
could hold a call far past its deadline. When the SDK owns the connection pool it therefore wraps
httpcore's network backend: every connect, read and write is bounded by whatever is left of the
calling thread's deadline. An injected `http_client` keeps its own transport; the deadline is then
checked between body chunks and per phase (see the README).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

# Shared by every client in the process; one slot per thread.
_deadlines = threading.local()

DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=30
)


def set_thread_deadline(deadline: float | None) -> None:
    """Bound this thread's socket operations by `deadline` (a `time.monotonic()` value)."""
    _deadlines.value = deadline


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_deadlines, "value", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the call's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
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
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def new_sync_client() -> httpx.Client:
    """The pool a `RuptAPI` creates for itself when no `http_client` is given."""
    transport = httpx.HTTPTransport(limits=DEFAULT_LIMITS)
    # httpx exposes no way to pass a network backend; the pool it builds has the attribute, and
    # httpx is pinned below 0.29 in pyproject.toml. Fall back to per-phase timeouts otherwise.
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return httpx.Client(transport=transport, follow_redirects=False)


def new_async_client() -> httpx.AsyncClient:
    """The pool an `AsyncRuptAPI` creates for itself (per event loop) when none is given."""
    return httpx.AsyncClient(limits=DEFAULT_LIMITS, follow_redirects=False)


class SyncPool:
    """The httpx client one `RuptAPI` and all its `with_options` copies share.

    After `os.fork()` the child must not touch the parent's sockets: an owned client is replaced
    by a fresh one in the child, and the inherited one is kept referenced, never closed (closing
    a TLS connection would write to a socket the parent still uses).
    """

    def __init__(self, http_client: httpx.Client | None) -> None:
        self.owned = http_client is None
        self.client = new_sync_client() if http_client is None else http_client
        self.closed = False
        self._inherited: list[httpx.Client] = []
        if self.owned:
            _owned_pools.add(self)

    def after_fork_in_child(self) -> None:
        self._inherited.append(self.client)
        self.client = new_sync_client()

    def close(self) -> None:
        self.closed = True
        if self.owned:
            self.client.close()


_owned_pools: weakref.WeakSet[SyncPool] = weakref.WeakSet()


def _reset_pools_in_child() -> None:
    for pool in list(_owned_pools):
        if not pool.closed:
            pool.after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pools_in_child)
