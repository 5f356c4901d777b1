"""What passes between the fake and its clients: answers, recorded requests and faults."""

from __future__ import annotations

import http
import json
from typing import Any

import attrs

from rupt_api.models import Error

_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    428: "upgrade_required",
    429: "too_many_requests",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@attrs.frozen
class Answer:
    """One HTTP response, before it is turned into bytes on a socket or an `httpx.Response`."""

    status: int
    headers: dict[str, str]
    body: bytes = b""


def json_answer(status: int, payload: Any) -> Answer:
    """A JSON response."""
    return Answer(status, {"content-type": "application/json"}, json.dumps(payload).encode())


def error_answer(status: int, error: str, message: str) -> Answer:
    """A JSON error body, `{"error": <code>, "message": <text>}`."""
    return json_answer(status, Error(error=error, message=message).to_dict())


def parse_json(body: bytes) -> Any:
    """The body parsed as JSON, or None when it is empty or not JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


@attrs.frozen
class RecordedRequest:
    """One request the fake received, as `FakeRupt.requests` lists them.

    Header names are lower-case. The `authorization` header's credentials are replaced by
    `[redacted]` (`"Bearer [redacted]"`), so recorded requests are safe to print; `authorized`
    says whether it held the fake's secret.
    """

    method: str
    """The HTTP method, upper-case."""
    path: str
    """The request target exactly as received: still percent-encoded, with any query string."""
    headers: dict[str, str]
    """The request headers, names lower-cased, credentials redacted."""
    authorized: bool
    """Whether the request carried `Authorization: Bearer <the fake's secret>`."""
    json: Any
    """The body parsed as JSON, or None when it was empty or not JSON."""
    body: bytes
    """The raw body."""
    time: float
    """When the request arrived (`time.time()`)."""


def _check_status(_instance: Fault, _attribute: object, value: int | None) -> None:
    if value is not None and not 200 <= value <= 599:
        raise ValueError(f"Fault status must be within 200..599, not {value}")


@attrs.frozen
class Fault:
    """Something to go wrong with the next matching requests; queue it with `FakeRupt.inject`.

    - `status`: answer with this status instead of handling the request. The body is a JSON
      error body (`{"error": ..., "message": ...}`) unless `body` is given, for example an HTML
      page from a proxy.
    - `delay`: wait this many seconds before answering (normally, or with `status`). Over HTTP a
      client timeout shorter than the delay times out; through `FakeRupt.transport()` the read
      timeout of the request is honoured the same way. The request is still handled after the
      delay (a consume still consumes), as a real server would.
    - `drop`: close the connection without any response (after `delay`, if any); the request is
      not handled. Through `transport()` this raises `httpx.RemoteProtocolError`.
    - `headers`: extra response headers (added to the fault's answer, or to the normal one).
    - `times`: how many matching requests the fault applies to.
    - `path`: only requests whose path contains this substring (as sent or percent-decoded);
      `method`: only requests with this method. None matches any.

    Faults apply before authentication, like a proxy in front of the API. When several queued
    faults match a request, the one injected first applies.
    """

    status: int | None = attrs.field(default=None, validator=_check_status)
    times: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    delay: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))
    drop: bool = False
    headers: dict[str, str] | None = None
    body: bytes | str | None = None
    path: str | None = None
    method: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.status is None and not (self.delay or self.drop or self.headers):
            raise ValueError("a Fault needs a status, a delay, drop=True or headers")
        if self.body is not None and self.status is None:
            raise ValueError("a Fault's body needs a status")

    def matches(self, method: str, path: str, decoded_path: str) -> bool:
        """Whether the fault applies to a request with this method and path."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path in path or self.path in decoded_path

    def answer(self) -> Answer | None:
        """The fault's own answer, when it has a status (without `headers`)."""
        if self.status is None:
            return None
        if self.status in (204, 304):
            return Answer(self.status, {})
        if self.body is None:
            code = _ERROR_CODES.get(self.status, "error")
            try:
                phrase = http.HTTPStatus(self.status).phrase
            except ValueError:
                phrase = "Error"
            return error_answer(self.status, code, f"injected fault: {self.status} {phrase}")
        body = self.body.encode() if isinstance(self.body, str) else self.body
        return Answer(self.status, {"content-type": _guess_type(body)}, body)


def _guess_type(body: bytes) -> str:
    if parse_json(body) is not None:
        return "application/json"
    if body.lstrip().startswith(b"<"):
        return "text/html; charset=utf-8"
    return "text/plain; charset=utf-8"
