"""pytest fixtures for testing your app against the stand-in Rupt API; no conftest needed.

Installing rupt-api registers this module as a pytest plugin (the `pytest11` entry point named
`rupt_api`), so every test of a project that has rupt-api installed can ask for:

- `rupt_fake`: a fresh `FakeRupt` (secret `rupt_fake.secret`), empty, for this test only;
- `rupt_client`: a `RuptAPI` answered by `rupt_fake` in process (no socket);
- `rupt_async_client`: the same as an `AsyncRuptAPI`;
- `rupt_server`: the base URL (`http://127.0.0.1:<port>`) of `rupt_fake` served over real HTTP
  on a free loopback port, for an app that builds its own client from its settings.

The two clients retry quickly (`max_retry_delay=0.01`), so a test that injects a 503 does not
wait for real backoff; everything else is as configured by default. `pytest -p no:rupt_api`
turns the plugin off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

# pytest loads this module in every project that has rupt-api installed, before any test runs:
# the SDK itself is imported only by a test that uses a fixture.
if TYPE_CHECKING:
    from rupt_api import AsyncRuptAPI, RuptAPI

    from ._state import FakeRupt

# Retries stay on (a test can check that a 503 is retried) but their waits are near zero.
TEST_RETRY_DELAY = 0.01


@pytest.fixture
def rupt_fake() -> FakeRupt:
    """A fresh, empty stand-in of Rupt's API for this test."""
    from ._state import FakeRupt

    return FakeRupt()


@pytest.fixture
def rupt_client(rupt_fake: FakeRupt) -> Iterator[RuptAPI]:
    """A `RuptAPI` whose requests `rupt_fake` answers in process."""
    import httpx

    from rupt_api import RuptAPI

    with (
        httpx.Client(transport=rupt_fake.transport()) as http,
        RuptAPI(rupt_fake.secret, http_client=http, max_retry_delay=TEST_RETRY_DELAY) as rupt,
    ):
        yield rupt


@pytest.fixture
def rupt_async_client(rupt_fake: FakeRupt) -> AsyncRuptAPI:
    """An `AsyncRuptAPI` whose requests `rupt_fake` answers in process.

    A plain fixture, usable from any async test runner (pytest-asyncio, pytest-aiohttp, anyio):
    the in-process transport holds no socket and no event loop, so nothing needs closing.
    """
    import httpx

    from rupt_api import AsyncRuptAPI

    http = httpx.AsyncClient(transport=rupt_fake.transport())
    return AsyncRuptAPI(rupt_fake.secret, http_client=http, max_retry_delay=TEST_RETRY_DELAY)


@pytest.fixture
def rupt_server(rupt_fake: FakeRupt) -> Iterator[str]:
    """The base URL of `rupt_fake` served over HTTP on a free loopback port, for this test."""
    with rupt_fake.serve() as base_url:
        yield base_url
