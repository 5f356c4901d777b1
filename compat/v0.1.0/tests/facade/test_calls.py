"""Each method on both surfaces: what it sends, what it returns, and the errors it raises."""

from __future__ import annotations

import datetime
import json
import logging

import httpx
import pytest

from rupt_api import (
    AsyncRuptAPI,
    Evaluation,
    RuptAPI,
    RuptApiError,
    RuptError,
    RuptNetworkError,
    RuptResponseError,
    __version__,
)
from rupt_api.models import Challenge, Device, Group
from tests.payloads import EVALUATION

from .conftest import SECRET, Recorder, Surface, json_response

CHALLENGE = {"id": "c1", "status": "completed", "type": "account_takeover", "verify_attempts": 1}
DEVICES = [{"id": "d1", "status": "attached", "attached_at": "2021-09-01T00:00:00.000Z"}]


def test_get_evaluation_sends_auth_and_returns_a_model(surface: Surface) -> None:
    rec = Recorder(json_response(200, EVALUATION, **{"x-request-id": "req_1"}))
    evaluation = surface.call(surface.client(rec), "get_evaluation", "649873be6e8b6f9b33722a0c")

    assert isinstance(evaluation, Evaluation)
    assert evaluation.verdict == "challenge"
    assert evaluation.created_at == datetime.datetime(2021, 9, 1, tzinfo=datetime.UTC)
    assert evaluation.consumed_at is None
    assert evaluation.user is not None
    assert evaluation.user.email == "user@example.com"
    (request,) = rec.requests
    assert request.method == "GET"
    assert str(request.url) == "https://api.rupt.dev/v3/evaluations/649873be6e8b6f9b33722a0c"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.headers["user-agent"] == f"rupt-api-python/{__version__}"


@pytest.mark.parametrize(
    ("method", "arg", "http_method", "path", "payload", "model"),
    [
        ("consume_evaluation", "e1", "POST", "/v3/evaluations/e1/consume", EVALUATION, Evaluation),
        ("get_challenge", "c1", "GET", "/v3/challenges/c1", CHALLENGE, Challenge),
    ],
)
def test_single_object_methods(
    surface: Surface, method: str, arg: str, http_method: str, path: str, payload: dict, model: type
) -> None:
    rec = Recorder(json_response(200, payload))
    result = surface.call(surface.client(rec), method, arg)
    assert isinstance(result, model)
    assert result.id == payload["id"]
    assert rec.requests[0].method == http_method
    assert rec.requests[0].url.raw_path.decode() == path
    assert rec.requests[0].content == b""


def test_get_user_devices_returns_a_list(surface: Surface) -> None:
    rec = Recorder(json_response(200, DEVICES))
    devices = surface.call(surface.client(rec), "get_user_devices", "user_123")
    assert [type(d) for d in devices] == [Device]
    assert devices[0].attached_at == datetime.datetime(2021, 9, 1, tzinfo=datetime.UTC)
    assert rec.requests[0].url.raw_path == b"/v3/user/user_123/devices"


def test_update_user_sends_only_the_given_fields(surface: Surface) -> None:
    rec = Recorder(httpx.Response(204))
    client = surface.client(rec)
    result = surface.call(
        client,
        "update_user",
        "user_123",
        email="a@example.com",
        groups=[Group(id="g1", name="Acme"), {"id": "g2"}],
    )
    assert result is None
    request = rec.requests[0]
    assert (request.method, request.url.raw_path) == ("POST", b"/v3/user/user_123/update")
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "email": "a@example.com",
        "groups": [{"id": "g1", "name": "Acme"}, {"id": "g2"}],
    }


def test_unknown_values_and_fields_are_kept(surface: Surface) -> None:
    future = {**EVALUATION, "verdict": "quarantine", "brand_new": {"x": 1}}
    future["challenge"] = {"id": "c", "status": "escalated", "novel": True}
    evaluation = surface.call(
        surface.client(Recorder(json_response(200, future))), "get_evaluation", "e"
    )
    assert evaluation.verdict == "quarantine"
    assert evaluation["brand_new"] == {"x": 1}
    assert evaluation.challenge.status == "escalated"
    assert evaluation.challenge["novel"] is True


# -- errors -------------------------------------------------------------------------------------


def test_api_error_carries_status_body_and_request_id(surface: Surface) -> None:
    body = {"error": "not_found", "message": "Evaluation not found"}
    rec = Recorder(json_response(404, body, **{"x-request-id": "req_42"}))
    with pytest.raises(RuptApiError) as info:
        surface.call(surface.client(rec), "get_evaluation", "missing")
    err = info.value
    assert (err.status, err.body, err.code, err.detail) == (
        404,
        body,
        "not_found",
        "Evaluation not found",
    )
    assert err.request_id == "req_42"
    assert err.attempts == 1
    assert err.headers["x-request-id"] == "req_42"
    assert "404" in str(err)
    assert "Evaluation not found" in str(err)
    assert "1 attempt" in str(err)
    assert len(rec.requests) == 1


