"""A timeout lets the request it cut off finish, and nothing is ever sent twice.

Every test counts what the loopback server received: what Rupt sees is the contract. Each runs
on both surfaces and, where it applies, with both pool kinds: the SDK's own pool (whose network
backend hands the cut-off connection to the continuation) and an injected `http_client` (whose
call runs in the background from the start).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rupt_api import (
    AsyncRuptAPI,
    Evaluation,
    RuptAPI,
    RuptApiError,
    RuptNetworkError,
    RuptTimeoutError,
)
from rupt_api.testing import Fault
from tests.reliability._fault_server import Connection, FaultServer, Seen, respond
from tests.reliability._slow_server import slow_server
from tests.timing import Reference

from .conftest import ASYNC_TRANSPORTS, SECRET, LiveSurface

PRECISION = 0.05  # a single call raises within this much of its deadline (loaded 2 cores)


def _sent(fake: Any, fragment: str) -> int:
    return sum(fragment in request.path for request in fake.requests)


# -- the late answer is the answer -----------------------------------------------------------------


def test_a_late_consume_resolves_to_the_consumed_evaluation(
    live: LiveSurface, fake: Any, injected: bool
) -> None:
    evaluation = fake.add_evaluation(challenge_status="completed")
    fake.inject(Fault(delay=0.6))  # Rupt consumes, then answers after the deadline
    client = live.live(timeout=0.2, retries=3, injected=injected)
    reference = Reference(0.2)  # how late this process wakes up meanwhile
    err, elapsed = live.timed(client, "consume_evaluation", evaluation["id"])
    assert 0.2 <= elapsed < 0.2 + PRECISION + reference.lateness()
    assert err.attempts == 1
    consumed = live.outcome(err.continuation)
    assert isinstance(consumed, Evaluation)
    assert (consumed.id, consumed.consumed) == (evaluation["id"], True)
    assert _sent(fake, "/consume") == 1
    # A later consume is a plain replay: 409, and certain.
    with pytest.raises(RuptApiError) as replay:
        live.call(client, "consume_evaluation", evaluation["id"])
    assert (replay.value.status, replay.value.earlier_attempt_unknown) == (409, False)


def test_update_user_is_applied_once(live: LiveSurface, fake: Any, injected: bool) -> None:
    fake.inject(Fault(delay=0.5))
    client = live.live(timeout=0.15, injected=injected)
    err, _ = live.timed(client, "update_user", "user_1", email="new@example.com")
    assert live.outcome(err.continuation) is None
    updates = [request for request in fake.requests if request.path.endswith("/update")]
    assert len(updates) == 1
    assert json.loads(updates[0].body) == {"email": "new@example.com"}


def test_a_timed_out_verify_resolves_to_the_verified_evaluation(
    live: LiveSurface, fake: Any, injected: bool
) -> None:
    evaluation = fake.add_evaluation(challenge_status="completed", user_id="user_1")
    fake.inject(Fault(delay=0.5))
    client = live.live(timeout=0.15, injected=injected)
    login = {"action": "login", "user_id": "user_1"}
    err, _ = live.timed(client, "verify_challenge", evaluation["id"], **login)
    verified = live.outcome(err.continuation)
    assert (verified.id, verified.consumed) == (evaluation["id"], True)
    assert _sent(fake, "/consume") == 1


def test_a_retryable_late_answer_goes_on_with_the_calls_retries(
    live: LiveSurface, fake: Any, injected: bool
) -> None:
    """A 503 that arrives after the deadline is retried by the continuation, with its backoff."""
    evaluation = fake.add_evaluation(verdict="review")
    fake.inject(Fault(status=503, delay=0.4))
    client = live.live(timeout=0.15, retries=2, injected=injected)
    err, _ = live.timed(client, "get_evaluation", evaluation["id"])
    assert live.outcome(err.continuation).verdict == "review"
    assert len(fake.requests) == 2


# -- earlier_attempt_unknown -----------------------------------------------------------------------


@pytest.mark.parametrize("first", ["500", "503", "dropped"])
def test_a_409_after_a_5xx_or_a_lost_answer_may_be_this_calls_own(
    live: LiveSurface, fake: Any, first: str
) -> None:
    evaluation = fake.add_evaluation(challenge_status="completed")
    live.call(live.live(), "consume_evaluation", evaluation["id"])  # consumed: the next is a 409
    fault = Fault(drop=True) if first == "dropped" else Fault(status=int(first))
    fake.inject(fault)
    with pytest.raises(RuptApiError) as info:
        live.call(live.live(retries=1), "consume_evaluation", evaluation["id"])
    assert (info.value.status, info.value.attempts) == (409, 2)
    assert info.value.earlier_attempt_unknown is True
    assert _sent(fake, "/consume") == 3


# -- Retry-After longer than the time left ---------------------------------------------------------


def test_a_retry_after_past_the_time_left_is_raised_at_once(
    live: LiveSurface, fake: Any, injected: bool
) -> None:
    fake.inject(Fault(status=503, headers={"Retry-After": "3"}))
    client = live.live(timeout=1.0, retries=3, max_retry_delay=5.0, injected=injected)
    started = time.monotonic()
    with pytest.raises(RuptApiError) as info:
        live.call(client, "get_evaluation", "e1")
    assert time.monotonic() - started < 0.5
    assert (info.value.status, info.value.retry_after, info.value.attempts) == (503, 3.0, 1)
    assert len(fake.requests) == 1


# -- name resolution -------------------------------------------------------------------------------


@pytest.fixture
def slow_resolver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`localhost` takes 1 s to resolve (a stuck resolver); other names are left alone."""
    original = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("localhost", b"localhost"):  # (anyio asks with the IDNA-encoded bytes)
            asked.append(str(host))
            time.sleep(1.0)
        return original(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_the_deadline_bounds_name_resolution(
    live: LiveSurface, fake: Any, injected: bool, slow_resolver: list[str]
) -> None:
    evaluation = fake.add_evaluation(verdict="allow")
    live.base_url = live.base_url.replace("127.0.0.1", "localhost")
    client = live.live(timeout=0.3, injected=injected)
    reference = Reference(0.3)  # how late this process wakes up meanwhile
    err, elapsed = live.timed(client, "get_evaluation", evaluation["id"])
    assert 0.3 <= elapsed < 0.3 + PRECISION + reference.lateness()
    assert slow_resolver  # the slow resolver was asked
    # Nothing was sent before the deadline: the continuation sends it, once.
    assert live.outcome(err.continuation).verdict == "allow"
    assert len(fake.requests) == 1


def test_the_timeout_counts_the_attempts_sent_before_the_deadline(
    live: LiveSurface, fake: Any, slow_resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was sent when the deadline passed: the error says 0, however fast the
    continuation starts the attempt it owes (it is given a head start here)."""
    from rupt_api import _continuation

    original = _continuation.start_in_background

    def start_then_yield(*args: Any, **kwargs: Any) -> Any:
        started = original(*args, **kwargs)
        time.sleep(0.1)  # the continuation starts its attempt (and waits on the resolver)
        return started

    monkeypatch.setattr(_continuation, "start_in_background", start_then_yield)
    evaluation = fake.add_evaluation(verdict="allow")
    live.base_url = live.base_url.replace("127.0.0.1", "localhost")
    client = live.live(timeout=0.3)
    err, _ = live.timed(client, "get_evaluation", evaluation["id"])
    assert err.attempts == 0
    assert live.outcome(err.continuation).verdict == "allow"
    assert len(fake.requests) == 1


# -- a request cut off while it was being written --------------------------------------------------


# More than the client's send buffer (at most 4 MB here) and the server's small receive buffer
# hold: the write must wait for the server to read.
BIG = 8 * 1024 * 1024


def _read_all_then_answer(conn: Connection, attempt: int, seen: Seen) -> None:
    respond(conn, 204, "No Content")


@pytest.fixture
def slow_reader() -> Iterator[FaultServer]:
    with FaultServer(max_body=2 * BIG, receive_buffer=64 * 1024) as server:
        yield server


@pytest.mark.parametrize("surface", ["sync", "async"])
def test_a_request_cut_off_mid_write_is_finished_not_written_again(
    surface: str, slow_reader: FaultServer
) -> None:
    # The server stops reading after the head for 1.5 s: the 8 MB body is still being written
    # at the 0.3 s deadline. The continuation writes the rest, exactly once.
    slow_reader.register("big", _read_all_then_answer, pause_after_head=1.5)
    blob = "x" * BIG
    options: dict[str, Any] = {"domain": slow_reader.url, "timeout": 0.3, "retries": 0}
    if surface == "sync":
        with RuptAPI(SECRET, **options) as client:
            with pytest.raises(RuptTimeoutError) as info:
                client.update_user("big", metadata={"blob": blob})
            raised_at = time.monotonic()
            assert info.value.continuation.result(timeout=20) is None
    else:

        async def main() -> float:
            async with AsyncRuptAPI(SECRET, **options) as client:
                with pytest.raises(RuptTimeoutError) as info:
                    await client.update_user("big", metadata={"blob": blob})
                raised_at = time.monotonic()
                assert await asyncio.wait_for(info.value.continuation, 20) is None
                return raised_at

        raised_at = asyncio.run(main())
    [seen] = slow_reader.seen("big")
    # Raised at the deadline, while the write was stuck: before the server, back from its
    # pause, had read the body (which the write could not have finished sooner). An order, not
    # a duration: building 8 MB of JSON on a loaded machine takes long and varies.
    assert raised_at < seen.at
    assert len(seen.body) == int(seen.headers["content-length"])
    assert json.loads(seen.body) == {"metadata": {"blob": blob}}


# -- bounded abandoned work ------------------------------------------------------------------------


def test_handed_off_connections_are_bounded(
    live: LiveSurface, fake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the bound, a cut-off request is closed: its continuation says it may have reached
    Rupt, and it is still never sent again."""
    from rupt_api import _deadline_backend

    monkeypatch.setattr(_deadline_backend, "MAX_HANDED_OFF", 2)
    evaluation = fake.add_evaluation()
    fake.inject(Fault(delay=1.0, times=4))  # all four are cut off before the first answer
    client = live.live(timeout=0.1)
    outcomes: list[Any] = []
    errors: list[RuptTimeoutError] = []
    for _ in range(4):
        err, _ = live.timed(client, "get_evaluation", evaluation["id"])
        errors.append(err)
    for err in errors:
        try:
            outcomes.append(live.outcome(err.continuation))
        except RuptNetworkError as exc:
            outcomes.append(exc)
    assert [isinstance(o, Evaluation) for o in outcomes] == [True, True, False, False]
    assert "may have reached Rupt" in str(outcomes[2])
    assert len(fake.requests) == 4
    assert _deadline_backend._handed_off == 0  # every handed-off stream was given back


# -- storms ----------------------------------------------------------------------------------------

STORM_DELAY = 0.8  # the server answers every request this late
STORM_TIMEOUT = 0.4
STORM_LATENESS = 0.75  # p99 of how late the raises come, with margin for a loaded machine
# Fresh calls to an endpoint answered at once, after the storm (~0.2 s on a quiet machine; a pool
# left with stuck connections made every later call time out).
FRESH_BOUND = 1.5


def test_a_sync_storm_resolves_and_the_client_recovers(injected: bool) -> None:
    import httpx

    threads = 64
    with slow_server(STORM_DELAY) as server:
        http = httpx.Client() if injected else None
        client = RuptAPI(SECRET, domain=server.url, timeout=STORM_TIMEOUT, http_client=http)
        lateness: list[float] = []
        continuations: list[Any] = []
        lock = threading.Lock()
        start = threading.Barrier(threads)

        def caller() -> None:
            start.wait()
            started = time.monotonic()
            try:
                client.get_evaluation("e1")
            except RuptTimeoutError as err:
                with lock:
                    lateness.append(time.monotonic() - started - STORM_TIMEOUT)
                    continuations.append(err.continuation)

        workers = [threading.Thread(target=caller) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        try:
            assert len(continuations) == threads
            assert statistics.quantiles(lateness, n=100)[98] < STORM_LATENESS, max(lateness)
            results = [f.result(timeout=30) for f in continuations]
            assert {r.id for r in results} == {"e1"}
            assert server.count() == threads  # every request sent once

            # Fresh calls are served at once: no stuck connection, no thread starvation.
            fresh = client.with_options(timeout=5)
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                again = list(pool.map(lambda _: fresh.get_evaluation("fast"), range(32)))
            assert {r.id for r in again} == {"fast"}
            assert time.monotonic() - started < FRESH_BOUND
            assert server.count() == threads + 32
        finally:
            client.close()
            if http is not None:
                http.close()


@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_an_async_storm_resolves_and_the_client_recovers(injected: bool, transport: str) -> None:
    import httpx

    if injected and transport != "httpx":
        pytest.skip("an injected client brings its own transport")

    calls = 300

    async def main(server: Any) -> None:
        http = httpx.AsyncClient() if injected else None
        async with AsyncRuptAPI(
            SECRET, domain=server.url, timeout=STORM_TIMEOUT, http_client=http, transport=transport
        ) as client:

            async def one() -> tuple[float, Any]:
                started = time.monotonic()
                try:
                    await client.get_evaluation("e1")
                except RuptTimeoutError as err:
                    return time.monotonic() - started - STORM_TIMEOUT, err.continuation
                raise AssertionError("the call did not time out")

            raised = await asyncio.gather(*(one() for _ in range(calls)))
            lateness = [late for late, _ in raised]
            assert statistics.quantiles(lateness, n=100)[98] < STORM_LATENESS, max(lateness)
            results = await asyncio.wait_for(asyncio.gather(*(c for _, c in raised)), 30)
            assert {r.id for r in results} == {"e1"}
            assert server.count() == calls  # every request sent once

            fresh = client.with_options(timeout=5)
            started = time.monotonic()
            again = await asyncio.gather(*(fresh.get_evaluation("fast") for _ in range(64)))
            assert {r.id for r in again} == {"fast"}
            assert time.monotonic() - started < FRESH_BOUND  # no stuck connection in the pool
            assert server.count() == calls + 64
        if http is not None:
            await http.aclose()

    with slow_server(STORM_DELAY) as server:
        asyncio.run(main(server))
