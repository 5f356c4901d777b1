"""What the async deadline backend believes of a connection is what the socket did.

A kept-alive connection the server has since closed is never used for the next request. (The
bytes counted as written, which a cut-off request's continuation trusts, are the bytes sent: see
test_tls.py, on plain TCP and over TLS.)

The server below answers each request with `Connection: keep-alive` and then closes the socket
anyway (as a proxy or a load balancer timing out an idle connection does). The pool must see
the hang-up before it places the next request (httpcore asks the network stream whether an idle
socket is readable; the SDK's deadline backend answers that itself on the async side), or that
request fails on a dead socket. With `retries=0` such a failure would reach the caller.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI
from rupt_api._deadline_backend import _is_readable
from tests.payloads import EVALUATION

from ._fault_server import Connection, FaultServer, Seen, respond

SECRET = "sk_test_stale"
BODY = json.dumps(EVALUATION).encode()
CALLS = 4


def _answer_then_hang_up(conn: Connection, attempt: int, seen: Seen) -> None:
    headers = {"Connection": "keep-alive", "Content-Type": "application/json"}
    respond(conn, 200, "OK", BODY, headers)  # the server closes the socket right after


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as serving:
        serving.register(EVALUATION["id"], _answer_then_hang_up)
        yield serving


def test_sync_calls_never_reuse_a_connection_the_server_closed(server: FaultServer) -> None:
    with RuptAPI(SECRET, domain=server.url, retries=0) as client:
        for _ in range(CALLS):
            assert client.get_evaluation(EVALUATION["id"]).id == EVALUATION["id"]
            time.sleep(0.05)  # the hang-up reaches the client's socket
    assert len(server.seen(EVALUATION["id"])) == CALLS
    assert server.connections == CALLS


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_async_calls_never_reuse_a_connection_the_server_closed(
    server: FaultServer, transport: str
) -> None:
    async def calls() -> None:
        async with AsyncRuptAPI(
            SECRET, domain=server.url, retries=0, transport=transport
        ) as client:
            for _ in range(CALLS):
                assert (await client.get_evaluation(EVALUATION["id"])).id == EVALUATION["id"]
                await asyncio.sleep(0.05)

    asyncio.run(calls())
    assert len(server.seen(EVALUATION["id"])) == CALLS
    assert server.connections == CALLS


def test_a_socket_is_readable_once_data_or_a_hang_up_is_waiting() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert not _is_readable(ours)  # idle: nothing to read, the peer is there
        theirs.sendall(b"x")
        assert _is_readable(ours)
        assert ours.recv(1) == b"x"
        assert not _is_readable(ours)
        theirs.close()
        assert _is_readable(ours)  # the b"" of a hang-up
    assert _is_readable(ours)  # closed: its fileno is -1
    assert _is_readable(None)
