"""The private names of dependencies the SDK relies on (rupt_api/_internals.py) still exist.

A failure here means an upgrade of httpx or httpcore renamed or dropped one: the SDK then
quietly loses what the name gave it (the sync deadline falls back to per-phase timeouts), so
the message says which name, in which installed version, and what it was for.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import importlib.metadata
from pathlib import Path

import httpx
import pytest

from rupt_api import _internals
from rupt_api._internals import PRIVATE_NAMES, PrivateName

PACKAGE = Path(__file__).resolve().parents[2] / "rupt_api"


def _instance(owner: str) -> object:
    if owner == "httpx.HTTPTransport":
        return httpx.HTTPTransport()
    if owner == "httpx.Client":
        return httpx.Client()
    if owner == "httpcore.ConnectionPool":
        return httpx.HTTPTransport()._pool
    if owner == "httpx.AsyncClient":
        return httpx.AsyncClient()
    if owner == "httpx.Client":
        return httpx.Client()
    if owner == "httpx.URL":
        return httpx.URL("https://api.rupt.dev/v3")
    if owner == "httpx.AsyncHTTPTransport":
        return httpx.AsyncHTTPTransport()
    if owner == "httpcore.AsyncConnectionPool":
        return httpx.AsyncHTTPTransport()._pool
    if owner in ("httpcore._backends.anyio.AnyIOStream", "anyio._backends._asyncio.SocketStream"):
        return asyncio.run(_plain_tcp_stream(owner))
    if owner == "anyio.streams.tls.TLSStream":
        return _tls_stream()
    if owner == "aiohttp.ClientSession":
        import aiohttp

        async def closed_session() -> aiohttp.ClientSession:
            session = aiohttp.ClientSession()
            await session.close()
            return session

        return asyncio.run(closed_session())
    raise AssertionError(f"no way to build a {owner} for the check: add one here")


def _tls_stream() -> object:
    """The anyio TLS stream under httpcore's, over a loopback TLS connection."""
    import socket
    import threading

    import httpcore

    from tests.reliability._tls import HOST, client_context, server_context

    with socket.create_server((HOST, 0)) as listener:

        def handshake() -> None:
            raw, _ = listener.accept()
            with server_context().wrap_socket(raw, server_side=True):
                pass

        server = threading.Thread(target=handshake)
        server.start()

        async def connect() -> object:
            stream = await httpcore.AnyIOBackend().connect_tcp(HOST, listener.getsockname()[1])
            stream = await stream.start_tls(client_context(), server_hostname=HOST)
            await stream.aclose()
            return stream._stream  # type: ignore[attr-defined]

        try:
            return asyncio.run(connect())
        finally:
            server.join(10)


async def _plain_tcp_stream(owner: str) -> object:
    """httpcore's anyio stream (or the anyio stream under it) over a loopback connection."""
    import socket

    import httpcore

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        stream = await httpcore.AnyIOBackend().connect_tcp("127.0.0.1", port)
        await stream.aclose()
    return stream if owner.startswith("httpcore") else stream._stream  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", PRIVATE_NAMES, ids=lambda n: f"{n.owner}.{n.attribute}")
def test_each_private_name_still_exists(name: PrivateName) -> None:
    module_name, _, class_name = name.owner.rpartition(".")
    owner = getattr(importlib.import_module(module_name), class_name)
    instance = _instance(name.owner)
    assert isinstance(instance, owner), f"{name.owner}: the check built a {type(instance)}"
    version = importlib.metadata.version(name.package)
    assert hasattr(instance, name.attribute), (
        f"{name.owner}.{name.attribute} is gone in {name.package} {version}. The SDK used it for"
        f" {name.why}. Find the new way in {name.package}'s changelog and update"
        " rupt_api/_internals.py (or pin the older version)."
    )


def test_the_deadline_backend_is_installed_through_them() -> None:
    """The helpers reach the real backends, so both surfaces' deadlines are really per socket."""
    from rupt_api._deadline_backend import AsyncDeadlineBackend, SyncDeadlineBackend
    from rupt_api._transport import new_async_client, new_sync_client

    client, watched = new_sync_client()
    try:
        assert watched
        assert _internals.client_transports(client)
        for transport in _internals.client_transports(client):
            assert isinstance(_internals.network_backend(transport), SyncDeadlineBackend)
    finally:
        client.close()
    async_client, watched = new_async_client()
    assert watched
    assert _internals.client_transports(async_client)
    for transport in _internals.client_transports(async_client):
        assert isinstance(_internals.network_backend(transport), AsyncDeadlineBackend)


def test_no_private_name_of_a_dependency_is_used_elsewhere() -> None:
    """Every `x._name` read on a dependency's object goes through rupt_api/_internals.py."""
    listed = {name.attribute for name in PRIVATE_NAMES}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_generated" in path.parts or path.name == "_internals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in listed:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
            # `self._pool` and the like are the SDK's own attributes, not a dependency's.
            own = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            if (
                isinstance(node, ast.Attribute)
                and node.attr in listed
                and not (
                    own and node.value.id in ("self", "clone")  # type: ignore[attr-defined]
                )
            ):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offenders, f"use rupt_api/_internals.py's helpers instead: {offenders}"


@pytest.mark.parametrize(
    "base",
    [
        "https://api.rupt.dev",
        "http://127.0.0.1:8007",
        "https://rupt.example/prefix",
        "https://müller.example:8443/a%20b",
    ],
)
@pytest.mark.parametrize(
    "identifier",
    ["649873be6e8b6f9b33722a0c", "a/b", "100%", "with space", "ü-ñ-日本", "?x=1#f", "a..b", "~._-"],
)
def test_url_with_path_is_what_httpx_would_parse(base: str, identifier: str) -> None:
    """The shortcut each call's URL takes gives exactly the URL httpx builds from the string."""
    from rupt_api._operations import GET_EVALUATION, UPDATE_USER

    for operation, args in ((GET_EVALUATION, (identifier,)), (UPDATE_USER, (identifier,))):
        kwargs = {"email": "a@b.c"} if operation is UPDATE_USER else {}
        path = operation.request(*args, **kwargs)[1]
        fast = _internals.url_with_path(httpx.URL(base), path)
        slow = httpx.URL(base + path)
        assert fast == slow
        assert (fast.raw_path, fast.host, fast.port, fast.scheme) == (
            slow.raw_path,
            slow.host,
            slow.port,
            slow.scheme,
        )
        assert str(fast) == str(slow)


def test_url_with_path_parses_what_it_cannot_take_as_it_is() -> None:
    base = httpx.URL("https://api.rupt.dev/v3")
    assert str(_internals.url_with_path(base, "/a b")) == str(
        httpx.URL("https://api.rupt.dev/v3/a b")
    )
    with_query = httpx.URL("https://api.rupt.dev/?x=1")
    assert _internals.url_with_path(with_query, "/v3") == httpx.URL("https://api.rupt.dev/?x=1/v3")
