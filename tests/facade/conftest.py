"""Fixtures that run each facade test on both surfaces, against an in-memory transport."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from rupt_api import AsyncRuptAPI, RuptAPI

SECRET = "sk_test_0123456789abcdef_SECRET"


Handler = Callable[[httpx.Request], httpx.Response]


class Surface:
    """Calls a client method the same way on RuptAPI and AsyncRuptAPI.

    Async calls of one test share one event loop, as in an app; clients made through the
    surface are closed when the test ends.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_async = name == "async"
        self.loop = asyncio.new_event_loop() if self.is_async else None
        self._clients: list[Any] = []

    def client(self, handler: Handler, **options: Any) -> Any:
        options.setdefault("max_retry_delay", 0.0)
        transport = httpx.MockTransport(handler)
        if self.is_async:
            client: Any = AsyncRuptAPI(
                SECRET, http_client=httpx.AsyncClient(transport=transport), **options
            )
        else:
            client = RuptAPI(SECRET, http_client=httpx.Client(transport=transport), **options)
        return self.keep(client)

    def keep(self, client: Any) -> Any:
        self._clients.append(client)
        return client

    def run(self, awaitable: Any) -> Any:
        assert self.loop is not None
        return self.loop.run_until_complete(awaitable)

    def call(self, client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(client, method)(*args, **kwargs)
        return self.run(result) if self.is_async else result

    def close(self) -> None:
        for client in self._clients:
            if self.is_async:
                self.run(client.aclose())
            else:
                client.close()
        if self.loop is not None:
            self.run(_cancel_other_tasks())
            self.loop.close()


async def _cancel_other_tasks() -> None:
    """End continuations still running when a test ends, as an app's shutdown would."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture(params=["sync", "async"])
def surface(request: pytest.FixtureRequest) -> Iterator[Surface]:
    surface = Surface(request.param)
    yield surface
    surface.close()


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )


class Recorder:
    """A handler that answers from a script of responses and records every request."""

    def __init__(self, *responses: httpx.Response | Exception | Handler) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, httpx.Response):
            return httpx.Response(item.status_code, headers=item.headers, content=item.content)
        return item(request)


@pytest.fixture
def fake() -> Any:
    from rupt_api.testing import FakeRupt

    return FakeRupt(secret=SECRET)


@pytest.fixture
def base_url(fake: Any) -> Any:
    with fake.serve() as url:
        yield url


class LiveSurface(Surface):
    """A surface whose clients talk to the stand-in over loopback HTTP with their own pool."""

    def __init__(self, name: str, base_url: str) -> None:
        super().__init__(name)
        self.base_url = base_url
        self._http: list[Any] = []

    def live(self, *, injected: bool = False, **options: Any) -> Any:
        """A client with the SDK's own pool, or (`injected`) with an `http_client` given to it."""
        options.setdefault("max_retry_delay", 0.0)
        cls = AsyncRuptAPI if self.is_async else RuptAPI
        if injected:
            http: Any = httpx.AsyncClient() if self.is_async else httpx.Client()
            self._http.append(http)
            options["http_client"] = http
        return self.keep(cls(SECRET, domain=self.base_url, **options))

    def timed(self, client: Any, method: str, *args: Any, **kwargs: Any) -> tuple[Any, float]:
        """Call a method that must time out: the `RuptTimeoutError`, and how long it took."""
        from rupt_api import RuptTimeoutError

        started = time.monotonic()
        with pytest.raises(RuptTimeoutError) as info:
            self.call(client, method, *args, **kwargs)
        return info.value, time.monotonic() - started

    def outcome(self, continuation: Any, timeout: float = 10) -> Any:
        """What a continuation resolves to (or raises), waiting at most `timeout` seconds."""
        if self.is_async:
            assert isinstance(continuation, asyncio.Future)
            return self.run(asyncio.wait_for(continuation, timeout))
        assert isinstance(continuation, concurrent.futures.Future)
        return continuation.result(timeout=timeout)

    def close(self) -> None:
        for http in self._http:
            if isinstance(http, httpx.Client):
                http.close()
            else:
                self.run(http.aclose())
        super().close()


@pytest.fixture(params=["sync", "async"])
def live(request: pytest.FixtureRequest, base_url: str) -> Iterator[LiveSurface]:
    surface = LiveSurface(request.param, base_url)
    yield surface
    surface.close()


# The transports `AsyncRuptAPI` can send with: tests of behaviour over real HTTP run on both.
ASYNC_TRANSPORTS = ("httpx", "aiohttp")


@pytest.fixture(params=["own-pool", "injected"])
def injected(request: pytest.FixtureRequest) -> bool:
    """Both pool kinds: the SDK's own (watched), and an `http_client` given to the client."""
    return bool(request.param == "injected")
