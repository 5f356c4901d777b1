"""`AsyncRuptAPI(transport="aiohttp")`: what is particular to sending with aiohttp.

The behaviours both transports share (retries, deadline, continuations, typed errors, redirects,
cancellation, new loops, storms) run on both in their own tests, parametrized over the transport;
here: the option itself, the missing extra, and what each aiohttp failure means.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp
import httpx
import multidict
import pytest
import yarl

from rupt_api import AsyncRuptAPI, RuptError, RuptNetworkError, _aiohttp
from rupt_api._call import Call, DeadlinePassed
from rupt_api._config import USER_AGENT, Options
from rupt_api._operations import CONSUME_EVALUATION

from .conftest import SECRET


def test_calls_are_sent_by_aiohttp(base_url: str, fake: Any, monkeypatch: Any) -> None:
    sent: list[str] = []
    original = aiohttp.ClientSession._request

    async def counting(self: aiohttp.ClientSession, method: str, url: Any, **kw: Any) -> Any:
        sent.append(f"{method} {url}")
        return await original(self, method, url, **kw)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", counting)
    evaluation = fake.add_evaluation(verdict="allow")

    async def main() -> Any:
        async with AsyncRuptAPI(SECRET, domain=base_url, transport="aiohttp") as client:
            return await client.consume_evaluation(evaluation["id"])

    assert asyncio.run(main()).consumed is True
    assert sent == [f"POST {base_url}/v3/evaluations/{evaluation['id']}/consume"]
    (request,) = fake.requests  # authorized, or the stand-in would have answered 401
    assert request.headers["user-agent"] == USER_AGENT  # the SDK's, not aiohttp's


def test_the_default_transport_is_httpx(base_url: str) -> None:
    client = AsyncRuptAPI(SECRET, domain=base_url)
    assert type(client._pool.client) is httpx.AsyncClient


def test_a_missing_extra_is_named(monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)  # what `import` sees when absent
    monkeypatch.setattr(_aiohttp, "_client_class", None)
    with pytest.raises(ImportError, match=r"pip install 'rupt-api\[aiohttp\]'") as caught:
        AsyncRuptAPI(SECRET, transport="aiohttp")
    assert isinstance(caught.value.__cause__, ImportError)


def test_an_unknown_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="transport must be 'httpx' or 'aiohttp', not 'requests'"):
        AsyncRuptAPI(SECRET, transport="requests")  # type: ignore[arg-type]


def test_transport_and_http_client_are_exclusive() -> None:
    with pytest.raises(ValueError, match="not both"):
        AsyncRuptAPI(SECRET, transport="aiohttp", http_client=httpx.AsyncClient())


def test_one_session_per_event_loop(base_url: str, fake: Any) -> None:
    evaluation = fake.add_evaluation(verdict="allow")
    client = AsyncRuptAPI(SECRET, domain=base_url, transport="aiohttp")
    sessions = []

    async def call() -> None:
        assert (await client.get_evaluation(evaluation["id"])).verdict == "allow"
        sessions.append(client._pool.client._transport.client)
        await client.aclose()  # each loop closes what it opened, as an app's shutdown does
        client._pool.closed = False  # and the next loop starts over with the same client

    for _ in range(2):
        asyncio.run(call())
    assert len({id(session) for session in sessions}) == 2
    assert all(isinstance(session, aiohttp.ClientSession) for session in sessions)
    assert all(session.closed for session in sessions)


# -- what each aiohttp failure means --------------------------------------------------------------


def _failure(error: Exception, *, through_httpx_aiohttp: bool) -> tuple[Exception, bool]:
    """What the shared error mapping makes of `error`, and whether the request may have left."""
    options = Options.create(SECRET, domain=None, timeout=10, retries=0, max_retry_delay=0)
    call = Call(options, CONSUME_EVALUATION, CONSUME_EVALUATION.request("ev_1"))
    call.next_request()
    if through_httpx_aiohttp:
        # httpx-aiohttp's own mapping: every connection error becomes a ConnectTimeout.
        wrapped = httpx.ConnectTimeout(str(error))
        wrapped.__cause__ = error
        error = wrapped
    return call.failure(error, time.perf_counter()), call.unknown_fate


def _connection_key() -> Any:
    return aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None)


def _request_info() -> aiohttp.RequestInfo:
    url = yarl.URL("http://127.0.0.1:1/v3/evaluations/ev_1/consume")
    return aiohttp.RequestInfo(
        url, "POST", multidict.CIMultiDictProxy(multidict.CIMultiDict()), url
    )


AIOHTTP_FAILURES = [
    pytest.param(
        aiohttp.ClientConnectorError(_connection_key(), ConnectionRefusedError(111, "refused")),
        RuptNetworkError,
        False,
        id="refused",
    ),
    pytest.param(aiohttp.ConnectionTimeoutError("connect"), DeadlinePassed, False, id="connect"),
    pytest.param(aiohttp.SocketTimeoutError("read"), DeadlinePassed, True, id="read-timeout"),
    pytest.param(aiohttp.ServerDisconnectedError(), RuptNetworkError, True, id="hung-up"),
    pytest.param(aiohttp.ClientPayloadError("short"), RuptNetworkError, True, id="short-body"),
    pytest.param(
        aiohttp.ClientResponseError(_request_info(), (), status=400, message="Invalid status"),
        RuptNetworkError,
        True,
        id="malformed",
    ),
    pytest.param(aiohttp.ClientOSError(104, "reset"), RuptNetworkError, True, id="reset"),
]


@pytest.mark.parametrize("through_httpx_aiohttp", [False, True], ids=["raw", "mapped"])
@pytest.mark.parametrize(("error", "expected", "may_have_left"), AIOHTTP_FAILURES)
def test_each_aiohttp_failure_means_what_it_says(
    error: Exception, expected: type[Exception], may_have_left: bool, through_httpx_aiohttp: bool
) -> None:
    translated, unknown_fate = _failure(error, through_httpx_aiohttp=through_httpx_aiohttp)
    assert type(translated) is expected
    # A request that may have reached Rupt is never taken for one that did not (a retried
    # consume would then claim a certain replay), nor the other way round.
    assert unknown_fate is may_have_left
    if isinstance(translated, RuptError):
        assert "aiohttp" not in type(translated).__module__
        assert SECRET not in str(translated)
        chain: BaseException | None = translated
        while chain is not None and chain is not error:
            chain = chain.__cause__
        assert chain is error  # the original stays in the chain, for debugging
