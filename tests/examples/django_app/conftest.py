"""Django for these tests only, against the stand-in Rupt API (rupt_api.testing).

The whole suite runs in one pytest process, and pytest-django reads DJANGO_SETTINGS_MODULE before
this directory's conftest loads. So this conftest configures Django itself, in `pytest_configure`
(called when the conftest is loaded): the example's own settings module, through
`settings.configure()` rather than the environment, so nothing leaks into other tests. From then
on pytest-django's `client` and `settings` fixtures work as in a Django project.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.http import HttpResponse
from django.test import Client

from rupt_api import RuptAPI
from rupt_api.testing import FakeRupt

EXAMPLE_DIR = Path(__file__).resolve().parents[3] / "examples" / "django_app"
SECRET = "sk_test_django_example_SECRET_0123456789"


def pytest_configure(config: pytest.Config) -> None:
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    import django
    from django.conf import settings

    if not settings.configured:
        from rupt_example_site import settings as example

        settings.configure(
            **{name: getattr(example, name) for name in dir(example) if name.isupper()}
        )
    django.setup()


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts without a process-wide client or timed-out calls, and leaves none."""
    from rupt_login import rupt_client, views

    monkeypatch.setattr(views, "_timed_out", views._TimedOut())
    rupt_client.reset()
    yield
    rupt_client.reset()


@pytest.fixture
def fake() -> FakeRupt:
    return FakeRupt(secret=SECRET)


@pytest.fixture
def in_process(fake: FakeRupt) -> Iterator[RuptAPI]:
    """The process-wide client, reaching the fake in process (no socket), with quick retries."""
    from rupt_login import rupt_client

    with httpx.Client(transport=fake.transport()) as http:
        rupt = RuptAPI(SECRET, http_client=http, timeout=5, max_retry_delay=0.01)
        rupt_client.configure(rupt)
        yield rupt
        rupt_client.configure(None)
        rupt.close()


@pytest.fixture
def loopback(fake: FakeRupt, settings: Any) -> Iterator[str]:
    """The fake over real HTTP; the settings point the process-wide client at it."""
    with fake.serve() as base_url:
        settings.RUPT_SECRET = SECRET
        settings.RUPT_DOMAIN = base_url
        settings.RUPT_TIMEOUT = "5"
        yield base_url


def assert_no_secret(response: HttpResponse) -> None:
    """Neither the body nor a header of `response` holds the project secret."""
    assert SECRET.encode() not in response.content
    for name, value in response.items():
        assert SECRET not in name
        assert SECRET not in value


def post(client: Client, body: Any, **extra: Any) -> HttpResponse:
    """POST `body` to the view as JSON (or as `content_type`, when a str/bytes body is given)."""
    extra.setdefault("content_type", "application/json")
    response: HttpResponse = client.post("/verify-challenge", body, **extra)
    assert_no_secret(response)
    return response


def passed(**fields: Any) -> dict[str, Any]:
    """`add_evaluation` arguments for a completed challenge on a login by user_1."""
    return {
        "challenge_status": "completed",
        "verdict": "challenge",
        "action": "login",
        "user_id": "user_1",
        "email": "Ada@Example.com",
        **fields,
    }


def consumes(fake: FakeRupt) -> list[str]:
    """The evaluation ids the fake was asked to consume, in order."""
    return [
        request.path.split("/")[3] for request in fake.requests if request.path.endswith("/consume")
    ]
