"""The process-wide RuptAPI: built once, lazily, from settings or the environment; shared."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from rupt_api import RuptAPI
from rupt_api.testing import FakeRupt

from .conftest import SECRET, passed, post


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[RuptAPI]:
    """Every RuptAPI that rupt_client builds, in order (construction made slow, to widen races)."""
    from rupt_login import rupt_client

    instances: list[RuptAPI] = []

    class Recorded(RuptAPI):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            time.sleep(0.05)
            super().__init__(*args, **kwargs)
            instances.append(self)

    monkeypatch.setattr(rupt_client, "RuptAPI", Recorded)
    return instances


@pytest.mark.usefixtures("loopback")
def test_one_client_serves_every_request(
    client: Client, fake: FakeRupt, built: list[RuptAPI]
) -> None:
    from rupt_login.rupt_client import get_rupt

    evaluations = [fake.add_evaluation(**passed()) for _ in range(6)]
    assert built == []  # lazy: nothing is built before the first request
    for evaluation in evaluations[:3]:
        assert (
            post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"}).status_code
            == 200
        )
    with ThreadPoolExecutor(3) as pool:
        statuses = list(
            pool.map(
                lambda e: (
                    post(Client(), {"evaluation_id": e["id"], "user_id": "user_1"}).status_code
                ),
                evaluations[3:],
            )
        )
    assert statuses == [200, 200, 200]
    assert len(built) == 1
    assert get_rupt() is built[0]


@pytest.mark.usefixtures("loopback")
def test_threads_racing_to_the_first_use_build_one_client(built: list[RuptAPI]) -> None:
    from rupt_login.rupt_client import get_rupt

    barrier = threading.Barrier(16)

    def first_use(_: int) -> RuptAPI:
        barrier.wait()
        return get_rupt()

    with ThreadPoolExecutor(16) as pool:
        clients = list(pool.map(first_use, range(16)))
    assert len(built) == 1
    assert all(rupt is built[0] for rupt in clients)


@pytest.mark.usefixtures("loopback")
def test_changing_a_rupt_setting_builds_a_new_client(settings: Any) -> None:
    from rupt_login.rupt_client import get_rupt

    first = get_rupt()
    assert get_rupt() is first
    settings.RUPT_TIMEOUT = "3"
    second = get_rupt()
    assert second is not first
    assert get_rupt() is second
    settings.DEBUG = True  # not a Rupt setting: the client stays
    assert get_rupt() is second


def test_the_environment_is_the_fallback(
    client: Client, fake: FakeRupt, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.RUPT_SECRET = ""
    settings.RUPT_DOMAIN = ""
    del settings.RUPT_TIMEOUT  # a project without the setting at all
    evaluation = fake.add_evaluation(**passed())
    with fake.serve() as base_url:
        monkeypatch.setenv("RUPT_SECRET", SECRET)
        monkeypatch.setenv("RUPT_DOMAIN", base_url)
        monkeypatch.setenv("RUPT_TIMEOUT", "4")
        response = post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
    assert response.status_code == 200
    assert fake.requests[0].authorized


def test_the_settings_win_over_the_environment(
    client: Client, fake: FakeRupt, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation = fake.add_evaluation(**passed())
    monkeypatch.setenv("RUPT_SECRET", "sk_from_the_environment")
    monkeypatch.setenv("RUPT_DOMAIN", "http://127.0.0.1:9")  # nothing listens there
    with fake.serve() as base_url:
        settings.RUPT_SECRET = SECRET
        settings.RUPT_DOMAIN = base_url
        response = post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"RUPT_SECRET": ""}, "RUPT_SECRET is not set"),
        ({"RUPT_TIMEOUT": "soon"}, "RUPT_TIMEOUT must be a number of seconds, not 'soon'"),
        ({"RUPT_TIMEOUT": "-1"}, "timeout must be a finite number of seconds above 0"),
        ({"RUPT_DOMAIN": "ftp://rupt.example"}, "domain must be a host name or start with http"),
    ],
)
def test_bad_settings_are_improperly_configured(
    settings: Any, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, str], message: str
) -> None:
    from rupt_login.rupt_client import get_rupt

    for name in ("RUPT_SECRET", "RUPT_DOMAIN", "RUPT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    settings.RUPT_SECRET = SECRET
    for name, value in overrides.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message) as info:
        get_rupt()
    assert SECRET not in str(info.value)
    # Nothing half-built is kept: fixing the setting is enough.
    settings.RUPT_SECRET = SECRET
    settings.RUPT_TIMEOUT = "2"
    settings.RUPT_DOMAIN = "http://127.0.0.1:9"
    assert isinstance(get_rupt(), RuptAPI)
