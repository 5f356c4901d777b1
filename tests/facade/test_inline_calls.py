"""`transport="aiohttp"`: a call runs in its caller's task, and in a task of its own only once
its deadline has passed while its answer was on the way (`rupt_api/_inline.py`).

Over loopback, each test counts what the server received: a continuation goes on with the
request already sent, or sends one nothing of which left before the deadline, never both; and
cancelling the caller ends its request. Then the driver itself, on plain futures.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from rupt_api import AsyncRuptAPI, Evaluation, RuptTimeoutError, _call
from rupt_api._inline import Alarm, Inline, LeftRunning, cover, expose
from rupt_api.testing import Fault
from tests.reliability._fault_server import Connection, FaultServer, Seen, wait_for_close
from tests.timing import Reference

from .conftest import SECRET
from .test_continuations import PRECISION, slow_resolver  # noqa: F401 - a fixture

TOKEN = "evaluation_held"


def _client(base_url: str, **options: Any) -> AsyncRuptAPI:
    options.setdefault("max_retry_delay", 0)
    return AsyncRuptAPI(SECRET, domain=base_url, transport="aiohttp", **options)


def _others() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


# -- over loopback ---------------------------------------------------------------------------------


def test_a_call_runs_in_its_callers_task_until_its_deadline(base_url: str, fake: Any) -> None:
    evaluation = fake.add_evaluation(verdict="allow")
    fake.inject(Fault(delay=0.6))  # answered after the deadline

    async def main() -> tuple[Any, ...]:
        async with _client(base_url, timeout=0.3) as client:
            started = time.monotonic()
            reference = Reference(0.3)  # how late this process wakes up meanwhile
            call = asyncio.ensure_future(client.get_evaluation(evaluation["id"]))
            await asyncio.sleep(0.15)  # sent, not answered
            during = _others()
            with pytest.raises(RuptTimeoutError) as info:
                await call
            elapsed = time.monotonic() - started
            after = _others()
            late = await asyncio.wait_for(info.value.continuation, 5)
            await asyncio.sleep(0.2)  # nothing left behind cancels this task
            return during, call, elapsed, after, info.value, late, reference.lateness()

    during, call, elapsed, after, err, late, lateness = asyncio.run(main())
    assert during == {call}  # no task of its own while its caller waits
    assert 0.3 <= elapsed < 0.3 + PRECISION + lateness
    assert after == {err.continuation}  # the same call, left running at the deadline
    assert err.attempts == 1
    assert isinstance(late, Evaluation)
    assert late.verdict == "allow"
    assert len(fake.requests) == 1  # the answer to the request sent, not a second one


def test_a_deadline_during_a_connect_ends_it_and_the_continuation_sends_once(
    base_url: str,
    fake: Any,
    slow_resolver: list[str],  # noqa: F811 - the fixture
) -> None:
    evaluation = fake.add_evaluation(verdict="allow")

    async def main() -> tuple[float, RuptTimeoutError, Any, int, float]:
        url = base_url.replace("127.0.0.1", "localhost")
        async with _client(url, timeout=0.3) as client:
            started = time.monotonic()
            reference = Reference(0.3)
            with pytest.raises(RuptTimeoutError) as info:
                await client.get_evaluation(evaluation["id"])
            elapsed = time.monotonic() - started
            task = asyncio.current_task()
            assert task is not None
            cancelling = task.cancelling()
            late = await asyncio.wait_for(info.value.continuation, 5)
            # aiohttp's connect timeout was bound to this task: it must not fire in it later.
            await asyncio.sleep(0.2)
            return elapsed, info.value, late, cancelling, reference.lateness()

    elapsed, err, late, cancelling, lateness = asyncio.run(main())
    assert cancelling == 0  # the connect's timeout was spent in the connect
    assert slow_resolver
    assert 0.3 <= elapsed < 0.3 + PRECISION + lateness
    assert err.attempts == 0  # nothing was sent before the deadline
    assert late.verdict == "allow"
    assert len(fake.requests) == 1


def test_a_connect_is_never_handed_to_another_task(
    base_url: str, fake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp connects under `asyncio.timeout`, which cancels the task it was entered in: the
    caller waits for the connect to end by itself (here 0.1 s past the deadline) rather than
    hand it over, so no timeout is left behind to cancel the caller's task later."""
    evaluation = fake.add_evaluation(verdict="allow")
    original = aiohttp.TCPConnector.connect
    slowed: list[float] = []

    async def slow_connect(self: Any, req: Any, traces: Any, timeout: Any) -> Any:
        if not slowed:
            slowed.append(timeout.connect)
            async with asyncio.timeout(timeout.connect + 0.1):
                await asyncio.sleep(5)
        return await original(self, req, traces, timeout)

    monkeypatch.setattr(aiohttp.TCPConnector, "connect", slow_connect)

    async def main() -> tuple[float, float, RuptTimeoutError, Any]:
        async with _client(base_url, timeout=0.2) as client:
            started = time.monotonic()
            reference = Reference(0.3)
            with pytest.raises(RuptTimeoutError) as info:
                await client.get_evaluation(evaluation["id"])
            elapsed = time.monotonic() - started
            await asyncio.sleep(0.3)  # a timeout left bound to this task would cancel it here
            late = await asyncio.wait_for(info.value.continuation, 5)
            return elapsed, reference.lateness(), info.value, late

    elapsed, lateness, err, late = asyncio.run(main())
    assert slowed
    assert 0.3 <= elapsed < 0.3 + PRECISION + lateness
    assert err.attempts == 0  # nothing was sent
    assert late.verdict == "allow"
    assert len(fake.requests) == 1


