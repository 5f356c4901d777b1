"""Network failures name the host and the phase; a host that does not exist is not retried.

DNS is faked at `socket.getaddrinfo` (both surfaces' connections go through it), so the real
connection code runs against the loopback stand-in, which counts what reaches it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rupt_api import AsyncRuptAPI, RuptAPI, RuptNetworkError
from rupt_api.testing import FakeRupt, Fault

from .conftest import SECRET, Recorder, Surface, json_response

EVALUATION = {"id": "e1", "action": "login"}
HOST = "rupt-stand-in.test"  # resolved by the fake resolver below, never by a real one


class Resolver:
    """Answers for HOST: scripted failures first, then 127.0.0.1. Counts every lookup."""

    def __init__(self, *failures: int) -> None:
        self.failures = list(failures)
        self.lookups = 0
        self._lock = threading.Lock()

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):  # anyio passes the IDNA-encoded name
            host = host.decode("ascii")
        if host != HOST:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        with self._lock:
            self.lookups += 1
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise socket.gaierror(failure, "scripted resolver failure")
        return REAL_GETADDRINFO("127.0.0.1", port, *args, **kwargs)


REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def stand_in() -> Iterator[tuple[FakeRupt, int]]:
    fake = FakeRupt(secret=SECRET)
    with fake.serve() as base_url:
        yield fake, httpx.URL(base_url).port


def client_for(surface: Surface, port: int, **options: Any) -> Any:
    cls = AsyncRuptAPI if surface.is_async else RuptAPI
    options.setdefault("max_retry_delay", 0.0)
    return surface.keep(cls(SECRET, domain=f"http://{HOST}:{port}", **options))


NO_DATA = getattr(socket, "EAI_NODATA", socket.EAI_NONAME)


@pytest.mark.parametrize("code", [socket.EAI_NONAME, NO_DATA])
def test_a_host_that_does_not_exist_is_named_and_not_retried(
    surface: Surface, stand_in: tuple[FakeRupt, int], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    fake, port = stand_in
    resolver = Resolver(code, code, code, code)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(RuptNetworkError) as info:
        surface.call(client_for(surface, port, retries=3), "get_evaluation", "e1")
    message = str(info.value)
    assert f"the host {HOST}:{port} does not exist" in message
    assert "check the domain" in message
    assert (info.value.host, info.value.phase) == (f"{HOST}:{port}", "resolving")
    assert info.value.attempts == 1
    assert resolver.lookups == 1  # asked once, never again
    assert fake.requests == []


def test_a_resolver_that_timed_out_is_retried(
    surface: Surface, stand_in: tuple[FakeRupt, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, port = stand_in
    evaluation = fake.add_evaluation()
    resolver = Resolver(socket.EAI_AGAIN, socket.EAI_AGAIN)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    result = surface.call(client_for(surface, port, retries=3), "get_evaluation", evaluation["id"])
    assert result.id == evaluation["id"]
    assert resolver.lookups == 3
    assert len(fake.requests) == 1  # the third attempt reached Rupt, once


def test_a_resolver_that_keeps_timing_out_says_resolving(
    surface: Surface, stand_in: tuple[FakeRupt, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, port = stand_in
    resolver = Resolver(*[socket.EAI_AGAIN] * 10)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(RuptNetworkError) as info:
        surface.call(client_for(surface, port, retries=2), "get_evaluation", "e1")
    assert f"could not resolve {HOST}:{port}" in str(info.value)
    assert info.value.phase == "resolving"
    assert info.value.attempts == resolver.lookups == 3
    assert fake.requests == []


def test_a_refused_connection_says_connecting_to_the_host(surface: Surface) -> None:
    # Bound but never listening, for the whole test: the kernel refuses, and no one else can take
    # the port meanwhile.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        cls = AsyncRuptAPI if surface.is_async else RuptAPI
        client = surface.keep(
            cls(SECRET, domain=f"http://127.0.0.1:{port}", retries=1, max_retry_delay=0)
        )
        with pytest.raises(RuptNetworkError) as info:
            surface.call(client, "get_evaluation", "e1")
    assert f"could not connect to 127.0.0.1:{port}" in str(info.value)
    assert (info.value.phase, info.value.attempts) == ("connecting", 2)


def test_a_dropped_answer_says_reading(
    surface: Surface, stand_in: tuple[FakeRupt, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, port = stand_in
    monkeypatch.setattr(socket, "getaddrinfo", Resolver())
    fake.inject(Fault(drop=True, times=2))
    with pytest.raises(RuptNetworkError) as info:
        surface.call(client_for(surface, port, retries=1), "get_evaluation", "e1")
    assert f"the connection to {HOST}:{port} broke while reading the answer" in str(info.value)
    assert info.value.phase == "reading"
    assert len(fake.requests) == info.value.attempts == 2


@pytest.mark.parametrize(
    ("error", "phase", "words"),
    [
        (httpx.WriteError("broken pipe"), "writing", "broke while sending the request"),
        (httpx.ReadError("reset by peer"), "reading", "broke while reading the answer"),
        (httpx.ConnectError("refused"), "connecting", "could not connect to api.rupt.dev"),
        (OSError("odd"), None, "the request to api.rupt.dev failed"),
    ],
)
def test_each_phase_is_named(
    surface: Surface,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    phase: str | None,
    words: str,
) -> None:
    monkeypatch.delenv("RUPT_DOMAIN", raising=False)
    rec = Recorder(error, json_response(200, EVALUATION))
    assert surface.call(surface.client(rec), "get_evaluation", "e1").id == "e1"  # retried
    rec = Recorder(error)
    with pytest.raises(RuptNetworkError) as info:
        surface.call(surface.client(rec, retries=0), "get_evaluation", "e1")
    assert words in str(info.value)
    assert (info.value.phase, info.value.host) == (phase, "api.rupt.dev")
    assert info.value.__cause__ is error


def test_no_such_host_deep_in_the_cause_chain_is_not_retried(surface: Surface) -> None:
    """However the transport wraps it (here: an ExceptionGroup under the httpx error)."""
    error = httpx.ConnectError("lookup failed")
    group = ExceptionGroup(
        "connect", [socket.gaierror(socket.EAI_NONAME, "Name or service not known")]
    )
    error.__cause__ = group
    rec = Recorder(error)
    with pytest.raises(RuptNetworkError, match="does not exist"):
        surface.call(surface.client(rec, retries=3), "get_evaluation", "e1")
    assert len(rec.requests) == 1


def test_the_aiohttp_transport_does_not_retry_a_missing_host_either(
    stand_in: tuple[FakeRupt, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("httpx_aiohttp")
    fake, port = stand_in
    resolver = Resolver(socket.EAI_NONAME, socket.EAI_NONAME)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    async def call() -> RuptNetworkError:
        domain = f"http://{HOST}:{port}"
        async with AsyncRuptAPI(SECRET, domain=domain, transport="aiohttp") as rupt:
            with pytest.raises(RuptNetworkError) as info:
                await rupt.with_options(max_retry_delay=0).get_evaluation("e1")
        return info.value

    error = asyncio.run(call())
    assert (error.phase, error.attempts, resolver.lookups) == ("resolving", 1, 1)
    assert f"the host {HOST}:{port} does not exist" in str(error)
    assert fake.requests == []
