"""Spec conformance against Prism, an independent implementation of openapi.yaml.

- Requests: every SDK method, on both surfaces, against `prism mock --errors`, which answers a
  request that breaks the spec with a 4xx and an `sl-violations` header. Ours must get 2xx (204
  for update_user) and no violation at all, not even a warning.
- Responses: `prism mock -d` generates a fresh random response from the schemas for every request
  (plus fixed `--seed`s, for answers that are the same on every run); each must parse into the
  models, keep every key it carries, and never fail with anything but a `RuptError`.

Prism is installed on first use into `.cache/prism/` (see `_prism_support.py`); the tests are
skipped where node or npm is missing.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from rupt_api import (
    AsyncRuptAPI,
    Evaluation,
    Group,
    RuptAPI,
    RuptApiError,
    RuptError,
    RuptResponseError,
    RuptVerificationError,
)
from rupt_api._call import Call
from rupt_api._operations import OPERATIONS
from tests.operations import OPERATION_CASES, OperationCase

from ._payload_support import normalised
from ._prism_support import PrismUnavailable, ensure_prism, prism_servers

# Under pytest-xdist, on one worker: the module's Prism servers start once, not on each.
pytestmark = pytest.mark.xdist_group("prism")

SECRET = "sk_test_prism"
EVALUATION_ID = "649873be6e8b6f9b33722a0c"
STATIC_ID = "string"
USER = "external_account_id"
DYNAMIC_CALLS = 50
SEEDS = (1, 2)
# The async surface runs on both its transports: httpx's own and aiohttp.
SURFACES = ["sync", "async", "async-aiohttp"]


@pytest.fixture(scope="module")
def prism() -> Iterator[dict[str, str]]:
    """Base URLs of the Prism mocks: `static`, `dynamic` and `seed-<n>`, all with `--errors`."""
    try:
        binary = ensure_prism()
    except PrismUnavailable as exc:
        pytest.skip(str(exc))
    configs = {
        "static": ("--errors",),
        "dynamic": ("--errors", "-d"),
        **{f"seed-{seed}": ("--errors", "-d", "--seed", str(seed)) for seed in SEEDS},
    }
    with prism_servers(binary, configs) as urls:
        yield urls


# -- recording what Prism answered --------------------------------------------------------------


class Exchange:
    def __init__(self, request: httpx.Request, response: httpx.Response) -> None:
        self.method = request.method
        self.path = request.url.raw_path.decode()
        self.status = response.status_code
        self.violations = response.headers.get("sl-violations")
        self.body = response.content

    def __repr__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} violations={self.violations}"


# Rupt answers about the resource named in the path; Prism answers its example (static) or a
# random id (dynamic), which the SDK refuses as an answer about another resource. The recording
# transports make Prism's answer about the id asked for, everything else kept.
# The paths of the registry's operations whose answer is the resource their path names.
_IDENTIFIED = [
    (op, re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(op.path)) + "$"))
    for op in OPERATIONS.values()
    if op.identified_by is not None
]


def _asked_id(path: str) -> str | None:
    """The id of the resource `path` asks for, when its operation answers with that resource."""
    for op, pattern in _IDENTIFIED:
        match = pattern.match(path)
        if match is not None:
            return urllib.parse.unquote(match.group(str(op.identified_by)))
    return None


def as_asked(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    asked = _asked_id(request.url.raw_path.decode())
    if asked is None or not 200 <= response.status_code < 300:
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return response
    body["id"] = asked
    dropped = {"content-length", "content-encoding"}
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in dropped]
    content = json.dumps(body).encode()
    return httpx.Response(response.status_code, headers=headers, content=content, request=request)


class Recording(httpx.HTTPTransport):
    """A real HTTP transport that also keeps every answer (status, headers, body)."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        response = as_asked(request, response)
        self.exchanges.append(Exchange(request, response))
        return response


