"""Fixtures that run each facade test on both surfaces, against an in-memory transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rupt_api import AsyncRuptAPI, RuptAPI

SECRET = "sk_test_0123456789abcdef_SECRET"

EVALUATION = {
    "id": "649873be6e8b6f9b33722a0c",
    "action": "login",
    "verdict": "challenge",
    "reasons": ["new_fingerprint", "new_ip"],
    "redirect": "https://challenge.rupt.dev/?challenge=649873be6e8b6f9b33722a0c",
    "user": {
        "rupt_id": "649873be6e8b6f9b33722a0c",
        "id": "external_account_id",
        "email": "user@example.com",
        "phone": "+15551234567",
    },
    "challenge": {
        "id": "649873be6e8b6f9b33722a0c",
        "status": "created",
        "type": "account_takeover",
    },
    "consumed": False,
    "createdAt": "2021-09-01T00:00:00.000Z",
    "updatedAt": "2021-09-01T00:00:00.000Z",
}

Handler = Callable[[httpx.Request], httpx.Response]


class Surface:
    """Calls a client method the same way on RuptAPI and AsyncRuptAPI."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_async = name == "async"

    def client(self, handler: Handler, **options: Any) -> Any:
        options.setdefault("max_retry_delay", 0.0)
        transport = httpx.MockTransport(handler)
        if self.is_async:
            return AsyncRuptAPI(
                SECRET, http_client=httpx.AsyncClient(transport=transport), **options
            )
        return RuptAPI(SECRET, http_client=httpx.Client(transport=transport), **options)

    def call(self, client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(client, method)(*args, **kwargs)
        if self.is_async:
            return asyncio.run(result)
        return result


@pytest.fixture(params=["sync", "async"])
def surface(request: pytest.FixtureRequest) -> Surface:
    return Surface(request.param)


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
