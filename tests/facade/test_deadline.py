"""The deadline: raised on time wherever the call is, and the continuation that follows it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import logging
import threading
import time
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI, RuptApiError, RuptError, RuptTimeoutError
from rupt_api._continuation import MAX_WORKERS
from rupt_api.testing import Fault
from tests.timing import Reference

from .conftest import SECRET, LiveSurface

# Raised within this much of the deadline, on a loaded 2-core machine.
PRECISION = 0.05


def test_raised_on_time_when_the_server_is_slow(
    live: LiveSurface, fake: Any, injected: bool
) -> None:
    evaluation = fake.add_evaluation(verdict="allow")
    client = live.live(timeout=0.3, injected=injected)
    fake.inject(Fault(delay=1.0))
    reference = Reference(0.3)  # how late this process wakes up meanwhile
    err, elapsed = live.timed(client, "get_evaluation", evaluation["id"])
    assert 0.3 <= elapsed < 0.3 + PRECISION + reference.lateness()
    assert err.timeout == 0.3
    assert "0.3 s" in str(err)
    # The request kept running: its continuation delivers its evaluation, and it was sent once.
    assert live.outcome(err.continuation).verdict == "allow"
    assert len(fake.requests) == 1


def test_raised_on_time_in_the_middle_of_a_backoff_sleep(
    live: LiveSurface, fake: Any, injected: bool
) -> None:
    evaluation = fake.add_evaluation(verdict="deny")
    fake.inject(Fault(status=503))  # no Retry-After: the backoff is 0.25-0.5 s, past the deadline
    client = live.live(timeout=0.2, retries=2, max_retry_delay=2.0, injected=injected)
    reference = Reference(0.2)  # how late this process wakes up meanwhile
    err, elapsed = live.timed(client, "get_evaluation", evaluation["id"])
    assert 0.2 <= elapsed < 0.2 + PRECISION + reference.lateness()
    assert err.attempts == 1
    # The continuation sleeps the rest of the backoff, then retries and succeeds.
    assert live.outcome(err.continuation).verdict == "deny"
    assert len(fake.requests) == 2


def test_the_continuation_fails_with_the_typed_error(
    live: LiveSurface, fake: Any, injected: bool
) -> None:
    fake.inject(Fault(delay=0.5))
    client = live.live(timeout=0.2, injected=injected)
    err, _ = live.timed(client, "get_challenge", "no-such-challenge")
    with pytest.raises(RuptApiError) as info:
        live.outcome(err.continuation)
    assert info.value.status == 404
    assert len(fake.requests) == 1


def test_an_ignored_continuation_is_quiet(
    live: LiveSurface, fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject(Fault(delay=0.3, times=100))
    client = live.live(timeout=0.05)
    caplog.set_level(logging.DEBUG, logger="asyncio")
    futures = []
    for _ in range(5):
        err, _ = live.timed(client, "get_evaluation", "missing")  # continues into a 404
        futures.append(err.continuation)
        del err
    deadline = time.monotonic() + 5
    while not all(f.done() for f in futures) and time.monotonic() < deadline:
        if live.is_async:
            live.run(asyncio.sleep(0.05))
        else:
            time.sleep(0.05)
    assert all(f.done() for f in futures)
    del futures
    gc.collect()
    if live.is_async:
        live.run(asyncio.sleep(0))
    assert [r for r in caplog.records if "never retrieved" in r.getMessage()] == []


def test_context_variables_reach_the_continuation(base_url: str, fake: Any) -> None:
    seen: list[str | None] = []
    request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
        "request_id", default=None
    )

    import httpx

    def hook(request: httpx.Request) -> None:
        seen.append(request_id.get())

    fake.inject(Fault(delay=0.4))
    evaluation = fake.add_evaluation()
    http = httpx.Client(event_hooks={"request": [hook]})
    with RuptAPI(SECRET, domain=base_url, timeout=0.2, http_client=http) as client:
        request_id.set("req-123")
        with pytest.raises(RuptTimeoutError) as info:
            client.get_evaluation(evaluation["id"])
        assert info.value.continuation is not None
        info.value.continuation.result(timeout=5)
    http.close()
    assert seen == ["req-123"]  # sent once: the timed-out request is the continuation
    assert threading.current_thread() is threading.main_thread()


def test_abandoned_calls_leave_no_threads_behind(base_url: str, fake: Any) -> None:
    """1,000 timed-out calls: continuation threads stay bounded and exit once idle."""

    def workers() -> int:
        return sum(t.name == "rupt-api-continuation" for t in threading.enumerate())

    fake.inject(Fault(delay=0.02, times=2000))
    evaluation = fake.add_evaluation()
    peak = 0
    futures = []
    with RuptAPI(SECRET, domain=base_url, timeout=0.002) as client:
        for _ in range(1000):
            try:
                client.get_evaluation(evaluation["id"])
            except RuptTimeoutError as err:
                futures.append(err.continuation)
            peak = max(peak, workers())
        done, _ = concurrent.futures.wait(futures, timeout=30)
        assert len(done) == len(futures) >= 900
        # Later calls are not starved of threads or connections.
        assert (
            client.with_options(timeout=5).get_evaluation(evaluation["id"]).id == evaluation["id"]
        )
    assert 1 <= peak <= MAX_WORKERS
    settle = time.monotonic() + 10
    while workers() and time.monotonic() < settle:
        time.sleep(0.1)
    assert workers() == 0


def test_abandoned_async_calls_leave_no_tasks_behind(base_url: str, fake: Any) -> None:
    fake.inject(Fault(delay=0.02, times=2000))
    evaluation = fake.add_evaluation()

    async def main() -> int:
        async with AsyncRuptAPI(SECRET, domain=base_url, timeout=0.002) as client:
            continuations = []
            for _ in range(300):
                try:
                    await client.get_evaluation(evaluation["id"])
                except RuptTimeoutError as err:
                    continuations.append(err.continuation)
            await asyncio.wait_for(asyncio.gather(*continuations, return_exceptions=True), 30)
            await asyncio.sleep(0)
            return len(asyncio.all_tasks()) - 1

    assert asyncio.run(main()) == 0


def test_a_continuation_running_at_close_ends_with_a_clear_error(
    live: LiveSurface, fake: Any
) -> None:
    # A 503, then a backoff of 0.25-0.5 s: the deadline passes mid-backoff, and the
    # continuation's next attempt comes after the client was closed.
    fake.inject(Fault(status=503))
    client = live.live(timeout=0.1, retries=2, max_retry_delay=1.0)
    err, _ = live.timed(client, "get_evaluation", "e")
    if live.is_async:
        live.run(client.aclose())
    else:
        client.close()
    with pytest.raises(RuptError, match="client was closed"):
        live.outcome(err.continuation)
