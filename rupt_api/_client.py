"""`RuptAPI`: the synchronous client, for Django views, scripts and worker threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from . import _operations as ops
from ._base import BaseClient, expect_bool, expect_http_client
from ._call import Call, DeadlinePassed, Resume
from ._config import (
    DEFAULT_MAX_RETRY_DELAY,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._decoding import read_body
from ._exceptions import RuptApiError, RuptTimeoutError
from ._handoff import HandOff, current_exchange
from ._transport import SyncPool
from ._verify import Expected

if TYPE_CHECKING:
    from ._generated.models import Challenge, Device, Evaluation


class RuptAPI(BaseClient):
    """Rupt's server API, synchronously.

    Create one per process and share it: it is safe to use from many threads at once, and keeps
    working in a child process after `os.fork()`.

        rupt = RuptAPI()  # the secret from the RUPT_SECRET environment variable
        evaluation = rupt.consume_evaluation(evaluation_id)

    Args:
        secret: the project secret from Rupt's dashboard (default: the `RUPT_SECRET` environment
            variable). Keep it on the server.
        domain: the API host (`https://` is added), or a full `http://` / `https://` base URL
            (default: the `RUPT_DOMAIN` environment variable, else `api.rupt.dev`).
        timeout: seconds (not milliseconds: at most 300) before a call gives up, across all its
            attempts and backoff sleeps.
        retries: how many times a network error or a 5xx answer is retried.
        max_retry_delay: the longest wait between two attempts, in seconds (at most 300).
        http_client: an `httpx.Client` to send requests with (its transport, pool,
            proxies and event hooks are used; URLs, authentication and timeouts still come
            from the SDK). Calls through it run in the background while the caller waits for
            what is left of `timeout`. The SDK does not close a client it was given.
        trust_env: honour the environment's proxies (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`,
            `NO_PROXY`) and CA bundle (`SSL_CERT_FILE`, `SSL_CERT_DIR`) as httpx does; False
            ignores them. A setting that cannot be used is a `ValueError` naming the variable.
            Applies to the SDK's own pool, not to an `http_client` given.
    """

    def __init__(
        self,
        secret: str | None = None,
        *,
        domain: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        max_retry_delay: float = DEFAULT_MAX_RETRY_DELAY,
        http_client: httpx.Client | None = None,
        trust_env: bool = True,
    ) -> None:
        self._configure(
            secret, domain=domain, timeout=timeout, retries=retries, max_retry_delay=max_retry_delay
        )
        self._pool = SyncPool(expect_http_client(http_client, httpx.Client), expect_bool(trust_env))

    # -- the API ---------------------------------------------------------------------------------

    def get_evaluation(self, evaluation_id: str) -> Evaluation:
        """Read an evaluation (without consuming it)."""
        result: Evaluation = self._call(
            ops.GET_EVALUATION, ops.GET_EVALUATION.request(evaluation_id)
        )
        return result

    def consume_evaluation(self, evaluation_id: str) -> Evaluation:
        """Read and claim an evaluation in one single-use step; a second consume raises a 409."""
        spec = ops.CONSUME_EVALUATION.request(evaluation_id)
        result: Evaluation = self._call(ops.CONSUME_EVALUATION, spec)
        return result

    def get_challenge(self, challenge_id: str) -> Challenge:
        """Read a challenge's details."""
        result: Challenge = self._call(ops.GET_CHALLENGE, ops.GET_CHALLENGE.request(challenge_id))
        return result

    def get_user_devices(self, user: str) -> list[Device]:
        """List the devices Rupt has seen `user` (your app's id for the user) on."""
        result: list[Device] = self._call(ops.GET_USER_DEVICES, ops.GET_USER_DEVICES.request(user))
        return result

    def update_user(
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
        self._call(ops.UPDATE_USER, spec)

    def verify_challenge(
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
            consumed: Evaluation | RuptApiError = self.consume_evaluation(evaluation_id)
        except RuptApiError as err:
            consumed = err
        except RuptTimeoutError as err:
            if err.continuation is not None:
                from ._continuation import then  # noqa: PLC0415 - see _call

                err.continuation = then(err.continuation, expected.settle_future)
            raise
        return expected.settle(consumed)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_pool:
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the call --------------------------------------------------------------------------------

    def _call(self, operation: ops.Operation, spec: ops.RequestSpec) -> Any:
        pool = self._pool
        call = Call(self._options, operation, spec, watched=pool.watched)
        if pool.watched:
            # The network backend bounds every socket operation by the deadline and hands a
            # cut-off request to the continuation: the call runs right here.
            try:
                return self._run(call, self._attempt)
            except DeadlinePassed:
                # Imported only once a deadline passes: it brings concurrent.futures and threads.
                from ._continuation import start_in_background  # noqa: PLC0415

                call.give_up_waiting()
                attempts = call.attempts  # before the continuation can start another
                continuation = start_in_background(lambda: self._continue(call))
                raise call.timeout_error(continuation, attempts) from None
        # An injected client's transport cannot be interrupted without cutting its request
        # short: the call runs on a helper thread, the caller waits for what is left.
        from ._continuation import StillRunning, run_waited  # noqa: PLC0415

        call.give_up_waiting()
        try:
            return run_waited(
                lambda: self._continue(call), max(call.deadline - time.monotonic(), 0.0)
            )
        except StillRunning as running:
            raise call.timeout_error(running.future) from None

    def _continue(self, call: Call) -> Any:
        """The rest of a call nobody waits for (or for which a caller waits on a future)."""
        try:
            if call.resume() == Resume.FINISH:
                return self._run(call, self._finish)
            if call.pending_sleep:
                self._sleep(call, call.pending_sleep)
            return self._run(call, self._attempt)
        except DeadlinePassed:
            raise call.timeout_error(None) from None

    def _run(self, call: Call, first: Callable[[Call], Any]) -> Any:
        try:
            return first(call)
        except Exception as error:
            if not self._policy.should_retry(call, error):
                raise
            replay = [error]  # tenacity's first iteration re-raises it (see RetryPolicy)
        retrying = self._policy.retrying(call, lambda seconds: self._sleep(call, seconds))
        for attempt in retrying:
            with attempt:
                if replay:
                    raise replay.pop()
                return self._attempt(call)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _attempt(self, call: Call) -> Any:
        if self._pool.closed:
            raise call.closed_error()
        request = call.next_request()
        started = time.perf_counter()
        pool = self._pool
        try:
            pool.enter(call.limit)
        except httpx.PoolTimeout as exc:
            call.fail(exc, started)
        # Only the network backend of the SDK's own pool reads it.
        watching = current_exchange.set(call.exchange) if call.watched else None
        try:
            response = pool.client.send(request, stream=True, follow_redirects=False)
            try:
                content = read_body(call, response)
            finally:
                response.close()
        except HandOff as handoff:
            call.hand_off(handoff.exchange)
        except Exception as exc:
            call.fail(exc, started)
        finally:
            if watching is not None:
                current_exchange.reset(watching)
            pool.leave()
        return call.result(response, content, started)

    def _finish(self, call: Call) -> Any:
        """Finish the attempt the deadline handed off, on its own connection."""
        from ._deadline_backend import finish_sync  # noqa: PLC0415 - loaded with the pool

        exchange = call.take_handed_off()
        started = time.perf_counter()
        try:
            response = finish_sync(exchange, call.request)
            content = read_body(call, response)
        except Exception as exc:
            call.fail(exc, started)
        return call.result(response, content, started)

    @staticmethod
    def _sleep(call: Call, seconds: float) -> None:
        duration, deadline_passes = call.sleep_plan(seconds)
        time.sleep(duration)
        if deadline_passes:
            raise DeadlinePassed
