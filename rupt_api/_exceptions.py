"""The errors the SDK raises. Every failure a caller sees is a `RuptError`.

    RuptError                    anything that went wrong
    ├── RuptApiError             Rupt answered with a non-2xx status
    ├── RuptResponseError        Rupt answered 2xx, but the body is not what the API documents
    ├── RuptNetworkError         no answer: connection refused or reset, DNS, TLS, protocol errors
    ├── RuptTimeoutError         the call's deadline passed; `continuation` has the eventual outcome
    └── RuptClientClosedError    the client was closed: a bug in the app, not Rupt being down
                                 (also a `RuntimeError`, as httpx's own closed-client error is)

Messages are short and bounded, and never contain the project secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures

__all__ = [
    "RuptApiError",
    "RuptClientClosedError",
    "RuptError",
    "RuptNetworkError",
    "RuptResponseError",
    "RuptTimeoutError",
]

_MAX_DETAIL = 200


def _shorten(text: str, limit: int = _MAX_DETAIL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"


class RuptError(Exception):
    """Base class of every error the SDK raises.

    `attempts` is how many requests the call sent before it gave up (0 when it failed before
    sending anything).
    """

    attempts: int

    def __init__(self, message: str, *, attempts: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message


class RuptApiError(RuptError):
    """Rupt answered with a status that is not 2xx.

    Attributes:
        status: the HTTP status code, such as 404 or 409.
        body: the parsed JSON body, or the body's text when it is not JSON ("" when empty).
        headers: the response headers (case-insensitive mapping).
        request_id: the response's request id header, when it has one.
        code: a machine-readable code from the body (`code`, else `error`), when it has one.
        detail: a human-readable message from the body (`message`, else `error`), when it has one.
        retry_after: seconds the server asked to wait (`Retry-After`), when it said.
        earlier_attempt_unknown: True when an earlier attempt of this same call may have reached
            Rupt before it failed (a reset connection, say). For `consume_evaluation` a 409 with
            this flag set may mean *this* call consumed the evaluation on that earlier attempt,
            rather than a replay; see the README.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: Any,
        headers: Mapping[str, str],
        request_id: str | None = None,
        code: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
        attempts: int = 0,
        earlier_attempt_unknown: bool = False,
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.status = status
        self.body = body
        self.headers = headers
        self.request_id = request_id
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.earlier_attempt_unknown = earlier_attempt_unknown

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(status={self.status}, code={self.code!r}, attempts={self.attempts})"


class RuptResponseError(RuptError):
    """Rupt answered 2xx, but the body does not parse or does not have the documented shape.

    `status` and `body` (the raw bytes, as received) are kept so nothing is lost; the parsing
    error is chained as `__cause__`.
    """

    def __init__(self, message: str, *, status: int, body: bytes, attempts: int = 0) -> None:
        super().__init__(message, attempts=attempts)
        self.status = status
        self.body = body

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, attempts={self.attempts})"


class RuptNetworkError(RuptError):
    """The request got no answer: the connection failed, was reset or broke the protocol.

    Attributes:
        host: the host the SDK was talking to (`host` or `host:port`).
        phase: what it was doing: "resolving" (DNS), "connecting", "writing" (sending the
            request) or "reading" (the answer); None when the failure does not say.

    The underlying exception is chained as `__cause__`. A host name that does not exist is not
    retried (a DNS server that timed out is).
    """

    def __init__(
        self,
        message: str,
        *,
        host: str | None = None,
        phase: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.host = host
        self.phase = phase

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(host={self.host!r}, phase={self.phase!r}, attempts={self.attempts})"


class RuptTimeoutError(RuptError):
    """The call's deadline (`timeout`, covering every attempt and backoff sleep) passed.

    The operation keeps running in the background. `continuation` resolves to what the call
    would have returned, or fails with the `RuptError` it would have raised:

    - on `RuptAPI`, a `concurrent.futures.Future`: `err.continuation.result(timeout=...)`;
    - on `AsyncRuptAPI`, an `asyncio.Future`: `await err.continuation`.

    Ignoring it is fine: nothing is logged or warned, and the background work ends on its own.
    `continuation` is None when the timeout came from the background work itself. It is typed
    `Any` so that both `.result()` and `await` type-check without narrowing.
    """

    continuation: Any

    def __init__(
        self,
        message: str,
        *,
        timeout: float,
        continuation: concurrent.futures.Future[Any] | asyncio.Future[Any] | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.timeout = timeout
        self.continuation = continuation

    def __repr__(self) -> str:
        return f"{type(self).__name__}(timeout={self.timeout}, attempts={self.attempts})"


class RuptClientClosedError(RuptError, RuntimeError):
    """The call was made on a client that was closed (`close()`, `aclose()`, or its `with` block
    ended), or a continuation was still running when it closed.

    Nothing was sent. This is a mistake in the app's lifecycle, not Rupt being unreachable, so it
    is neither a `RuptNetworkError` nor a `RuptTimeoutError`: an "unreachable" handler that
    catches those does not swallow it. It is also a `RuntimeError`, like httpx's own error for a
    closed client.
    """
