"""The `rupt_api` logger: what the SDK did, for the people running the app.

- INFO: each retry (why, which attempt, the backoff), each call that timed out (and goes on in the
  background), and how each of those continuations ended.
- DEBUG: every attempt: method, path, outcome, time taken, attempt number, request id.

Never a header, a body or the secret. Paths hold ids (a user's id, for `get_user_devices` and
`update_user`), so they appear at DEBUG only; INFO lines name the operation.

`RUPT_LOG=debug` (or `info`) prints these lines to stderr without configuring logging, like
`OPENAI_LOG`. Each line is printed once: the handler RUPT_LOG installs on the `rupt_api` logger
is the only one that sees its records (the logger then stops propagating), so a root handler from
`logging.basicConfig()` or Django's `LOGGING` does not print them again. Without RUPT_LOG the SDK
installs nothing, and the records reach your own logging configuration as usual.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger("rupt_api")

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def configure_from_environment() -> None:
    """Apply RUPT_LOG, once per process (importing `rupt_api` calls it)."""
    value = os.environ.get("RUPT_LOG", "").strip()
    if not value:
        return
    level = LEVELS.get(value.lower())
    if not any(getattr(h, "_rupt_env", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._rupt_env = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False  # the handler above prints each line; see the module's docstring
    logger.setLevel(logging.INFO if level is None else level)
    if level is None:
        logger.warning(
            "RUPT_LOG=%r is not one of %s; logging at info", value[:20], ", ".join(LEVELS)
        )


def attempt(
    method: str,
    path: str,
    outcome: str,
    *,
    elapsed: float,
    number: int,
    request_id: str | None,
) -> None:
    """DEBUG: one attempt and what came of it."""
    logger.debug(
        "%s %s -> %s in %.1f ms (attempt %d%s)",
        method,
        path,
        outcome,
        elapsed * 1000,
        number,
        "" if request_id is None else f", request id {request_id}",
    )


def retrying(operation: str, number: int, most: int, why: str, delay: float) -> None:
    """INFO: a failed attempt is retried after `delay` seconds."""
    logger.info("%s: attempt %d of %d %s; retrying in %.2f s", operation, number, most, why, delay)


def timed_out(operation: str, timeout: float, attempts: int, continuation: Any) -> None:
    """INFO: a call's deadline passed; its continuation's outcome is logged when it ends."""
    if not logger.isEnabledFor(logging.INFO):
        return
    logger.info(
        "%s: no answer within the %g s timeout (%s); continuing in the background",
        operation,
        timeout,
        plural(attempts),
    )

    def ended(future: Any) -> None:
        continuation_ended(operation, future)

    continuation.add_done_callback(ended)


def continuation_ended(operation: str, future: Any) -> None:
    """INFO: how a continuation (a `concurrent.futures.Future` or an asyncio task) ended."""
    if future.cancelled():
        logger.info("%s: the background continuation was cancelled", operation)
        return
    error = future.exception()
    if error is None:
        logger.info("%s: the background continuation succeeded", operation)
    else:
        attempts = getattr(error, "attempts", 0)
        logger.info(
            "%s: the background continuation failed (%s) after %s",
            operation,
            summary(error),
            plural(attempts),
        )


def summary(error: BaseException) -> str:
    """A failure in a few words: no body text (it may hold ids), no class names of ours."""
    from ._exceptions import (  # noqa: PLC0415 - _exceptions does not import this module
        RuptApiError,
        RuptNetworkError,
        RuptResponseError,
        RuptTimeoutError,
    )

    if isinstance(error, RuptApiError):
        text = f"Rupt answered {error.status}"
        return text if error.request_id is None else f"{text}, request id {error.request_id}"
    if isinstance(error, RuptNetworkError):
        return f"no answer, {error.phase or 'talking to'} {error.host}"
    if isinstance(error, RuptTimeoutError):
        return "it did not finish before its backstop deadline"
    if isinstance(error, RuptResponseError):
        return f"an unreadable {error.status} answer"
    return "an unexpected error"


def plural(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"
