"""The retry policy, shared by both surfaces: what is retried, and how long to wait in between.

Rupt's own SDKs retry network errors and 5xx answers only. 4xx answers are final (a 429's
`Retry-After` is exposed on the error instead), and so is the deadline: a call never retries past
its `timeout`.
"""

from __future__ import annotations

import email.utils
import math
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from ._exceptions import RuptApiError, RuptNetworkError

if TYPE_CHECKING:
    import tenacity

# The first backoff is about half a second and doubles each time, up to max_retry_delay.
BASE_DELAY = 0.5


# getaddrinfo's answers for a name that does not exist (EAI_NODATA: exists, but has no address).
# EAI_AGAIN, a resolver that did not answer in time, is not among them: it is retried.
_NO_SUCH_HOST = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)


def is_retryable(error: BaseException) -> bool:
    """True for the failures worth another attempt: no answer at all, or any 5xx (520 included).

    Two exceptions, where asking again gives the same answer: a host name that does not exist,
    and a server certificate TLS refused.
    """
    if isinstance(error, RuptApiError):
        return 500 <= error.status <= 599
    return (
        isinstance(error, RuptNetworkError)
        and not names_no_such_host(error)
        and not names_refused_certificate(error)
    )


def names_no_such_host(error: BaseException) -> bool:
    """True when DNS said the host does not exist, anywhere in `error`'s chain of causes."""
    return any(
        isinstance(cause, socket.gaierror) and cause.errno in _NO_SUCH_HOST
        for cause in causes(error)
    )


def names_refused_certificate(error: BaseException) -> bool:
    """True when TLS refused the server's certificate (not trusted, expired, for another host),
    anywhere in `error`'s chain of causes."""
    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes(error))


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, what it was raised from or during, and so on (exception groups opened)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class Backoff:
    """Jittered exponential backoff capped at `max_retry_delay`, honouring `Retry-After`.

    A tenacity wait strategy. The n-th wait is a random value between half and all of
    `min(cap, 0.5 * 2**(n-1))`, so clients that failed together do not retry together. When the
    failed answer carried a `Retry-After`, the wait is at least that long, still within the cap.
    """

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        # The error knows how many requests its call sent, continuations included.
        attempt = getattr(error, "attempts", 0) or retry_state.attempt_number
        ceiling = min(self.cap, BASE_DELAY * 2 ** (attempt - 1))
        delay = ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
        if isinstance(error, RuptApiError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return float(min(delay, self.cap))


class CallState(Protocol):
    """What the policy reads from a call (`_call.Call`)."""

    attempts: int

    def time_left(self) -> float: ...


class RetryPolicy:
    """When to retry and how long to wait, for one client configuration.

    Retries are rare, so the first attempt runs without tenacity; once it fails in a retryable
    way, tenacity drives the rest (`retrying`, `async_retrying`). The clients start its loop by
    re-raising that first failure, so tenacity sees, counts and backs off from the real attempt.
    """

    def __init__(self, retries: int, max_retry_delay: float) -> None:
        self.retries = retries
        self.backoff = Backoff(max_retry_delay)

    def should_retry(self, call: CallState, error: BaseException) -> bool:
        """True when `error` is worth another attempt of `call`, and there is one left.

        A `Retry-After` longer than `max_retry_delay` or than the time left is not slept on:
        the caller gets that answer at once (its `retry_after` says when to come back).
        """
        if call.attempts > self.retries or not is_retryable(error):
            return False
        retry_after = getattr(error, "retry_after", None)
        return retry_after is None or retry_after <= min(self.backoff.cap, call.time_left())

    def retrying(self, call: CallState, sleep: Callable[[float], None]) -> Any:
        """A `tenacity.Retrying` for the rest of one call."""
        import tenacity  # noqa: PLC0415 - imported on the first retry: it costs ~40 ms

        return tenacity.Retrying(sleep=sleep, **self._settings(call))

    def async_retrying(self, call: CallState, sleep: Callable[[float], Awaitable[None]]) -> Any:
        """The same as `retrying`, as a `tenacity.AsyncRetrying`."""
        import tenacity  # noqa: PLC0415 - imported on the first retry: it costs ~40 ms

        return tenacity.AsyncRetrying(sleep=sleep, **self._settings(call))

    def _settings(self, call: CallState) -> dict[str, Any]:
        import tenacity  # noqa: PLC0415

        return {
            "retry": tenacity.retry_if_exception(lambda error: self.should_retry(call, error)),
            "stop": lambda _state: call.attempts > self.retries,
            "wait": self.backoff,
            "reraise": True,
        }
