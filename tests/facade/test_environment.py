"""Configuration the way Python developers bring it: the secret and domain from the environment,
and durations in seconds (a Node habit of milliseconds is refused, not waited out)."""

from __future__ import annotations

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI

from .conftest import SECRET, Recorder, Surface, json_response

EVALUATION = {"id": "e1", "action": "login"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's own shell must not decide these tests.
    monkeypatch.delenv("RUPT_SECRET", raising=False)
    monkeypatch.delenv("RUPT_DOMAIN", raising=False)


def test_the_secret_comes_from_rupt_secret(
    surface: Surface, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUPT_SECRET", SECRET)
    rec = Recorder(json_response(200, EVALUATION))
    client = surface.client(rec)  # builds the client with SECRET; rebuild it from the environment
    client = surface.keep(type(client)(http_client=client._pool.client))
    assert surface.call(client, "get_evaluation", "e1").id == "e1"
    assert rec.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_a_secret_passed_wins_over_rupt_secret(
    surface: Surface, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUPT_SECRET", "sk_from_the_environment")
    rec = Recorder(json_response(200, EVALUATION))
    surface.call(surface.client(rec), "get_evaluation", "e1")
    assert rec.requests[0].headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("cls", [RuptAPI, AsyncRuptAPI])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_secret_anywhere_names_rupt_secret(
    cls: type, value: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is not None:
        monkeypatch.setenv("RUPT_SECRET", value)
    with pytest.raises(ValueError, match="RUPT_SECRET") as info:
        cls()
    assert ("is empty" if value is not None else "is not set") in str(info.value)


@pytest.mark.parametrize("cls", [RuptAPI, AsyncRuptAPI])
def test_the_domain_comes_from_rupt_domain(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cls(SECRET).base_url == "https://api.rupt.dev"
    monkeypatch.setenv("RUPT_DOMAIN", "http://127.0.0.1:8007/")
    assert cls(SECRET).base_url == "http://127.0.0.1:8007"
    assert cls(SECRET, domain="eu.rupt.dev").base_url == "https://eu.rupt.dev"  # the argument wins
    monkeypatch.setenv("RUPT_DOMAIN", "ftp://x")
    with pytest.raises(ValueError, match="RUPT_DOMAIN"):
        cls(SECRET)
    monkeypatch.setenv("RUPT_DOMAIN", " ")
    assert cls(SECRET).base_url == "https://api.rupt.dev"


@pytest.mark.parametrize("cls", [RuptAPI, AsyncRuptAPI])
@pytest.mark.parametrize("option", ["timeout", "max_retry_delay"])
def test_milliseconds_are_refused_as_such(cls: type, option: str) -> None:
    for value in (10_000, 300.5, 5000.0):
        with pytest.raises(ValueError, match="seconds, not milliseconds") as info:
            cls(SECRET, **{option: value})
        assert option in str(info.value)
    client = cls(SECRET, **{option: 300})
    assert getattr(client, option) == 300
    with pytest.raises(ValueError, match="seconds, not milliseconds"):
        client.with_options(**{option: 10_000})
    assert getattr(client.with_options(**{option: 2}), option) == 2


def test_a_millisecond_timeout_sends_nothing(surface: Surface) -> None:
    rec = Recorder(json_response(200, EVALUATION))
    with pytest.raises(ValueError, match="milliseconds"):
        surface.client(rec, timeout=10_000)
    client = surface.client(rec)
    with pytest.raises(ValueError, match="milliseconds"):
        client.with_options(timeout=10_000)
    assert rec.requests == []