def test_a_deadline_during_a_backoff_leaves_the_retry_to_the_continuation(
    base_url: str, fake: Any
) -> None:
    evaluation = fake.add_evaluation(verdict="deny")
    fake.inject(Fault(status=503))  # no Retry-After: the backoff is 0.25-0.5 s, past the deadline

    async def main() -> tuple[float, float, RuptTimeoutError, Any]:
        async with _client(base_url, timeout=0.2, retries=2, max_retry_delay=2.0) as client:
            started = time.monotonic()
            reference = Reference(0.2)
            with pytest.raises(RuptTimeoutError) as info:
                await client.get_evaluation(evaluation["id"])
            elapsed = time.monotonic() - started
            late = await asyncio.wait_for(info.value.continuation, 5)
            return elapsed, reference.lateness(), info.value, late

    elapsed, lateness, err, late = asyncio.run(main())
    assert 0.2 <= elapsed < 0.2 + PRECISION + lateness
    assert err.attempts == 1
    # The continuation sleeps the rest of the backoff, then sends the retry, once.
    assert late.verdict == "deny"
    assert len(fake.requests) == 2


@pytest.fixture
def held() -> Iterator[tuple[FaultServer, threading.Event]]:
    """A server that never answers `TOKEN`, and an event set when the client hangs up."""
    hung_up = threading.Event()

    def hold(conn: Connection, attempt: int, seen: Seen) -> None:
        started = time.monotonic()
        wait_for_close(conn, 10.0)
        if time.monotonic() - started < 9.0:
            hung_up.set()

    with FaultServer() as server:
        server.register(TOKEN, hold)
        yield server, hung_up


def test_cancelling_the_caller_cancels_its_request(
    held: tuple[FaultServer, threading.Event],
) -> None:
    server, hung_up = held

    async def main() -> set[asyncio.Task[Any]]:
        async with _client(server.url, timeout=5) as client:
            call = asyncio.ensure_future(client.get_evaluation(TOKEN))
            await asyncio.sleep(0.2)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            return _others()

    assert asyncio.run(main()) == set()
    assert hung_up.wait(5)  # the request was abandoned, not left running
    assert len(server.seen(TOKEN)) == 1


def test_a_timeout_of_the_callers_own_ends_the_call(
    held: tuple[FaultServer, threading.Event],
) -> None:
    server, hung_up = held

    async def main() -> tuple[float, int, float]:
        async with _client(server.url, timeout=5) as client:
            started = time.monotonic()
            reference = Reference(0.2)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await client.get_evaluation(TOKEN)
            elapsed = time.monotonic() - started
            task = asyncio.current_task()
            assert task is not None
            return elapsed, task.cancelling(), reference.lateness()

    elapsed, cancelling, lateness = asyncio.run(main())
    assert 0.2 <= elapsed < 0.2 + PRECISION + lateness
    assert cancelling == 0
    assert hung_up.wait(5)
    assert len(server.seen(TOKEN)) == 1


