"""The edges users meet: the `domain` option, answers about another resource, closed clients."""

from __future__ import annotations

import asyncio
import json

import pytest

from rupt_api import (
    AsyncRuptAPI,
    RuptAPI,
    RuptClientClosedError,
    RuptError,
    RuptNetworkError,
    RuptResponseError,
    RuptTimeoutError,
)
from tests.payloads import CHALLENGE, DOC_ID, EVALUATION
from tests.reliability._fault_server import Connection, FaultServer, Seen, respond

from .conftest import ASYNC_TRANSPORTS, SECRET, Recorder, Surface, json_response

CLIENTS = [RuptAPI, AsyncRuptAPI]

# -- domain ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "base_url"),
    [
        ("api.rupt.dev", "https://api.rupt.dev"),
        ("  api.rupt.dev/ ", "https://api.rupt.dev"),
        ("localhost:8007", "https://localhost:8007"),
        ("http://127.0.0.1:8007", "http://127.0.0.1:8007"),
        ("HTTPS://eu.rupt.dev/", "https://eu.rupt.dev"),
        ("https://gateway.example/rupt/", "https://gateway.example/rupt"),
        ("http://[::1]:8007", "http://[::1]:8007"),
        ("[::1]:8007", "https://[::1]:8007"),
        ("bücher.example", "https://bücher.example"),
        ("xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
@pytest.mark.parametrize("cls", CLIENTS)
def test_valid_domains_become_base_urls(cls: type, domain: str, base_url: str) -> None:
    assert cls(SECRET, domain=domain).base_url == base_url


@pytest.mark.parametrize(
    ("domain", "says"),
    [
        ("http://127.0.0.1:abc", "invalid port 'abc'"),
        ("http://127.0.0.1:0", "invalid port '0'"),
        ("http://127.0.0.1:65536", "invalid port '65536'"),
        ("http://127.0.0.1:", "invalid port ''"),
        ("localhost:+80", "invalid port"),
        ("http://[::1", "unbalanced IPv6 brackets"),
        ("http://::1]:80", "unbalanced IPv6 brackets"),
        ("http://[::1]x", "after the IPv6 address"),
        ("http://[nope]:80", "not an IPv6 address"),
        ("::1", "IPv6 address in brackets"),
        ("☃.invalid", "IDNA"),
        ("http://a<b", "not a host name"),
        ("http://:80", "no host name"),
        ("https://api.rupt.dev/?region=eu", "query (?) or fragment (#)"),
        ("https://api.rupt.dev#eu", "query (?) or fragment (#)"),
        ("api.rupt.dev/v3", "has a path"),
        ("ftp://api.rupt.dev", "http:// or https://"),
        ("api.rupt .dev", "spaces"),
        ("api.rupt\x00.dev", "control characters"),
        ("\n", "must not be empty"),
    ],
)
@pytest.mark.parametrize("cls", CLIENTS)
def test_invalid_domains_are_refused_saying_what_is_wrong(
    cls: type, domain: str, says: str
) -> None:
    with pytest.raises(ValueError, match="domain") as info:
        cls(SECRET, domain=domain)
    assert says in str(info.value)


@pytest.mark.parametrize("cls", CLIENTS)
def test_credentials_in_the_domain_are_refused_without_echoing_them(cls: type) -> None:
    with pytest.raises(ValueError, match="credentials") as info:
        cls(SECRET, domain="https://admin:hunter2@api.rupt.dev")
    assert "hunter2" not in str(info.value)


# -- identity --------------------------------------------------------------------------------------

OTHER_ID = "5f0000000000000000000000"


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("get_evaluation", EVALUATION),
        ("consume_evaluation", EVALUATION),
        ("get_challenge", CHALLENGE),
        ("verify_challenge", EVALUATION),
    ],
)
def test_an_answer_about_another_resource_is_refused(
    surface: Surface, method: str, payload: dict[str, object]
) -> None:
    rec = Recorder(json_response(200, {**payload, "id": OTHER_ID}))
    client = surface.client(rec)
    kwargs = {"action": "login", "user_id": "u1"} if method == "verify_challenge" else {}
    with pytest.raises(RuptResponseError, match="not '649873be6e8b6f9b33722a0c' as asked") as info:
        surface.call(client, method, DOC_ID, **kwargs)
    assert OTHER_ID in str(info.value)
    assert info.value.status == 200
    assert info.value.body == rec.responses[0].content  # nothing lost
    assert len(rec.requests) == 1  # not retried: the answer is wrong, not missing
    # The same answer about the resource asked for is accepted.
    rec.responses = [json_response(200, {**payload, "id": DOC_ID})]
    if method != "verify_challenge":
        assert surface.call(client, method, DOC_ID).id == DOC_ID


# -- closed clients --------------------------------------------------------------------------------


def test_a_closed_client_raises_its_own_error(surface: Surface) -> None:
    rec = Recorder(json_response(200, EVALUATION))
    client = surface.client(rec)
    surface.run(client.aclose()) if surface.is_async else client.close()
    with pytest.raises(RuptClientClosedError, match="client was closed") as info:
        surface.call(client, "get_evaluation", DOC_ID)
    error = info.value
    # Told apart from Rupt being unreachable, yet still a RuptError (and a RuntimeError, as
    # httpx's own closed-client error is).
    assert not isinstance(error, RuptNetworkError | RuptTimeoutError)
    assert isinstance(error, RuptError)
    assert isinstance(error, RuntimeError)
    assert error.attempts == 0
    assert rec.requests == []


# -- the same over real sockets, on every surface and async transport ------------------------------


@pytest.mark.parametrize("surface", ["sync", *(f"async-{t}" for t in ASYNC_TRANSPORTS)])
def test_every_surface_refuses_another_resource_then_a_closed_client(surface: str) -> None:
    def another(conn: Connection, attempt: int, seen: Seen) -> None:
        body = json.dumps({**EVALUATION, "id": OTHER_ID}).encode()
        respond(conn, 200, "OK", body, {"Content-Type": "application/json"})

    with FaultServer(lifetime=60) as server:
        server.register(DOC_ID, another)
        errors = _two_calls(surface, server.url)
        assert len(server.seen(DOC_ID)) == 1  # the closed client sent nothing
    refused, closed = errors
    assert isinstance(refused, RuptResponseError)
    assert "as asked" in str(refused)
    assert isinstance(closed, RuptClientClosedError)


def _two_calls(surface: str, url: str) -> list[Exception]:
    """get_evaluation, close, get_evaluation again: the two errors."""
    errors: list[Exception] = []
    if surface == "sync":
        client = RuptAPI(SECRET, domain=url, retries=0)
        for _ in range(2):
            try:
                client.get_evaluation(DOC_ID)
            except Exception as exc:
                errors.append(exc)
            client.close()
        return errors
    options = {} if surface == "async-httpx" else {"transport": surface.removeprefix("async-")}

    async def main() -> None:
        aclient = AsyncRuptAPI(SECRET, domain=url, retries=0, **options)
        for _ in range(2):
            try:
                await aclient.get_evaluation(DOC_ID)
            except Exception as exc:
                errors.append(exc)
            await aclient.aclose()

    asyncio.run(main())
    return errors
