"""One AsyncRuptAPI per app, opened at startup and closed on shutdown; configuration."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import examples.aiohttp_service.app as service
from examples.aiohttp_service import RUPT, Settings, create_app
from rupt_api import AsyncRuptAPI
from rupt_api.testing import FakeRupt

from .conftest import SECRET, MakeClient

PASSED = {"challenge_status": "completed", "action": "login", "user_id": "user_1"}


class SpyRuptAPI(AsyncRuptAPI):
    """Counts how many clients the app makes and how often each is closed."""

    made: list[SpyRuptAPI]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closes = 0
        SpyRuptAPI.made.append(self)

    async def aclose(self) -> None:
        self.closes += 1
        await super().aclose()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> type[SpyRuptAPI]:
    SpyRuptAPI.made = []
    monkeypatch.setattr(service, "AsyncRuptAPI", SpyRuptAPI)
    return SpyRuptAPI


async def test_one_client_for_every_request_closed_on_shutdown(
    served: MakeClient, fake: FakeRupt, spy: type[SpyRuptAPI]
) -> None:
    client = await served()
    assert len(spy.made) == 1  # opened at startup, before any request
    rupt = spy.made[0]
    assert client.app is not None
    assert client.app[RUPT] is rupt

    evaluations = [fake.add_evaluation(**PASSED)["id"] for _ in range(12)]
    first = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluations[0], "user_id": "user_1"}
    )
    assert first.status == 200
    responses = await asyncio.gather(
        *(
            client.post("/verify-challenge", json={"evaluation_id": e, "user_id": "user_1"})
            for e in evaluations[1:]
        )
    )
    assert [r.status for r in responses] == [200] * 11
    assert len(spy.made) == 1  # not one per request
    pool = rupt._pool.client  # the SDK's own httpx.AsyncClient (a private attribute)
    assert not pool.is_closed
    assert rupt.closes == 0

    await client.close()  # the app's shutdown: cleanup_ctx closes the client

    assert rupt.closes == 1
    assert pool.is_closed
    assert len(spy.made) == 1


async def test_an_injected_http_client_is_left_to_its_owner(
    fake: FakeRupt, http: httpx.AsyncClient, aiohttp_client: Any, spy: type[SpyRuptAPI]
) -> None:
    client = await aiohttp_client(create_app(secret=SECRET, http_client=http, environ={}))
    evaluation = fake.add_evaluation(**PASSED)
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert response.status == 200
    await client.close()
    assert [rupt.closes for rupt in spy.made] == [1]
    assert not http.is_closed  # the SDK never closes a client it was given


async def test_configured_from_the_environment(
    base_url: str, fake: FakeRupt, aiohttp_client: Any
) -> None:
    environ = {"RUPT_SECRET": SECRET, "RUPT_DOMAIN": base_url, "RUPT_TIMEOUT": "2.5"}
    client = await aiohttp_client(create_app(environ=environ))
    rupt = client.app[RUPT]
    assert (rupt.base_url, rupt.timeout) == (base_url, 2.5)
    evaluation = fake.add_evaluation(**PASSED)
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert response.status == 200
    assert fake.requests[-1].authorized
    # The app's own client sends with aiohttp, as the README recommends for aiohttp services.
    assert type(rupt._pool.client).__name__ == "DirectAiohttpClient"


def test_arguments_win_over_the_environment() -> None:
    environ = {"RUPT_SECRET": "sk_from_env", "RUPT_DOMAIN": "env.example", "RUPT_TIMEOUT": "9"}
    settings = Settings.create(environ, secret=SECRET, domain="http://127.0.0.1:1", timeout=0.5)
    assert (settings.secret, settings.domain, settings.timeout) == (
        SECRET,
        "http://127.0.0.1:1",
        0.5,
    )
    assert SECRET not in repr(settings)


def test_defaults_are_the_sdks() -> None:
    rupt = Settings.create({"RUPT_SECRET": SECRET}).open_client()
    assert (rupt.base_url, rupt.timeout, rupt.retries) == ("https://api.rupt.dev", 10.0, 3)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "RUPT_SECRET is not set"),
        ({"RUPT_SECRET": "  "}, "RUPT_SECRET is not set"),
        ({"RUPT_SECRET": SECRET, "RUPT_TIMEOUT": "soon"}, "RUPT_TIMEOUT must be a number"),
    ],
)
def test_a_bad_environment_fails_at_creation(environ: dict[str, str], message: str) -> None:
    with pytest.raises(RuntimeError, match=message) as info:
        create_app(environ=environ)
    assert SECRET not in str(info.value)


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUPT_SECRET", SECRET)
    monkeypatch.setenv("RUPT_TIMEOUT", "3")
    monkeypatch.delenv("RUPT_DOMAIN", raising=False)
    settings = create_app()[service.SETTINGS]
    assert (settings.secret, settings.domain, settings.timeout) == (SECRET, None, 3.0)
