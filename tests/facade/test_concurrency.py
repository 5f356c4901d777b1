"""Threads, processes and event loops: one client shared the way apps share it."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
from typing import Any

import pytest

from rupt_api import AsyncRuptAPI, RuptAPI
from rupt_api.testing import Fault

from .conftest import ASYNC_TRANSPORTS, SECRET


def test_one_client_shared_by_50_threads_never_crosses_answers(
    base_url: str, fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rupt_api")
    ids = [fake.add_evaluation(verdict=f"verdict_{i}")["id"] for i in range(50)]
    errors: list[str] = []
    barrier = threading.Barrier(50)

    def worker(index: int) -> None:
        barrier.wait()
        for _ in range(10):
            evaluation = client.get_evaluation(ids[index])
            if (evaluation.id, evaluation.verdict) != (ids[index], f"verdict_{index}"):
                errors.append(f"thread {index} got {evaluation.id}")

    with RuptAPI(SECRET, domain=base_url) as client:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    # Under load a network error is retried (the SDK's contract, logged at INFO): what Rupt
    # received is one request per call plus one per retry the SDK reported, never more.
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) <= 5, [r.getMessage() for r in retries]
    assert len(fake.requests) == 500 + len(retries)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_client_created_before_fork_works_in_child_and_parent(base_url: str, fake: Any) -> None:
    evaluation = fake.add_evaluation(verdict="allow")
    with RuptAPI(SECRET, domain=base_url) as client:
        assert client.get_evaluation(evaluation["id"]).verdict == "allow"  # the pool has a socket
        parent_http = client._pool.client
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                fresh = client._pool.client is not parent_http
                ok = client.get_evaluation(evaluation["id"]).verdict == "allow"
                code = 0 if fresh and ok else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert client._pool.client is parent_http
        assert client.get_evaluation(evaluation["id"]).verdict == "allow"
    assert len(fake.requests) == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_async_client_created_before_fork_works_in_child_and_parent(
    base_url: str, fake: Any, transport: Any
) -> None:
    """A child process runs its own loop: it gets its own connections, never the parent's."""
    evaluation = fake.add_evaluation(verdict="allow")
    client = AsyncRuptAPI(SECRET, domain=base_url, transport=transport)

    async def call(client: AsyncRuptAPI, *, close: bool = False) -> str:
        try:
            return (await client.get_evaluation(evaluation["id"])).verdict
        finally:
            if close:
                await client.aclose()

    assert asyncio.run(call(client)) == "allow"  # the parent's pool has a connection open
    parent_http = client._pool.client
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            ok = asyncio.run(call(client)) == "allow"
            code = 0 if ok and client._pool.client is not parent_http else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert asyncio.run(call(client, close=True)) == "allow"
    assert len(fake.requests) == 3
    del client
    gc.collect()  # the first loop's connections are dropped here, inside the warning filters


@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_cancelling_the_caller_cancels_the_request(
    base_url: str, fake: Any, transport: Any
) -> None:
    evaluation = fake.add_evaluation()
    fake.inject(Fault(delay=2.0))

    async def main() -> float:
        async with AsyncRuptAPI(SECRET, domain=base_url, timeout=10, transport=transport) as client:
            task = asyncio.create_task(client.get_evaluation(evaluation["id"]))
            await asyncio.sleep(0.1)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            elapsed = time.monotonic() - started
            # The client is still usable afterwards.
            assert (await client.get_evaluation(evaluation["id"])).id == evaluation["id"]
            assert len(asyncio.all_tasks()) == 1  # no continuation was started
            return elapsed

    assert asyncio.run(main()) < 0.05


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_an_async_client_works_from_a_new_event_loop(
    base_url: str, fake: Any, transport: Any
) -> None:
    """pytest's per-test loops and repeated asyncio.run() calls reuse module-level clients."""
    evaluation = fake.add_evaluation(verdict="allow")
    client = AsyncRuptAPI(SECRET, domain=base_url, transport=transport)
    for _ in range(3):
        assert asyncio.run(client.get_evaluation(evaluation["id"])).verdict == "allow"

    asyncio.run(client.aclose())
    # Connections left open by the loops that ended are dropped with them: Python warns about
    # unclosed sockets when they are collected (here, inside this test's warning filters).
    del client
    gc.collect()


@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_many_concurrent_async_calls(base_url: str, fake: Any, transport: Any) -> None:
    ids = [fake.add_evaluation(verdict=f"v{i}")["id"] for i in range(100)]

    async def main() -> list[Any]:
        async with AsyncRuptAPI(SECRET, domain=base_url, transport=transport) as client:
            return await asyncio.gather(*(client.get_evaluation(i) for i in ids))

    results = asyncio.run(main())
    assert [(r.id, r.verdict) for r in results] == [(i, f"v{n}") for n, i in enumerate(ids)]
