"""`AsyncRuptAPI`: the asyncio client, for aiohttp services and other async apps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import httpx

from . import _operations as ops
from ._base import BaseClient, expect_bool, expect_http_client
from ._call import Answer, Call, DeadlinePassed, Resume
from ._config import (
    DEFAULT_MAX_RETRY_DELAY,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._continuation import StillRunning, cancel_at, run_waited_async, start_in_background_async
from ._decoding import aread_body
from ._exceptions import RuptApiError, RuptTimeoutError
from ._handoff import HandOff, current_exchange
from ._inline import Inline, LeftRunning
from ._transport import AsyncPool, async_client_factory
from ._verify import Expected

if TYPE_CHECKING:
    from ._generated.models import Challenge, Device, Evaluation


def _ends_by_the_backstop(
    call: Call, continuation: asyncio.Future[Any], attempts: int | None = None
) -> RuptTimeoutError:
    """The caller's timeout, with `continuation`, the call's task, cancelled if it is still
    running at the backstop (its reads are bounded, but inside a transport an answer trickled a
    byte at a time, each read in time, could go on for ever): that ends it as `_continue` says."""
    cancel_at(continuation, call.backstop, call.mark_past_backstop)
    return call.timeout_error(continuation, attempts)


class AsyncRuptAPI(BaseClient):
    """Rupt's server API, for asyncio.

    Create one per process (for aiohttp, in a `cleanup_ctx`) and share it between tasks; used
    from a new event loop, it opens a new connection pool there.

        async with AsyncRuptAPI() as rupt:  # the secret from the RUPT_SECRET environment variable
            evaluation = await rupt.consume_evaluation(evaluation_id)

    Args:
        secret: the project secret from Rupt's dashboard (default: the `RUPT_SECRET` environment
            variable). Keep it on the server.
        domain: the API host (`https://` is added), or a full `http://` / `https://` base URL
            (default: the `RUPT_DOMAIN` environment variable, else `api.rupt.dev`).
        timeout: seconds (not milliseconds: at most 300) before a call gives up, across all its
            attempts and backoff sleeps.
        retries: how many times a network error or a 5xx answer is retried.
        max_retry_delay: the longest wait between two attempts, in seconds (at most 300).
        http_client: an `httpx.AsyncClient` to send requests with (its transport, pool,
            proxies and event hooks are used; URLs, authentication and timeouts still come
            from the SDK). Calls through it run in the background while the caller waits for
            what is left of `timeout`. The SDK does not close a client it was given.
        trust_env: honour the environment's proxies (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`,
            `NO_PROXY`) and CA bundle (`SSL_CERT_FILE`, `SSL_CERT_DIR`) as httpx does; False
            ignores them. A setting that cannot be used is a `ValueError` naming the variable.
            Applies to the SDK's own pool, not to an `http_client` given.
        transport: (AsyncRuptAPI only) `"httpx"` (the default) sends with httpx's own async
            stack; `"aiohttp"` with aiohttp (install `rupt-api[aiohttp]`), several times faster
            under load and what an aiohttp service already runs. Every behaviour is the same on
            both.

    Cancelling the task that awaits a call cancels its request.
    """

    def __init__(
        self,
        secret: str | None = None,
        *,
        domain: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        max_retry_delay: float = DEFAULT_MAX_RETRY_DELAY,
        http_client: httpx.AsyncClient | None = None,
        transport: Literal["httpx", "aiohttp"] = "httpx",
        trust_env: bool = True,
    ) -> None:
        self._configure(
            secret, domain=domain, timeout=timeout, retries=retries, max_retry_delay=max_retry_delay
        )
        http_client = expect_http_client(http_client, httpx.AsyncClient)
        new_client = async_client_factory(transport, http_client, expect_bool(trust_env))
        self._pool = AsyncPool(http_client, new_client)

    # -- the API ---------------------------------------------------------------------------------

    async def get_evaluation(self, evaluation_id: str) -> Evaluation:
        """Read an evaluation (without consuming it)."""
        spec = ops.GET_EVALUATION.request(evaluation_id)
        result: Evaluation = await self._call(ops.GET_EVALUATION, spec)
        return result

    async def consume_evaluation(self, evaluation_id: str) -> Evaluation:
        """Read and claim an evaluation in one single-use step; a second consume raises a 409."""
        spec = ops.CONSUME_EVALUATION.request(evaluation_id)
        result: Evaluation = await self._call(ops.CONSUME_EVALUATION, spec)
        return result

    async def get_challenge(self, challenge_id: str) -> Challenge:
        """Read a challenge's details."""
        spec = ops.GET_CHALLENGE.request(challenge_id)
        result: Challenge = await self._call(ops.GET_CHALLENGE, spec)
        return result

    async def get_user_devices(self, user: str) -> list[Device]:
        """List the devices Rupt has seen `user` (your app's id for the user) on."""
        spec = ops.GET_USER_DEVICES.request(user)
        result: list[Device] = await self._call(ops.GET_USER_DEVICES, spec)
        return result

    async def update_user(
        self,
        user: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        metadata: dict[str, Any] | None = None,
        groups: list[Any] | None = None,
    ) -> None:
        """Write the given fields on `user`; fields left out are untouched.

        `groups` is a list of `rupt_api.models.Group` or of dicts with at least an `id`.
        """
        spec = ops.UPDATE_USER.request(
            user, email=email, phone=phone, metadata=metadata, groups=groups
        )
        await self._call(ops.UPDATE_USER, spec)

    async def verify_challenge(
        self,
        evaluation_id: str,
        *,
        action: str,
        user_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        metadata: dict[str, Any] | None = None,
        evaluation_metadata: dict[str, Any] | None = None,
    ) -> Evaluation:
        """Step 4 of Rupt's challenge flow in one call: consume, then check, then return.

        Consumes the evaluation (single use) and returns it only if its challenge is `completed`
        and it is about what you expected, the checks of Rupt's guide:

        - `action` (required): `evaluation.action`, such as "login" or "signup";
        - the identity, at least one of `user_id` (your id, `evaluation.user.id`), `email`
          (compared without case) and `phone`; a signup without a user id passes the email;
        - `metadata`: each key given must equal `evaluation.user.metadata[key]`;
        - `evaluation_metadata`: each key given must equal the evaluation's own `metadata[key]`.

        Otherwise raises, all `RuptVerificationError`:

        - `ChallengeAlreadyUsedError`: consumed before (409), a replayed success URL;
        - `ChallengeNotCompletedError`: no completed challenge; send the user to `err.redirect`;
        - `ChallengeMismatchError`: `err.field` differs (values are never echoed).

        Missing or empty expectations raise `TypeError`/`ValueError` before anything is sent. Other
        failures raise as in `consume_evaluation`; after a timeout, `err.continuation` resolves to
        the verified evaluation or fails with one of the errors above.
        """
        expected = Expected.create(
            action=action,
            user_id=user_id,
            email=email,
            phone=phone,
            metadata=metadata,
            evaluation_metadata=evaluation_metadata,
        )
        try:
            consumed: Evaluation | RuptApiError = await self.consume_evaluation(evaluation_id)
        except RuptApiError as err:
            consumed = err
        except RuptTimeoutError as err:
            if isinstance(err.continuation, asyncio.Future):
                settled = expected.settle_awaitable(err.continuation)
                err.continuation = start_in_background_async(settled)
            raise
        return expected.settle(consumed)

    # -- lifecycle -------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_pool:
            await self._pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the call --------------------------------------------------------------------------------

    async def _call(self, operation: ops.Operation, spec: ops.RequestSpec) -> Any:
        # Each event loop has its own lane of the pool (client, gate), watched or not.
        lane = self._pool.for_running_loop()
        call = Call(self._options, operation, spec, watched=lane.watched)
        if lane.watched:
            # The network backend bounds every socket operation by the deadline and hands a
            # cut-off request to the continuation: no cancellation, the call runs right here.
            try:
                return await self._run(call, self._attempt)
            except DeadlinePassed:
                raise self._timed_out(call, self._continue(call)) from None
        if lane.send_call is not None:
            # The aiohttp transport: the call runs in this task too. Until its request is sent,
            # every wait (the gate, a connect, a backoff sleep) ends at the deadline, and a
            # continuation sends it; once sent, the same request goes on in a task of its own.
            try:
                return await Inline(self._run(call, self._attempt), call.deadline, lane.alarm)
            except DeadlinePassed:
                raise self._timed_out(call, self._continue(call)) from None
            except LeftRunning as left:
                left.bound(call.time_left())  # the answer's reads end at the backstop
                raise self._timed_out(call, self._continue(call, left.rest)) from None
        # An injected client's transport cannot be interrupted without cutting its request
        # short: the call runs as a task, the caller waits for what is left and never cancels it.
        call.give_up_waiting()
        remaining = max(call.deadline - time.monotonic(), 0.0)
        try:
            return await run_waited_async(self._continue(call), remaining)
        except StillRunning as running:
            task = running.future
            assert isinstance(task, asyncio.Future)
            raise _ends_by_the_backstop(call, task) from None

    @staticmethod
    def _timed_out(call: Call, rest: Coroutine[Any, Any, Any]) -> RuptTimeoutError:
        """The caller's timeout, the rest of the call going on in the background."""
        call.give_up_waiting()
        attempts = call.attempts  # before the continuation can start another
        return _ends_by_the_backstop(call, start_in_background_async(rest), attempts)

    async def _continue(self, call: Call, rest: Awaitable[Any] | None = None) -> Any:
        """The rest of a call nobody waits for (or for which a caller waits on its task):
        `rest` if the deadline left it running, else what `call.resume()` says."""
        try:
            if rest is not None:
                return await rest
            if call.resume() == Resume.FINISH:
                return await self._run(call, self._finish)
            if call.pending_sleep:
                await self._sleep(call, call.pending_sleep)
            return await self._run(call, self._attempt)
        except DeadlinePassed:
            raise call.timeout_error(None) from None
        except asyncio.CancelledError:
            if not call.past_backstop:
                raise
            raise call.timeout_error(None) from None

    async def _run(self, call: Call, first: Callable[[Call], Awaitable[Any]]) -> Any:
        try:
            return await first(call)
        except Exception as error:
            if not self._policy.should_retry(call, error):
                raise
            replay = [error]  # tenacity's first iteration re-raises it (see RetryPolicy)
        retrying = self._policy.async_retrying(call, lambda seconds: self._sleep(call, seconds))
        async for attempt in retrying:
            with attempt:
                if replay:
                    raise replay.pop()
                return await self._attempt(call)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _attempt(self, call: Call) -> Any:
        if self._pool.closed:
            raise call.closed_error()
        lane = self._pool.for_running_loop()
        timeout = call.next_attempt()
        started = time.perf_counter()
        try:
            await lane.enter(call.limit)
        except httpx.PoolTimeout as exc:
            call.fail(exc, started)
        # Only the network backend of the SDK's own pool reads it.
        watching = current_exchange.set(call.exchange) if call.watched else None
        answer: Answer
        try:
            if lane.send_call is None:
                request = call.timed_request(timeout)
                response = await lane.client.send(request, stream=True, follow_redirects=False)
                try:
                    content = await aread_body(call, response)
                finally:
                    await response.aclose()
                answer = response
            else:  # the aiohttp transport: no httpx Request or Response
                answer, content = await lane.send_call(call, timeout)
        except HandOff as handoff:
            call.hand_off(handoff.exchange)
        except Exception as exc:
            call.fail(self._pool.loop_error(exc) or exc, started)
        finally:
            if watching is not None:
                current_exchange.reset(watching)
            lane.leave()
        return call.result(answer, content, started)

    async def _finish(self, call: Call) -> Any:
        """Finish the attempt the deadline handed off, on its own connection."""
        from ._deadline_backend import finish_async  # noqa: PLC0415 - loaded with the pool

        exchange = call.take_handed_off()
        started = time.perf_counter()
        try:
            response = await finish_async(exchange, call.request)
            content = await aread_body(call, response)
        except Exception as exc:
            call.fail(exc, started)
        return call.result(response, content, started)

    @staticmethod
    async def _sleep(call: Call, seconds: float) -> None:
        duration, deadline_passes = call.sleep_plan(seconds)
        await asyncio.sleep(duration)
        if deadline_passes:
            raise DeadlinePassed