class AsyncRecording(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        await response.aread()
        response = as_asked(request, response)
        self.exchanges.append(Exchange(request, response))
        return response


def run_calls(
    surface: str, base_url: str, calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
) -> tuple[list[Any], list[Exchange]]:
    """Make `calls` (method, args, kwargs) on one client; each outcome is a result or an error."""
    outcomes: list[Any] = []
    if surface == "sync":
        transport = Recording()
        with (
            httpx.Client(transport=transport) as http,
            RuptAPI(SECRET, domain=base_url, retries=0, http_client=http) as client,
        ):
            for method, args, kwargs in calls:
                try:
                    outcomes.append(getattr(client, method)(*args, **kwargs))
                except RuptError as exc:
                    outcomes.append(exc)
        return outcomes, transport.exchanges

    atransport = AsyncRecording()
    exchanges = atransport.exchanges

    def recorded(client: AsyncRuptAPI) -> AsyncRuptAPI:
        """The aiohttp transport's client, its answers recorded as `AsyncRecording` does.

        That transport builds no httpx Request or Response: the call's request (what it sends)
        and an httpx.Response made of its answer are recorded instead.
        """
        http = client._pool.client
        send_call = http.send_call

        async def recording_send_call(call: Call, timeout: float) -> tuple[httpx.Response, bytes]:
            answer, content = await send_call(call, timeout)
            response = httpx.Response(
                answer.status_code, headers=answer.headers, content=content, request=call.request
            )
            response = as_asked(call.request, response)
            exchanges.append(Exchange(call.request, response))
            return response, response.content

        http.send_call = recording_send_call
        return client

    async def main() -> None:
        async with (
            httpx.AsyncClient(transport=atransport) as http,
            (
                recorded(AsyncRuptAPI(SECRET, domain=base_url, retries=0, transport="aiohttp"))
                if surface == "async-aiohttp"
                else AsyncRuptAPI(SECRET, domain=base_url, retries=0, http_client=http)
            ) as client,
        ):
            for method, args, kwargs in calls:
                try:
                    outcomes.append(await getattr(client, method)(*args, **kwargs))
                except RuptError as exc:
                    outcomes.append(exc)

    asyncio.run(main())
    return outcomes, exchanges


# -- requests ------------------------------------------------------------------------------------

GROUPS = [{"id": "g1"}, Group(id="g2", name="Équipe ✓", metadata={"seats": 3, "tags": ["a"]})]
METADATA = {"plan": "pro", "nested": {"list": [1, 2.5, None, True, "ü"]}, "empty": {}}


def _returns(case: OperationCase) -> Callable[[Any], bool]:
    """The check that a result is what `case`'s operation returns (the registry's response)."""

    def check(result: Any) -> bool:
        if case.shape == "none":
            return result is None
        if case.shape == "list":
            return isinstance(result, list) and all(isinstance(r, case.model) for r in result)
        return isinstance(result, case.model)

    return check


def _is_none(result: Any) -> bool:
    return result is None


def _is_verified_or_refused(result: Any) -> bool:
    # Prism's example challenge is not `completed`: a refusal after a 2xx is the right answer.
    return isinstance(result, Evaluation | RuptVerificationError)


Case = tuple[str, str, tuple[Any, ...], dict[str, Any], Callable[[Any], bool], int]
# (test id, method, args, kwargs, check of the result, expected status): every operation of the
# registry (tests/operations.py), plainly and with ids that need percent-encoding (they must
# still reach the operation they were meant for); then more bodies, and verify_challenge.
REQUEST_CASES: list[Case] = [
    *(
        (c.name, c.name, c.ids(EVALUATION_ID), c.kwargs, _returns(c), c.status)
        for c in OPERATION_CASES
    ),
    *(
        (f"{c.name}-encoded-id", c.name, c.ids("a/b?c#d é%/../x"), c.kwargs, _returns(c), c.status)
        for c in OPERATION_CASES
    ),
    ("update_user-email", "update_user", (USER,), {"email": "u@example.com"}, _is_none, 204),
    ("update_user-phone", "update_user", (USER,), {"phone": "+15551234567"}, _is_none, 204),
    ("update_user-metadata", "update_user", (USER,), {"metadata": METADATA}, _is_none, 204),
    ("update_user-groups", "update_user", (USER,), {"groups": GROUPS}, _is_none, 204),
    ("update_user-empty-groups", "update_user", (USER,), {"groups": []}, _is_none, 204),
    (
        "update_user-everything",
        "update_user",
        (USER,),
        {"email": "ü@example.com", "phone": "+1", "metadata": METADATA, "groups": GROUPS},
        _is_none,
        204,
    ),
    (
        "verify_challenge",
        "verify_challenge",
        (EVALUATION_ID,),
        {"action": "login", "user_id": USER},
        _is_verified_or_refused,
        200,
    ),
]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("method", "args", "kwargs", "check", "status"),
    [pytest.param(*case[1:], id=case[0]) for case in REQUEST_CASES],
)
def test_every_request_passes_prism_validation(
    prism: dict[str, str],
    surface: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    check: Callable[[Any], bool],
    status: int,
) -> None:
    outcomes, exchanges = run_calls(surface, prism["static"], [(method, args, kwargs)])
    assert len(exchanges) == 1, exchanges
    exchange = exchanges[0]
    assert (exchange.status, exchange.violations) == (status, None), exchange
    assert check(outcomes[0]), outcomes[0]


@pytest.mark.parametrize("surface", SURFACES)
def test_every_method_with_the_sdks_own_pool(prism: dict[str, str], surface: str) -> None:
    """The same calls through the SDK's own connection pool (no injected client) all succeed."""
    # Prism's static answers are about the id "string" (its example of a string): ask for that
    # one, as the SDK refuses an answer about another resource than the one asked for.
    calls = [
        (case[1], (STATIC_ID,) if case[2] == (EVALUATION_ID,) else case[2], case[3])
        for case in REQUEST_CASES
    ]
    results: list[Any] = []

    async def run_async() -> None:
        transport = "aiohttp" if surface == "async-aiohttp" else "httpx"
        async with AsyncRuptAPI(
            SECRET, domain=prism["static"], retries=0, transport=transport
        ) as client:
            for method, args, kwargs in calls:
                try:
                    results.append(await getattr(client, method)(*args, **kwargs))
                except (RuptVerificationError, RuptResponseError) as exc:
                    results.append(exc)

    if surface == "sync":
        with RuptAPI(SECRET, domain=prism["static"], retries=0) as client:
            for method, args, kwargs in calls:
                try:
                    results.append(getattr(client, method)(*args, **kwargs))
                except (RuptVerificationError, RuptResponseError) as exc:
                    results.append(exc)
    else:
        asyncio.run(run_async())
    checks = [_own_pool_check(case) for case in REQUEST_CASES]
    assert all(check(result) for check, result in zip(checks, results, strict=True)), results