def test_non_json_error_body_is_kept_as_text(surface: Surface) -> None:
    html = b"<html><body>Bad gateway</body></html>"
    rec = Recorder(httpx.Response(400, content=html, headers={"content-type": "text/html"}))
    with pytest.raises(RuptApiError) as info:
        surface.call(surface.client(rec), "get_challenge", "c1")
    assert info.value.body == html.decode()
    assert info.value.code is None


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"",
        b"[1, 2]",
        b'{"verdict": "allow"}',
        b'{"id": "e", "createdAt": "yesterday"}',
        b"\xff\xfe",
    ],
    ids=["invalid-json", "empty", "wrong-type", "missing-id", "bad-date", "not-utf8"],
)
def test_a_2xx_body_that_does_not_parse_is_a_response_error(
    surface: Surface, content: bytes
) -> None:
    rec = Recorder(httpx.Response(200, content=content))
    with pytest.raises(RuptResponseError) as info:
        surface.call(surface.client(rec), "get_evaluation", "e")
    assert info.value.status == 200
    assert info.value.body == content
    assert info.value.attempts == 1
    assert info.value.__cause__ is not None


def test_devices_must_be_a_list(surface: Surface) -> None:
    rec = Recorder(json_response(200, {"id": "d1"}))
    with pytest.raises(RuptResponseError):
        surface.call(surface.client(rec), "get_user_devices", "u")


def test_oversized_body_is_refused(surface: Surface) -> None:
    rec = Recorder(httpx.Response(200, content=b"[" + b" " * (5 * 1024 * 1024) + b"]"))
    with pytest.raises(RuptResponseError, match="larger than"):
        surface.call(surface.client(rec), "get_user_devices", "u")


def test_network_error_chains_the_cause(surface: Surface) -> None:
    cause = httpx.ConnectError("connection refused")
    rec = Recorder(cause)
    with pytest.raises(RuptNetworkError) as info:
        surface.call(surface.client(rec, retries=2), "get_evaluation", "e")
    assert info.value.__cause__ is cause
    assert info.value.attempts == 3
    assert "3 attempts" in str(info.value)


def test_unexpected_transport_exception_is_a_rupt_error(surface: Surface) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in someone's event hook")

    with pytest.raises(RuptError) as info:
        surface.call(surface.client(broken, retries=0), "get_evaluation", "e")
    assert isinstance(info.value.__cause__, RuntimeError)


def test_redirects_are_not_followed(surface: Surface) -> None:
    rec = Recorder(httpx.Response(302, headers={"location": "https://evil.example/steal"}))
    with pytest.raises(RuptApiError) as info:
        surface.call(surface.client(rec), "get_evaluation", "e")
    assert info.value.status == 302
    assert len(rec.requests) == 1


# -- input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error"),
    [("", ValueError), (None, TypeError), (42, TypeError), ("..", ValueError), (".", ValueError),
     ("a\r\nb", ValueError), ("a\x00b", ValueError), ("x" * 10_000, ValueError)],
)  # fmt: skip
def test_bad_ids_are_refused_before_any_request(
    surface: Surface, value: object, error: type
) -> None:
    rec = Recorder(json_response(200, EVALUATION))
    client = surface.client(rec)
    for method in ("get_evaluation", "consume_evaluation", "get_challenge", "get_user_devices"):
        with pytest.raises(error):
            surface.call(client, method, value)
    assert rec.requests == []


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("../x", "/v3/evaluations/..%2Fx"),
        ("a/b?c#d", "/v3/evaluations/a%2Fb%3Fc%23d"),
        ("é", "/v3/evaluations/%C3%A9"),
    ],
)
def test_ids_are_percent_encoded(surface: Surface, value: str, path: str) -> None:
    rec = Recorder(json_response(200, EVALUATION))
    surface.call(surface.client(rec), "get_evaluation", value)
    assert rec.requests[0].url.raw_path.decode() == path


def test_update_user_input_checks(surface: Surface) -> None:
    rec = Recorder(httpx.Response(204))
    client = surface.client(rec)
    with pytest.raises(ValueError, match="at least one"):
        surface.call(client, "update_user", "u")
    with pytest.raises(TypeError, match=r"metadata\['when'\]"):
        surface.call(client, "update_user", "u", metadata={"ok": 1, "when": object()})
    with pytest.raises(TypeError, match="groups must be a list"):
        surface.call(client, "update_user", "u", groups={"id": "g"})
    with pytest.raises(ValueError, match=r"groups\[0\] needs"):
        surface.call(client, "update_user", "u", groups=[{"name": "no id"}])
    with pytest.raises(TypeError, match="email"):
        surface.call(client, "update_user", "u", email=5)
    assert rec.requests == []