def test_a_continuation_left_running_ends_at_the_backstop(
    held: tuple[FaultServer, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its caller gone, the request's reads are bounded (while it waited, its deadline was)."""
    server, hung_up = held
    monkeypatch.setattr(_call, "BACKSTOP_SECONDS", 0.5)

    async def main() -> tuple[float, BaseException | None]:
        async with _client(server.url, timeout=0.2) as client:
            with pytest.raises(RuptTimeoutError) as info:
                await client.get_evaluation(TOKEN)
            started = time.monotonic()
            continuation = info.value.continuation
            assert isinstance(continuation, asyncio.Future)
            await asyncio.wait({continuation}, timeout=5)
            return time.monotonic() - started, continuation.exception()

    waited, error = asyncio.run(main())
    assert isinstance(error, RuptTimeoutError)
    assert "backstop" in str(error)
    assert waited < 0.5 + 0.5
    assert hung_up.wait(5)
    assert len(server.seen(TOKEN)) == 1


# -- the driver ------------------------------------------------------------------------------------


async def _work(future: asyncio.Future[str], *, exposed: bool, log: list[str]) -> str:
    if exposed:
        expose(lambda seconds: log.append(f"bound {seconds:g}"))
    try:
        return await future
    finally:
        cover()
        log.append("ended")


def test_an_exposed_wait_is_left_running_at_the_deadline() -> None:
    async def main() -> tuple[float, float, str, list[str]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        log: list[str] = []
        started = time.monotonic()
        reference = Reference(0.1)
        with pytest.raises(LeftRunning) as left:
            await Inline(_work(future, exposed=True, log=log), started + 0.1, Alarm())
        elapsed = time.monotonic() - started
        left.value.bound(7)
        rest = asyncio.ensure_future(left.value.rest)
        await asyncio.sleep(0.05)
        assert not rest.done()
        future.set_result("answer")
        return elapsed, reference.lateness(), await rest, log

    elapsed, lateness, answer, log = asyncio.run(main())
    assert 0.1 <= elapsed < 0.1 + PRECISION + lateness
    assert (answer, log) == ("answer", ["bound 7", "ended"])


def test_a_covered_wait_is_not_left_at_the_deadline() -> None:
    """Only the work can end a wait that holds something bound to its task."""

    async def main() -> str:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        loop.call_later(0.2, future.set_result, "answer")
        return await Inline(_work(future, exposed=False, log=[]), time.monotonic() + 0.05, Alarm())

    assert asyncio.run(main()) == "answer"


@pytest.mark.parametrize("exposed", [True, False], ids=["exposed", "covered"])
def test_cancelling_the_awaiting_task_cancels_the_work(exposed: bool) -> None:
    async def main() -> tuple[bool, list[str]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        log: list[str] = []
        work = Inline(_work(future, exposed=exposed, log=log), time.monotonic() + 5, Alarm())
        task = asyncio.ensure_future(work)  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return future.cancelled(), log

    assert asyncio.run(main()) == (True, ["ended"])


def test_the_work_returns_raises_and_yields_as_in_a_task() -> None:
    async def work(fail: bool) -> int:
        await asyncio.sleep(0)  # a bare yield
        await asyncio.sleep(0.01)  # a timer's future
        if fail:
            raise KeyError("no")
        return 42

    async def main() -> int:
        deadline = time.monotonic() + 5
        with pytest.raises(KeyError):
            await Inline(work(True), deadline, Alarm())
        return await Inline(work(False), deadline, Alarm())

    assert asyncio.run(main()) == 42


def test_the_alarm_rings_each_deadline_on_time_once() -> None:
    async def main() -> tuple[list[tuple[str, float]], float]:
        alarm = Alarm()
        rang: list[tuple[str, float]] = []
        now = time.monotonic()
        reference = Reference(0.15)
        for name, delay in (("late", 0.15), ("early", 0.05), ("dropped", 0.1), ("twin", 0.05)):
            alarm.add(name, now + delay, lambda name=name: rang.append((name, time.monotonic())))
        alarm.discard("dropped")
        await asyncio.sleep(0.3)
        return [(name, at - now) for name, at in rang], reference.lateness()

    rang, lateness = asyncio.run(main())
    assert [name for name, _ in rang] == ["early", "twin", "late"]
    assert all(0.05 <= at < 0.15 for _, at in rang[:2])  # before the next one was due
    assert 0.15 <= rang[2][1] < 0.15 + PRECISION + lateness