def _own_pool_check(case: tuple[Any, ...]) -> Callable[[Any], bool]:
    if case[0].endswith("-encoded-id") and OPERATIONS[case[1]].identified_by is not None:
        # Prism's static answer is its example resource, not the one asked for: refused.
        return lambda result: isinstance(result, RuptResponseError) and "as asked" in str(result)
    check: Callable[[Any], bool] = case[4]
    return check


AUTH = {"authorization": f"Bearer {SECRET}"}
JSON_AUTH = {**AUTH, "content-type": "application/json"}
UPDATE = f"/v3/user/{USER}/update"


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        pytest.param("GET", f"/v3/evaluations/{EVALUATION_ID}", {}, None, id="no-secret"),
        pytest.param("POST", UPDATE, JSON_AUTH, b'{"email": 1}', id="wrong-type"),
        pytest.param(
            "POST", UPDATE, JSON_AUTH, b'{"groups": [{"name": "no id"}]}', id="group-without-id"
        ),
        pytest.param("POST", UPDATE, AUTH, None, id="missing-body"),
    ],
)
def test_prism_refuses_requests_that_break_the_spec(
    prism: dict[str, str], method: str, path: str, headers: dict[str, str], body: bytes | None
) -> None:
    """The control: Prism does validate, so the 2xx above mean something."""
    response = httpx.request(method, prism["static"] + path, headers=headers, content=body)
    assert 400 <= response.status_code < 500, response.text
    assert "sl-violations" in response.headers


def test_a_refused_request_is_a_rupt_api_error_carrying_the_violation(
    prism: dict[str, str],
) -> None:
    """What the SDK makes of Prism's refusal: a typed 4xx error with the violation kept."""
    from rupt_api import _operations as ops

    with (
        RuptAPI(SECRET, domain=prism["static"], retries=0) as client,
        pytest.raises(RuptApiError) as caught,
    ):
        client._call(
            ops.UPDATE_USER, ops.RequestSpec("POST", f"/v3/user/{USER}/update", b'{"email": 1}')
        )
    assert 400 <= caught.value.status < 500
    assert "email" in caught.value.headers["sl-violations"]


# -- responses -----------------------------------------------------------------------------------


def to_json(result: Any) -> Any:
    if isinstance(result, list):
        return [item.to_dict() for item in result]
    return result.to_dict()


# Every operation of the registry whose answer has a body.
RESPONSE_METHODS = [case for case in OPERATION_CASES if case.shape != "none"]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("server", ["dynamic", *(f"seed-{seed}" for seed in SEEDS)])
@pytest.mark.parametrize("case", RESPONSE_METHODS, ids=repr)
def test_generated_responses_parse_and_keep_every_key(
    prism: dict[str, str], surface: str, server: str, case: OperationCase
) -> None:
    count = DYNAMIC_CALLS if server == "dynamic" else 2  # a seeded server always says the same
    call = (case.name, case.ids(EVALUATION_ID), case.kwargs)
    outcomes, exchanges = run_calls(surface, prism[server], [call] * count)
    assert len(exchanges) == count
    for outcome, exchange in zip(outcomes, exchanges, strict=True):
        body = exchange.body.decode()
        assert (exchange.status, exchange.violations) == (200, None), (exchange, body)
        # A parse failure would be a RuptError (run_calls catches only those); none is expected.
        assert _returns(case)(outcome), (outcome, body)
        assert normalised(to_json(outcome)) == normalised(json.loads(body)), body


@pytest.mark.parametrize("surface", SURFACES)
def test_verify_challenge_on_generated_evaluations(prism: dict[str, str], surface: str) -> None:
    """Random challenge statuses: verified or refused with a verification error, never a crash."""
    calls = [("verify_challenge", (EVALUATION_ID,), {"action": "login", "user_id": USER})] * 20
    outcomes, exchanges = run_calls(surface, prism["dynamic"], calls)
    assert [e.status for e in exchanges] == [200] * 20
    assert all(isinstance(o, Evaluation | RuptVerificationError) for o in outcomes), outcomes


@pytest.mark.parametrize("surface", SURFACES)
def test_update_user_on_the_dynamic_server_is_204(prism: dict[str, str], surface: str) -> None:
    calls = [("update_user", (USER,), {"metadata": METADATA, "groups": GROUPS})] * 5
    outcomes, exchanges = run_calls(surface, prism["dynamic"], calls)
    assert outcomes == [None] * 5
    assert [(e.status, e.violations, e.body) for e in exchanges] == [(204, None, b"")] * 5
