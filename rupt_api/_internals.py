"""Every private name of a dependency the SDK uses, in one place.

A dependency may rename or drop a private name in any release. Each one used is listed in
`PRIVATE_NAMES` with why, reached only through the helpers below, and pinned by
tests/spec/test_internals.py, which fails naming the attribute and the installed version when an
upgrade changes it. The SDK itself degrades instead of crashing when one is missing (each
helper says how). Add a new use here, never inline.
"""

from __future__ import annotations

import re
import ssl
from typing import Any

import attrs
import httpx


@attrs.frozen
class PrivateName:
    """One private attribute of a dependency: where it lives, and what the SDK does with it."""

    package: str  # the distribution whose version changes it
    owner: str  # the class holding it, as "module.Class"
    attribute: str
    why: str


PRIVATE_NAMES = (
    PrivateName(
        "httpx",
        "httpx.HTTPTransport",
        "_pool",
        "the httpcore connection pool behind the sync transport: the deadline backend is"
        " installed on it (httpx has no public way to pass a network backend)",
    ),
    PrivateName(
        "httpx",
        "httpx.Client",
        "_transport",
        "the transport an httpx.Client built for itself (honouring the environment), whose pool"
        " gets the deadline backend",
    ),
    PrivateName(
        "httpx",
        "httpx.Client",
        "_mounts",
        "the proxy transports an httpx.Client built from HTTP(S)_PROXY/ALL_PROXY/NO_PROXY, whose"
        " pools get the deadline backend too",
    ),
    PrivateName(
        "httpcore",
        "httpcore.ConnectionPool",
        "_network_backend",
        "the pool's network backend, wrapped so every socket operation is bounded by the"
        " call's deadline and a cut-off request is handed to its continuation"
        " (rupt_api/_deadline_backend.py)",
    ),
    PrivateName(
        "httpx",
        "httpx.AsyncClient",
        "_transport",
        "the transport an httpx.AsyncClient built for itself, whose pool gets the async"
        " deadline backend",
    ),
    PrivateName(
        "httpx",
        "httpx.AsyncClient",
        "_mounts",
        "the proxy transports an httpx.AsyncClient built from the environment, whose pools get"
        " the async deadline backend too",
    ),
    PrivateName(
        "httpx",
        "httpx.AsyncHTTPTransport",
        "_pool",
        "the httpcore connection pool behind the async transport: the async deadline backend"
        " is installed on it",
    ),
    PrivateName(
        "httpcore",
        "httpcore.AsyncConnectionPool",
        "_network_backend",
        "the async pool's network backend, wrapped as the sync one (no task is ever cancelled"
        " at the deadline: rupt_api/_deadline_backend.py)",
    ),
    PrivateName(
        "httpx",
        "httpx.URL",
        "_uri_reference",
        "a URL's parsed parts: each call's URL is the client's parsed base URL with the call's"
        " path (already percent-encoded) put in, instead of parsing the whole string again,"
        " about a third of the cost of building a request (rupt_api/_call.py)",
    ),
    PrivateName(
        "httpx",
        "httpx.Client",
        "_transport_for_url",
        "the transport (or the environment's proxy) httpx would send a URL through: the SDK's"
        " own sync pool sends there directly, skipping the cookie, auth and hook work of"
        " `send` it never needs (rupt_api/_transport.py)",
    ),
    PrivateName(
        "httpx",
        "httpx.AsyncClient",
        "_transport_for_url",
        "the transport (or the environment's proxy) httpx would send a URL through: the SDK's"
        " own aiohttp pool sends there directly, skipping the cookie, auth and hook work of"
        " `send` it never needs (rupt_api/_aiohttp.py)",
    ),
    PrivateName(
        "aiohttp",
        "aiohttp.ClientSession",
        "_retry_connection",
        "turned off on the aiohttp transport's sessions: aiohttp would otherwise send a GET a"
        " second time, unseen, when a kept-alive connection breaks, and Rupt would receive more"
        " requests than the SDK's retry policy allows (rupt_api/_aiohttp.py)",
    ),
    PrivateName(
        "httpcore",
        "httpcore._backends.anyio.AnyIOStream",
        "_stream",
        "the anyio stream under httpcore's, to reach its asyncio transport (see below)",
    ),
    PrivateName(
        "anyio",
        "anyio.streams.tls.TLSStream",
        "_ssl_object",
        "the TLS session of a connection straight over TCP: the deadline backend encrypts a"
        " request itself and hands the records to the asyncio transport in one step, as it does"
        " the bytes of a plain connection (see below)",
    ),
    PrivateName(
        "anyio",
        "anyio.streams.tls.TLSStream",
        "_write_bio",
        "the TLS session's outgoing buffer, where the records of what it encrypted wait",
    ),
    PrivateName(
        "anyio",
        "anyio._backends._asyncio.SocketStream",
        "_transport",
        "the asyncio transport of a plain TCP connection: the deadline backend hands a request's"
        " bytes to it itself, so what was sent before a deadline is known exactly (anyio's send"
        " can be cancelled before it hands them over)",
    ),
)


