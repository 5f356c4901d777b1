"""Fixtures for the tests of rupt_api.testing: a fake, and clients reaching it two ways."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from rupt_api.testing import FakeRupt

SECRET = "sk_test_fake"
AUTH = {"Authorization": f"Bearer {SECRET}"}
BACKENDS = ["transport", "server"]


@pytest.fixture
def fake() -> FakeRupt:
    return FakeRupt()


@pytest.fixture(params=BACKENDS)
def client(request: pytest.FixtureRequest, fake: FakeRupt) -> Iterator[httpx.Client]:
    """A sync client with the right secret: in process, or over HTTP to `fake.serve()`."""
    if request.param == "transport":
        with httpx.Client(
            transport=fake.transport(), base_url="https://api.rupt.dev", headers=AUTH
        ) as http:
            yield http
    else:
        with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH) as http:
            yield http


@pytest.fixture(params=BACKENDS)
async def aclient(
    request: pytest.FixtureRequest, fake: FakeRupt
) -> AsyncIterator[httpx.AsyncClient]:
    """The async twin of `client`."""
    if request.param == "transport":
        async with httpx.AsyncClient(
            transport=fake.transport(), base_url="https://api.rupt.dev", headers=AUTH
        ) as http:
            yield http
    else:
        with fake.serve() as url:
            async with httpx.AsyncClient(base_url=url, headers=AUTH) as http:
                yield http
