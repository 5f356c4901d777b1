"""The retry policy, shared by both surfaces: what is retried, and how long to wait in between.

Rupt's own SDKs retry network errors and 5xx answers only. 4xx answers are final (a 429's
`Retry-After` is exposed on the error instead), and so is the deadline: a call never retries past
its `timeout`.
"""

from __future__ import annotations

import email.utils
import math
import random
import time

import tenacity

from ._exceptions import RuptApiError, RuptNetworkError

# The first backoff is about half a second and doubles each time, up to max_retry_delay.
BASE_DELAY = 0.5


def is_retryable(error: BaseException) -> bool:
    """True for the failures worth another attempt: no answer at all, or any 5xx (520 included)."""
    if isinstance(error, RuptApiError):
        return 500 <= error.status <= 599
    return isinstance(error, RuptNetworkError)


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


class Backoff(tenacity.wait.wait_base):
    """Jittered exponential backoff capped at `max_retry_delay`, honouring `Retry-After`.

    The n-th wait is a random value between half and all of `min(cap, 0.5 * 2**(n-1))`, so
    clients that failed together do not retry together. When the failed answer carried a
    `Retry-After`, the wait is at least that long, still within the cap.
    """

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        ceiling = min(self.cap, BASE_DELAY * 2 ** (retry_state.attempt_number - 1))
        delay = ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RuptApiError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return float(min(delay, self.cap))


def retry_kwargs(retries: int, max_retry_delay: float) -> dict[str, object]:
    """The tenacity settings for one client configuration (the same for sync and async)."""
    return {
        "retry": tenacity.retry_if_exception(is_retryable),
        "stop": tenacity.stop_after_attempt(retries + 1),
        "wait": Backoff(max_retry_delay),
        "reraise": True,
    }
