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
import ssl
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from ._environment import check as check_environment
from ._internals import client_transports, network_backend, set_network_backend, transport_for_url

# Shared by every client in the process; one slot per thread.
_deadlines = threading.local()

DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=30
)


def set_thread_deadline(deadline: float | None) -> None:
    """Bound this thread's socket operations by `deadline` (a `time.monotonic()` value)."""
    _deadlines.value = deadline


def thread_deadline() -> float | None:
    """The deadline `set_thread_deadline` set for this thread, if any."""
    deadline: float | None = getattr(_deadlines, "value", None)
    return deadline


def new_sync_client(trust_env: bool = True) -> httpx.Client:
    """The pool a `RuptAPI` creates for itself when no `http_client` is given.

    httpx builds the transports itself, so the environment's proxies are honoured as by any
    httpx.Client (a transport passed in would turn them off); each one then gets the deadline
    backend, the proxies' included.
    """
    from ._deadline_backend import DeadlineBackend  # noqa: PLC0415 - httpcore loads with a pool

    client = _new_client(OwnClient, trust_env)
    # httpx exposes no way to pass a network backend (private names: see _internals.py).
    # Fall back to per-phase timeouts when they are not there.
    for transport in client_transports(client):
        backend = network_backend(transport)
        if backend is not None:
            set_network_backend(transport, DeadlineBackend(backend))
    return client


def new_async_client(trust_env: bool = True, verify: Any = True) -> httpx.AsyncClient:
    """The pool an `AsyncRuptAPI` creates for itself (per event loop) when none is given."""
    return _new_client(httpx.AsyncClient, trust_env, verify)


class OwnClient(httpx.Client):
    """The SDK's own sync pool: an httpx.Client whose `send` goes straight to the transport.

    The SDK builds each request whole (URL, headers, timeouts), sets no auth, cookies or event
    hooks and follows no redirect, so what `httpx.Client.send` does around the transport (the
    auth and redirect flows, hooks, and extracting cookies from every answer, about a fifth of a
    call's CPU) is skipped. The transport is still the one httpx picks for the URL: proxies from
    the environment, limits and TLS settings apply as they would. Injected clients are used
    through their own `send`, their hooks and auth untouched.
    """

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = None,
        follow_redirects: Any = None,
    ) -> httpx.Response:
        transport: httpx.BaseTransport = transport_for_url(self, request.url)
        response = transport.handle_request(request)
        response.request = request
        if not stream:
            try:
                response.read()
            finally:
                response.close()
        return response


HttpxClient = TypeVar("HttpxClient", httpx.Client, httpx.AsyncClient)


def _new_client(cls: type[HttpxClient], trust_env: bool, verify: Any = True) -> HttpxClient:
    if trust_env:
        check_environment()
    return cls(limits=DEFAULT_LIMITS, follow_redirects=False, trust_env=trust_env, verify=verify)


def tls_context(trust_env: bool = True) -> ssl.SSLContext:
    """The TLS context httpx would build (the environment's CA bundle included), to share."""
    if trust_env:
        check_environment()
    return httpx.create_ssl_context(trust_env=trust_env)


def async_client_factory(
    transport: object, http_client: httpx.AsyncClient | None, trust_env: bool = True
) -> Callable[[], httpx.AsyncClient]:
    """What makes an `AsyncRuptAPI`'s own pool (per event loop) for its `transport` option."""
    if transport == "httpx":
        # One TLS context for every loop's client: loading the CA bundle takes milliseconds.
        verify = tls_context(trust_env)
        return lambda: new_async_client(trust_env, verify)
    if transport != "aiohttp":
        raise ValueError(f"transport must be 'httpx' or 'aiohttp', not {transport!r}")
    if http_client is not None:
        raise ValueError(
            "pass either transport='aiohttp' or an http_client, not both (to send with aiohttp"
            " through your own client, give it an httpx_aiohttp.AiohttpTransport)"
        )
    from ._aiohttp import new_aiohttp_client, require  # noqa: PLC0415 - an optional extra

    require()  # at once, so a missing extra is found where the client is created
    if trust_env:
        check_environment()
    return lambda: new_aiohttp_client(DEFAULT_LIMITS, trust_env)


class SyncPool:
    """The httpx client one `RuptAPI` and all its `with_options` copies share.

    After `os.fork()` the child must not touch the parent's sockets: an owned client is replaced
    by a fresh one in the child, and the inherited one is kept referenced, never closed (closing
    a TLS connection would write to a socket the parent still uses).
    """

    def __init__(self, http_client: httpx.Client | None, trust_env: bool = True) -> None:
        self.owned = http_client is None
        self.trust_env = trust_env
        self.client = new_sync_client(trust_env) if http_client is None else http_client
        self.closed = False
        self._inherited: list[httpx.Client] = []
        if self.owned:
            _owned_pools.add(self)

    def after_fork_in_child(self) -> None:
        self._inherited.append(self.client)
        self.client = new_sync_client(self.trust_env)

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
