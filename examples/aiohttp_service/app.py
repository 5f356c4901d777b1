"""An aiohttp service doing step 4 of Rupt's challenge flow: `POST /verify-challenge`.

The pattern to copy:

- ONE `AsyncRuptAPI` per process, opened in a `cleanup_ctx` (on the loop that serves requests)
  and closed there on shutdown. It holds the connection pool; every request shares it.
- The handler maps each outcome of `verify_challenge` to an HTTP answer, and never puts the
  secret or an exception's text in a response.
- A call that outlives its deadline answers 503 at once, but its continuation is followed in the
  background: the late outcome is logged, and a late *verified* one is remembered so the user's
  retry (which Rupt answers 409, the evaluation being consumed by then) is honoured once.

Run it with `python -m examples.aiohttp_service` (see README.md next to this file).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import math
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from rupt_api import (
    AsyncRuptAPI,
    ChallengeAlreadyUsedError,
    ChallengeMismatchError,
    ChallengeNotCompletedError,
    RuptApiError,
    RuptError,
    RuptNetworkError,
    RuptTimeoutError,
)

__all__ = [
    "CONTINUATIONS",
    "RUPT",
    "Continuations",
    "Settings",
    "Settled",
    "create_app",
    "main",
]

logger = logging.getLogger("examples.aiohttp_service")

ACTION = "login"  # what this endpoint protects; a signup endpoint would say "signup"
RETRY_AFTER_DEFAULT = 2  # seconds, when Rupt did not say
RETRY_AFTER_MAX = 60
LATE_VERIFIED_TTL = 300.0  # how long a late verification waits for the user's retry, seconds
SETTLED_KEPT = 1000  # how many settled continuations `Continuations.settled` remembers


# -- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How to build the app's one `AsyncRuptAPI`; `repr` never shows the secret."""

    secret: str = field(repr=False)
    domain: str | None = None
    timeout: float | None = None
    retries: int | None = None
    max_retry_delay: float | None = None
    http_client: httpx.AsyncClient | None = field(default=None, repr=False, compare=False)
    # On shutdown, how long to wait for continuations still running before cancelling them.
    continuation_grace: float = 5.0

    @classmethod
    def create(
        cls,
        environ: Mapping[str, str],
        *,
        secret: str | None = None,
        domain: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        max_retry_delay: float | None = None,
        http_client: httpx.AsyncClient | None = None,
        continuation_grace: float = 5.0,
    ) -> Settings:
        """Arguments win over the environment (`RUPT_SECRET`, `RUPT_DOMAIN`, `RUPT_TIMEOUT`)."""
        secret = secret if secret is not None else environ.get("RUPT_SECRET", "")
        if not secret.strip():
            raise RuntimeError("RUPT_SECRET is not set: export your project secret from Rupt")
        if domain is None:
            domain = environ.get("RUPT_DOMAIN") or None
        if timeout is None and environ.get("RUPT_TIMEOUT"):
            try:
                timeout = float(environ["RUPT_TIMEOUT"])
            except ValueError:
                raise RuntimeError("RUPT_TIMEOUT must be a number of seconds") from None
        return cls(
            secret=secret,
            domain=domain,
            timeout=timeout,
            retries=retries,
            max_retry_delay=max_retry_delay,
            http_client=http_client,
            continuation_grace=continuation_grace,
        )

    def open_client(self) -> AsyncRuptAPI:
        """The app's client; options left None keep the SDK's defaults.

        It sends with aiohttp (`rupt-api[aiohttp]`), which the service runs already and which is
        several times faster than httpx's async stack; an injected `http_client` (the tests'
        in-process stand-in) is used as it is.
        """
        options: dict[str, Any] = {
            name: value
            for name, value in [
                ("domain", self.domain),
                ("timeout", self.timeout),
                ("retries", self.retries),
                ("max_retry_delay", self.max_retry_delay),
            ]
            if value is not None
        }
        if self.http_client is not None:
            return AsyncRuptAPI(self.secret, http_client=self.http_client, **options)
        return AsyncRuptAPI(self.secret, transport="aiohttp", **options)


# -- continuations -------------------------------------------------------------------------------


# What a request expected of the evaluation: (user_id, email), email compared without case.
Expectation = tuple[str | None, str | None]


def _expectation(user_id: str | None, email: str | None) -> Expectation:
    return user_id, None if email is None else email.strip().casefold()


@dataclass(frozen=True)
class Settled:
    """How a continuation ended.

    `outcome` is one of `verified`, `already_used`, `not_completed`, `mismatch`, `not_found`,
    `failed`, `timed_out` (the continuation's own backstop) or `abandoned` (the app shut down
    first). `ambiguous` is True for an `already_used` whose earlier attempt may have consumed it.
    """

    evaluation_id: str
    outcome: str
    ambiguous: bool = False