def asyncio_transport(stream: Any) -> Any:
    """The asyncio transport under an httpcore anyio stream over plain TCP, or None (TLS,
    another backend, or the names are gone: the SDK then writes through anyio as before)."""
    transport = getattr(getattr(stream, "_stream", None), "_transport", None)
    if not (hasattr(transport, "write") and hasattr(transport, "is_closing")):
        return None
    return transport


# A TLS connection straight over TCP: its TLS session, outgoing buffer and asyncio transport.
TLSParts = tuple[ssl.SSLObject, ssl.MemoryBIO, Any]


def tls_parts(stream: Any) -> TLSParts | None:
    """What the deadline backend writes a TLS connection's request with (see `TLSParts`), or
    None (plain TCP, TLS inside a proxy's TLS, another backend, or the names are gone: the SDK
    then writes through anyio as before)."""
    tls = getattr(stream, "_stream", None)
    ssl_object = getattr(tls, "_ssl_object", None)
    outgoing = getattr(tls, "_write_bio", None)
    transport = getattr(getattr(tls, "transport_stream", None), "_transport", None)
    if not (
        isinstance(ssl_object, ssl.SSLObject)
        and isinstance(outgoing, ssl.MemoryBIO)
        and hasattr(transport, "write")
        and hasattr(transport, "is_closing")
    ):
        return None
    return ssl_object, outgoing, transport


def network_backend(transport: Any) -> Any:
    """The network backend of an httpx transport's pool (sync or async), or None if none."""
    return getattr(getattr(transport, "_pool", None), "_network_backend", None)


# What httpx leaves as it is in a path: `Operation.request` percent-encodes everything else.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~%/]*")


def is_plain_path(path: str) -> bool:
    """True if httpx would take `path` (appended to a base URL) as it is."""
    return _PLAIN_PATH.fullmatch(path) is not None


def url_with_path(base: httpx.URL, path: str) -> httpx.URL:
    """`httpx.URL(str(base) + path)` for a plain `path`, without parsing the whole URL again.

    `base` is an absolute URL without query or fragment; `path` starts with "/" and holds only
    unreserved characters, "%" escapes and "/" (anything else takes httpx's full parse).
    """
    parts = getattr(base, "_uri_reference", None)
    if (
        parts is None
        or not hasattr(parts, "_replace")
        or parts.query is not None
        or parts.fragment is not None
        or not is_plain_path(path)
    ):
        return httpx.URL(str(base) + path)
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = parts._replace(path=parts.path + path)
    return url


def transport_for_url(client: Any, url: Any) -> Any:
    """The transport an httpx client sends `url` through (its mounts and proxies applied)."""
    return client._transport_for_url(url)


def send_each_request_once(session: Any) -> None:
    """Stop an aiohttp session re-sending a request by itself (only the SDK retries)."""
    session._retry_connection = False


def set_network_backend(transport: Any, backend: Any) -> None:
    """Replace the backend that `network_backend(transport)` returned (when not None)."""
    transport._pool._network_backend = backend


def client_transports(client: Any) -> list[Any]:
    """The transports an httpx client (sync or async) built for itself: its default one and its
    proxies'.

    Empty if the names are gone: the SDK then keeps per-phase timeouts (see `network_backend`).
    """
    transports = [getattr(client, "_transport", None)]
    transports += list(getattr(client, "_mounts", {}).values())
    return [transport for transport in transports if transport is not None]
