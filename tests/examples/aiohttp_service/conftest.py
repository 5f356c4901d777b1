"""Fixtures for the aiohttp example: the stand-in Rupt, reached in process or over loopback HTTP."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient

from rupt_api.testing import FakeRupt

# `examples` lives at the repository root, next to `tests`; make it importable however pytest
# was started.
ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from examples.aiohttp_service import create_app  # noqa: E402

SECRET = "sk_test_aiohttp_example_5e1f09c2_SECRET"

AppClient = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[AppClient]]


@pytest.fixture
def fake() -> FakeRupt:
    return FakeRupt(secret=SECRET)


@pytest.fixture
async def http(fake: FakeRupt) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client answered by the stand-in in process (closed by the test, not the app)."""
    async with httpx.AsyncClient(transport=fake.transport()) as client:
        yield client


@pytest.fixture
def base_url(fake: FakeRupt) -> Iterator[str]:
    """The stand-in served over real HTTP on a loopback port."""
    with fake.serve() as url:
        yield url


@pytest.fixture
async def client(http: httpx.AsyncClient, aiohttp_client: Any) -> AppClient:
    """The app, its one AsyncRuptAPI talking to the stand-in through the in-process transport."""
    app = create_app(secret=SECRET, http_client=http, max_retry_delay=0.0, environ={})
    result: AppClient = await aiohttp_client(app)
    return result


@pytest.fixture
def served(base_url: str, aiohttp_client: Any) -> MakeClient:
    """Make the app with the SDK's own connection pool, over loopback HTTP to the stand-in."""

    async def make(**options: Any) -> AppClient:
        options.setdefault("secret", SECRET)
        options.setdefault("max_retry_delay", 0.0)
        options.setdefault("environ", {})
        result: AppClient = await aiohttp_client(create_app(domain=base_url, **options))
        return result

    return make
