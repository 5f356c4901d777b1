"""`AsyncRuptAPI`: the asyncio client, for aiohttp services and other async apps."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import httpx

from . import _operations as ops
from ._base import BaseClient, expect_bool, expect_http_client
from ._call import Call, DeadlinePassed
from ._config import (
    DEFAULT_MAX_RETRY_DELAY,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._continuation import BACKSTOP_SECONDS
from ._decoding import aread_body
from ._exceptions import RuptApiError, RuptError, RuptTimeoutError
from ._transport import async_client_factory
from ._verify import Expected

if TYPE_CHECKING:
    from ._generated.models import Challenge, Device, Evaluation

T = TypeVar("T")


# Continuations still running, referenced so they are not collected mid-flight.
_continuations: set[asyncio.Task[Any]] = set()


def _forget(task: asyncio.Task[Any]) -> None:
    _continuations.discard(task)
    if not task.cancelled():
        task.exception()  # mark it retrieved: an ignored continuation must stay quiet


def start_task(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run a continuation as a task on the running loop, referenced until it ends."""
    task = asyncio.get_running_loop().create_task(coro)
    _continuations.add(task)
    task.add_done_callback(_forget)
    return task


class _AsyncPool:
    """The httpx.AsyncClient an `AsyncRuptAPI` and its `with_options` copies share, per loop.

    An httpx.AsyncClient's connections belong to the event loop that opened them, so an owned
    pool keeps one client per loop (pytest's per-test loops, one `asyncio.run()` per celery
    task, threads each running a loop). Each closes with its loop: an async generator started
    on the loop stays suspended until the loop shuts down its async generators (as
    `asyncio.run()` does before closing the loop), and its `finally` closes that loop's client
    on that loop. A loop closed without that shutdown is forgotten when a new loop comes (its
    sockets are then the garbage collector's), so a process cycling through loops keeps file
    descriptors and memory bounded. An injected client is used as it is, on any loop.
    """

    def __init__(
        self, http_client: httpx.AsyncClient | None, new_client: Callable[[], httpx.AsyncClient]
    ) -> None:
        self.owned = http_client is None
        self._new_client = new_client
        # The client of the loop used last; the first is made here, so that the environment is
        # checked when the AsyncRuptAPI is created.
        self.client = new_client() if http_client is None else http_client
        self._unbound: httpx.AsyncClient | None = self.client if self.owned else None
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._keepers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = {}
        self.closed = False

    def for_running_loop(self) -> httpx.AsyncClient:
        if not self.owned:
            return self.client
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            self._forget_closed_loops()
            client, self._unbound = self._unbound or self._new_client(), None
            self._clients[loop] = client
            self._close_with(loop, client)
        self.client = client
        return client

    def _close_with(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        async def keeper() -> AsyncGenerator[None, None]:
            try:
                yield
            finally:
                self._clients.pop(loop, None)
                self._keepers.pop(loop, None)
                if not loop.is_closed():  # shutting down (or aclose): close it on its loop
                    await client.aclose()

        generator = keeper()
        # Its first step registers it with the running loop (its async generator hooks).
        with contextlib.suppress(StopIteration):
            generator.asend(None).send(None)
        self._keepers[loop] = generator

    def _forget_closed_loops(self) -> None:
        # Loops closed without shutting down their async generators: their closers never ran.
        # Dropped, a closer is not run through its dead loop (asyncio skips closed loops).
        for loop in [loop for loop in self._clients if loop.is_closed()]:
            self._clients.pop(loop, None)
            self._keepers.pop(loop, None)

    def loop_error(self, error: Exception) -> RuptError | None:
        """A clear error for an injected client whose connections belong to another loop."""
        if self.owned or not isinstance(error, RuntimeError) or "loop" not in str(error):
            return None
        clear = RuptError(
            "the http_client given to AsyncRuptAPI belongs to another event loop (one that has"
            " closed, or is not running here); create the httpx.AsyncClient and the AsyncRuptAPI"
            " on the loop that uses them, for example in your app's startup"
        )
        clear.__cause__ = error
        return clear

    async def aclose(self) -> None:
        self.closed = True
        if not self.owned:
            return
        keeper = self._keepers.get(asyncio.get_running_loop())
        if keeper is not None:
            await keeper.aclose()  # closes this loop's client
        if self._unbound is not None:
            await self._unbound.aclose()
        # Clients of other loops that are still running close when those loops shut down.


class AsyncRuptAPI(BaseClient):
    """Rupt's server API, for asyncio.

    Create one per process (for aiohttp, in a `cleanup_ctx`) and share it between tasks.

        async with AsyncRuptAPI() as rupt:  # the secret from RUPT_SECRET
            evaluation = await rupt.consume_evaluation(evaluation_id)

    Takes the same arguments as `RuptAPI`; `http_client` is then an `httpx.AsyncClient`.
    Cancelling the task that awaits a call cancels its request.

    Args:
        transport: `"httpx"` (the default) sends with httpx's own async stack; `"aiohttp"` with
            aiohttp (install `rupt-api[aiohttp]`), several times faster under load and what an
            aiohttp service already runs. Every behaviour is the same on both.
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
        self._pool = _AsyncPool(http_client, new_client)

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
        """Step 4 of Rupt's challenge flow in one call; see `RuptAPI.verify_challenge`.

        `action` and at least one of `user_id`, `email`, `phone` are required; `metadata` is
        compared with `evaluation.user.metadata`, `evaluation_metadata` with the evaluation's own.
        Raises `ChallengeAlreadyUsedError`, `ChallengeNotCompletedError` or
        `ChallengeMismatchError` (all `RuptVerificationError`) when the action must not be
        honoured; after a timeout, `await err.continuation` gives the verified evaluation.
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
                err.continuation = start_task(expected.settle_awaitable(err.continuation))
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
        call = Call(self._options, operation, spec)
        try:
            return await self._run(call)
        except DeadlinePassed:
            call.restart(BACKSTOP_SECONDS)
            raise call.timeout_error(start_task(self._continue(call))) from None

    async def _continue(self, call: Call) -> Any:
        try:
            if call.pending_sleep:
                await self._sleep(call, call.pending_sleep)
            return await self._run(call)
        except DeadlinePassed:
            raise call.timeout_error(None) from None

    async def _run(self, call: Call) -> Any:
        try:
            return await self._attempt(call)
        except Exception as error:
            if not self._policy.should_retry(call.attempts, error):
                raise
            replay = [error]  # tenacity's first iteration re-raises it (see RetryPolicy)
        retrying = self._policy.async_retrying(
            lambda: call.attempts, lambda seconds: self._sleep(call, seconds)
        )
        async for attempt in retrying:
            with attempt:
                if replay:
                    raise replay.pop()
                return await self._attempt(call)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _attempt(self, call: Call) -> Any:
        if self._pool.closed:
            raise call.closed_error()
        request = call.next_request()
        client = self._pool.for_running_loop()
        started = time.perf_counter()
        loop_deadline = asyncio.get_running_loop().time() + (call.deadline - time.monotonic())
        try:
            async with asyncio.timeout_at(loop_deadline):
                response = await client.send(request, stream=True, follow_redirects=False)
                try:
                    content = await aread_body(call, response)
                finally:
                    await response.aclose()
        except TimeoutError:
            # asyncio.timeout cut the attempt short at the deadline, wherever it was.
            call.unknown_fate = True
            call.fail(DeadlinePassed(), started)
        except Exception as exc:
            call.fail(self._pool.loop_error(exc) or exc, started)
        return call.result(response, content, started)

    @staticmethod
    async def _sleep(call: Call, seconds: float) -> None:
        duration, deadline_passes = call.sleep_plan(seconds)
        await asyncio.sleep(duration)
        if deadline_passes:
            raise DeadlinePassed
