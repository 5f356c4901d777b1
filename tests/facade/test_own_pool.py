"""The SDK's own sync pool sends straight to httpx's transport; injected clients keep `send`.

`RuptAPI` without an `http_client` skips what `httpx.Client.send` does around the transport (auth
and redirect flows, event hooks, cookie extraction): the SDK needs none of it. What users see
stays: the environment's proxies (tests/facade/test_proxies.py), the pool's limits, and, for a
client they inject, its own hooks and auth.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from rupt_api import AsyncRuptAPI, RuptAPI
from rupt_api._transport import DEFAULT_LIMITS, OwnClient
from rupt_api.testing import Fault

from .conftest import SECRET


def test_the_own_pool_keeps_httpx_transport_and_limits(base_url: str, fake: Any) -> None:
    evaluation = fake.add_evaluation(verdict="allow")
    with RuptAPI(SECRET, domain=base_url) as client:
        http = client._pool.client
        assert type(http) is OwnClient
        assert client.get_evaluation(evaluation["id"]).verdict == "allow"
        pool = http._transport._pool  # httpcore's, built by httpx from the SDK's limits
        assert (pool._max_connections, pool._max_keepalive_connections) == (
            DEFAULT_LIMITS.max_connections,
            DEFAULT_LIMITS.max_keepalive_connections,
        )
        assert len(pool.connections) == 1  # the connection was pooled, and is reused
        assert client.get_evaluation(evaluation["id"]).verdict == "allow"
        assert len(pool.connections) == 1
    assert len(fake.requests) == 2


def test_the_own_pool_sends_no_cookie_back(base_url: str, fake: Any) -> None:
    """A bearer-token API client has no use for cookies (a load balancer's sticky one included)."""
    evaluation = fake.add_evaluation()
    fake.inject(Fault(headers={"Set-Cookie": "sticky=abc; Path=/"}))
    with RuptAPI(SECRET, domain=base_url) as client:
        client.get_evaluation(evaluation["id"])
        client.get_evaluation(evaluation["id"])
        assert not client._pool.client.cookies
    assert [request.headers.get("cookie") for request in fake.requests] == [None, None]


def test_an_injected_client_keeps_its_hooks_and_auth(fake: Any) -> None:
    seen: list[str] = []
    evaluation = fake.add_evaluation()

    def on_request(request: httpx.Request) -> None:
        seen.append(f"request {request.headers.get('x-app')}")

    def on_response(response: httpx.Response) -> None:
        seen.append(f"response {response.status_code}")

    def add_header(request: httpx.Request) -> httpx.Request:
        request.headers["X-App"] = "mine"
        return request

    http = httpx.Client(
        transport=fake.transport(),
        event_hooks={"request": [on_request], "response": [on_response]},
        auth=add_header,
    )
    with RuptAPI(SECRET, http_client=http) as client:
        client.get_evaluation(evaluation["id"])
    assert seen == ["request mine", "response 200"]
    assert fake.requests[-1].headers["x-app"] == "mine"


@pytest.mark.parametrize("surface", ["sync", "async"])
def test_an_injected_client_keeps_its_cookies(fake: Any, surface: str) -> None:
    """An injected client's `send` runs as it is: its jar keeps what the answers set (the SDK's
    requests are its own, built whole, so they carry none back, as before)."""
    evaluation = fake.add_evaluation()
    fake.inject(Fault(headers={"Set-Cookie": "sticky=abc; Path=/"}))
    if surface == "sync":
        with (
            httpx.Client(transport=fake.transport()) as http,
            RuptAPI(SECRET, http_client=http) as client,
        ):
            client.get_evaluation(evaluation["id"])
            client.get_evaluation(evaluation["id"])
            jar = http.cookies
    else:

        async def main() -> httpx.Cookies:
            async with (
                httpx.AsyncClient(transport=fake.transport()) as http,
                AsyncRuptAPI(SECRET, http_client=http) as client,
            ):
                await client.get_evaluation(evaluation["id"])
                await client.get_evaluation(evaluation["id"])
                return http.cookies

        jar = asyncio.run(main())
    assert jar.get("sticky") == "abc"
    assert [request.headers.get("cookie") for request in fake.requests] == [None, None]