# -- configuration and hygiene ------------------------------------------------------------------


@pytest.mark.parametrize("cls", [RuptAPI, AsyncRuptAPI])
def test_options_are_validated(cls: type) -> None:
    with pytest.raises(ValueError, match="secret"):
        cls("")
    with pytest.raises(TypeError, match="secret"):
        cls(None)
    with pytest.raises(ValueError, match="timeout"):
        cls(SECRET, timeout=0)
    with pytest.raises(TypeError, match="retries"):
        cls(SECRET, retries=1.5)
    with pytest.raises(ValueError, match="domain"):
        cls(SECRET, domain="ftp://x")
    with pytest.raises(TypeError, match="http_client"):
        cls(SECRET, http_client=object())


@pytest.mark.parametrize(
    ("domain", "base_url"),
    [("api.rupt.dev", "https://api.rupt.dev"), ("http://localhost:8007", "http://localhost:8007"),
     ("https://eu.rupt.dev/", "https://eu.rupt.dev")],
)  # fmt: skip
def test_domain_becomes_a_base_url(domain: str, base_url: str) -> None:
    assert RuptAPI(SECRET, domain=domain).base_url == base_url


def test_the_secret_is_in_no_repr_message_or_log(
    surface: Surface, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"error": "unauthorized", "message": f"bad key {SECRET}"}
    rec = Recorder(json_response(401, echo), httpx.ConnectError(f"proxy said {SECRET}"))
    client = surface.client(rec, retries=0)
    caplog.set_level(logging.DEBUG, logger="rupt_api")
    with pytest.raises(RuptApiError) as first:
        surface.call(client, "get_evaluation", "e")
    with pytest.raises(RuptNetworkError) as second:
        surface.call(client, "get_evaluation", "e")
    texts = [repr(client), repr(client.with_options(timeout=1)), repr(client._options)]
    for err in (first.value, second.value):
        texts += [str(err), repr(err), err.detail if isinstance(err, RuptApiError) else ""]
    texts += [r.getMessage() for r in caplog.records]
    assert len(caplog.records) == 2
    assert all(SECRET not in t for t in texts)
    assert "[redacted]" in str(first.value)


def test_one_debug_line_per_attempt(surface: Surface, caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder(json_response(503, {}), json_response(200, EVALUATION))
    caplog.set_level(logging.DEBUG, logger="rupt_api")
    surface.call(surface.client(rec), "get_evaluation", "e1")
    lines = [r.getMessage() for r in caplog.records if r.name == "rupt_api"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /v3/evaluations/e1 -> 503")
    assert lines[0].endswith("(attempt 1)")
    assert lines[1].endswith("(attempt 2)")


def test_with_options_shares_the_pool_and_never_closes_it() -> None:
    rec = Recorder(json_response(200, EVALUATION))
    http = httpx.Client(transport=httpx.MockTransport(rec))
    client = RuptAPI(SECRET, http_client=http, timeout=3)
    fast = client.with_options(timeout=0.5, retries=0)
    assert (fast.timeout, fast.retries, fast.max_retry_delay) == (0.5, 0, client.max_retry_delay)
    assert (client.timeout, client.retries) == (3, 3)
    assert fast._pool is client._pool
    fast.close()
    assert client.get_evaluation("e").id == EVALUATION["id"]
    with pytest.raises(ValueError, match="timeout"):
        client.with_options(timeout=-1)


def test_an_owned_pool_is_closed_by_the_client_only() -> None:
    client = RuptAPI(SECRET)
    copy = client.with_options(retries=0)
    copy.close()
    assert not client._pool.client.is_closed
    with client:
        pass
    assert client._pool.client.is_closed


def test_an_injected_client_is_never_closed() -> None:
    http = httpx.Client(transport=httpx.MockTransport(Recorder(json_response(200, EVALUATION))))
    with RuptAPI(SECRET, http_client=http):
        pass
    assert not http.is_closed


def test_an_error_group_from_the_transport_names_the_real_error(surface: Surface) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise ExceptionGroup(
            "unhandled errors in a TaskGroup", [RuntimeError("network is disabled")]
        )

    with pytest.raises(RuptError, match=r"RuntimeError: network is disabled") as info:
        surface.call(surface.client(broken, retries=0), "get_evaluation", "e")
    assert isinstance(info.value.__cause__, ExceptionGroup)


def test_a_closed_client_refuses_calls_clearly(surface: Surface) -> None:
    rec = Recorder(json_response(200, EVALUATION))
    client = surface.client(rec)
    copy = client.with_options(timeout=1)
    assert not client.is_closed
    surface.run(client.aclose()) if surface.is_async else client.close()
    assert client.is_closed
    assert copy.is_closed
    for c in (client, copy):
        with pytest.raises(RuptError, match="client was closed"):
            surface.call(c, "get_evaluation", "e")
    assert rec.requests == []