class Continuations:
    """Follows the continuations of timed-out verifications, for as long as the app runs.

    - Each followed continuation is a task kept referenced here (an unreferenced task can be
      garbage-collected mid-flight) and awaited or cancelled on shutdown, never left pending.
    - Each outcome is logged and kept in `settled` (the most recent ones).
    - A late `verified` is remembered for `LATE_VERIFIED_TTL` seconds: the user's retry gets a 409
      from Rupt (this app consumed the evaluation), and `claim` turns it into a success, once.

    The memory is per process. With several workers, keep late verifications in a shared store
    (Redis, the database) keyed by evaluation id, so a retry reaching another worker finds it.
    """

    def __init__(self, ttl: float = LATE_VERIFIED_TTL) -> None:
        self.settled: collections.deque[Settled] = collections.deque(maxlen=SETTLED_KEPT)
        self._ttl = ttl
        self._tasks: set[asyncio.Task[None]] = set()
        self._late: dict[str, tuple[Expectation, float]] = {}

    @property
    def pending(self) -> int:
        """How many continuations are still running."""
        return len(self._tasks)

    def follow(
        self, evaluation_id: str, expectation: Expectation, continuation: asyncio.Future[Any]
    ) -> None:
        """Start following `continuation` (from a `RuptTimeoutError`) in the background."""
        task = asyncio.get_running_loop().create_task(
            self._settle(evaluation_id, expectation, continuation),
            name=f"rupt-continuation {evaluation_id}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def claim(self, evaluation_id: str, expectation: Expectation) -> bool:
        """Whether a late verification of this evaluation, for the same user, was waiting.

        True at most once per evaluation: the claim removes it.
        """
        self._prune()
        waiting = self._late.get(evaluation_id)
        if waiting is None or waiting[0] != expectation:
            return False
        del self._late[evaluation_id]
        return True

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every continuation followed so far has settled (or `timeout` passes)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def aclose(self, grace: float) -> None:
        """Shutdown: give running continuations `grace` seconds, then cancel the rest."""
        await self.drain(grace)
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _settle(
        self, evaluation_id: str, expectation: Expectation, continuation: asyncio.Future[Any]
    ) -> None:
        try:
            await continuation
        except asyncio.CancelledError:
            self._record(Settled(evaluation_id, "abandoned"))
            raise
        except ChallengeAlreadyUsedError as err:
            # Often *this* app's interrupted attempt consumed it; then nobody can tell whether
            # the challenge was completed: the user starts again.
            ambiguous = err.earlier_attempt_unknown
            self._record(Settled(evaluation_id, "already_used", ambiguous=ambiguous))
        except ChallengeNotCompletedError:
            self._record(Settled(evaluation_id, "not_completed"))
        except ChallengeMismatchError:
            self._record(Settled(evaluation_id, "mismatch"))
        except RuptTimeoutError:
            self._record(Settled(evaluation_id, "timed_out"))
        except RuptApiError as err:
            self._record(Settled(evaluation_id, "not_found" if err.status == 404 else "failed"))
        except RuptError:
            self._record(Settled(evaluation_id, "failed"))
        else:
            self._prune()
            self._late[evaluation_id] = (expectation, time.monotonic() + self._ttl)
            self._record(Settled(evaluation_id, "verified"))

    def _record(self, settled: Settled) -> None:
        self.settled.append(settled)
        logger.info(
            "late outcome of a timed-out verification: evaluation %s %s%s",
            settled.evaluation_id,
            settled.outcome,
            " (ambiguous)" if settled.ambiguous else "",
        )

    def _prune(self) -> None:
        now = time.monotonic()
        for evaluation_id in [key for key, (_, until) in self._late.items() if until <= now]:
            del self._late[evaluation_id]


# -- the app -------------------------------------------------------------------------------------

SETTINGS = web.AppKey("settings", Settings)
RUPT = web.AppKey("rupt", AsyncRuptAPI)
CONTINUATIONS = web.AppKey("continuations", Continuations)


def create_app(
    *,
    secret: str | None = None,
    domain: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    max_retry_delay: float | None = None,
    http_client: httpx.AsyncClient | None = None,
    continuation_grace: float = 5.0,
    environ: Mapping[str, str] | None = None,
) -> web.Application:
    """The service. Configured from the environment, or from the arguments (they win).

    `http_client` is injected as is (tests pass one over `FakeRupt.transport()`); the SDK never
    closes a client it was given, so whoever created it closes it.
    """
    settings = Settings.create(
        os.environ if environ is None else environ,
        secret=secret,
        domain=domain,
        timeout=timeout,
        retries=retries,
        max_retry_delay=max_retry_delay,
        http_client=http_client,
        continuation_grace=continuation_grace,
    )
    app = web.Application()
    app[SETTINGS] = settings
    app[CONTINUATIONS] = Continuations()
    app.cleanup_ctx.append(_rupt_client)
    app.router.add_post("/verify-challenge", verify_challenge)
    return app


async def _rupt_client(app: web.Application) -> AsyncIterator[None]:
    """One AsyncRuptAPI for the app's lifetime: opened on the serving loop, closed on shutdown."""
    settings = app[SETTINGS]
    rupt = settings.open_client()
    app[RUPT] = rupt
    try:
        yield
    finally:
        # Continuations use the client's pool: let them finish (or cancel them) before closing.
        await app[CONTINUATIONS].aclose(settings.continuation_grace)
        await rupt.aclose()


# -- the endpoint --------------------------------------------------------------------------------


class _BadRequest(Exception):
    """The request body is not what the endpoint takes; the message is safe to show."""


def _read_body(body: object) -> tuple[str, str | None, str | None]:
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    evaluation_id = body.get("evaluation_id")
    if not isinstance(evaluation_id, str) or not evaluation_id.strip():
        raise _BadRequest("evaluation_id is required")
    identity: list[str | None] = []
    for name in ("email", "user_id"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise _BadRequest(f"{name} must be a string")
        identity.append(value or None)
    if identity == [None, None]:
        # verify_challenge checks the identity, as Rupt's guide does: one of them is required.
        raise _BadRequest("email or user_id is required")
    return evaluation_id, identity[0], identity[1]


def _answer(status: int, body: dict[str, Any], **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers or None)


def _verified(evaluation_id: str) -> web.Response:
    return _answer(200, {"status": "verified", "evaluation_id": evaluation_id})


def _unavailable(retry_after: float | None) -> web.Response:
    seconds = RETRY_AFTER_DEFAULT if retry_after is None else math.ceil(retry_after)
    seconds = min(max(seconds, 1), RETRY_AFTER_MAX)
    body = {"status": "unavailable", "error": "Could not verify the challenge now; try again."}
    return _answer(503, body, **{"Retry-After": str(seconds)})


async def verify_challenge(request: web.Request) -> web.Response:
    """`POST /verify-challenge` `{"evaluation_id": ..., "email"?: ..., "user_id"?: ...}`.

    At least one of `email` and `user_id` is required: the evaluation must be about that user.
    """
    try:
        evaluation_id, email, user_id = _read_body(await request.json())
    except ValueError:  # not JSON, or not UTF-8
        return _answer(400, {"status": "bad_request", "error": "the body must be JSON"})
    except _BadRequest as err:
        return _answer(400, {"status": "bad_request", "error": str(err)})

    rupt = request.app[RUPT]
    try:
        await rupt.verify_challenge(evaluation_id, action=ACTION, user_id=user_id, email=email)
    except ValueError:
        # The SDK refuses a malformed id (`..`, control characters, too long) before sending.
        return _answer(400, {"status": "bad_request", "error": "evaluation_id is not valid"})
    except RuptError as err:
        return _refusal(request.app, evaluation_id, _expectation(user_id, email), err)
    # Honour the action here (issue the session, ...): the evaluation was consumed and checked.
    return _verified(evaluation_id)


def _refusal(
    app: web.Application, evaluation_id: str, expectation: Expectation, err: RuptError
) -> web.Response:
    """The answer when `verify_challenge` raised `err`: never its text, never the secret."""
    if isinstance(err, ChallengeAlreadyUsedError):
        return _already_used(app, evaluation_id, expectation)
    if isinstance(err, ChallengeNotCompletedError):
        return _answer(403, {"status": "challenge_required", "redirect": err.redirect})
    if isinstance(err, ChallengeMismatchError):
        # Which field differs is for the logs; neither it nor any value goes to the client.
        logger.warning("evaluation %s: %s mismatch", evaluation_id, err.field)
        return _answer(403, {"status": "rejected", "error": "integrity mismatch"})
    if isinstance(err, RuptTimeoutError):
        # Answer now; the consume goes on in the background and may still succeed: follow it.
        if isinstance(err.continuation, asyncio.Future):
            app[CONTINUATIONS].follow(evaluation_id, expectation, err.continuation)
        return _unavailable(None)
    if isinstance(err, RuptNetworkError):
        return _unavailable(None)
    return _failure(evaluation_id, err)


def _already_used(
    app: web.Application, evaluation_id: str, expectation: Expectation
) -> web.Response:
    """Rupt says consumed: a replay, unless this app verified it late for this very user."""
    if app[CONTINUATIONS].claim(evaluation_id, expectation):
        # A continuation of this user's earlier, timed-out request verified it: honour it once.
        return _verified(evaluation_id)
    body = {"status": "already_used", "error": "This challenge was already used. Start again."}
    return _answer(409, body)


def _failure(evaluation_id: str, err: RuptError) -> web.Response:
    """Rupt answered an error status (or an unreadable 2xx)."""
    if isinstance(err, RuptApiError):
        if err.status == 404:
            return _answer(404, {"status": "not_found", "error": "evaluation not found"})
        if err.status >= 500 or err.status == 429:
            return _unavailable(err.retry_after)
    # 401/403 (this service's secret or configuration is wrong), a bad 2xx: not the user's fault.
    logger.error("verifying evaluation %s failed: %r", evaluation_id, err)
    return _answer(502, {"status": "error", "error": "Could not verify the challenge."})


# -- running it ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m examples.aiohttp_service [--host H] [--port P]`, configured from RUPT_*."""
    parser = argparse.ArgumentParser(
        prog="python -m examples.aiohttp_service",
        description="Serve POST /verify-challenge (RUPT_SECRET, RUPT_DOMAIN, RUPT_TIMEOUT).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request is noise here
    web.run_app(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
