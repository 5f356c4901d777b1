"""Resources: abandoned work ends, and leaves no thread, socket, task or memory behind.

- 10,000 timed-out calls on each surface, in process (a transport that takes 5 ms, a 1 ms
  timeout: every call times out and continues in the background), then the same on real
  sockets with 300 calls against the loopback stand-in. Once the continuations are done, threads,
  file descriptors, tasks and RSS are back at their baseline.
- No ResourceWarning (or any other warning) under `python -W error -X dev`.
- A process with abandoned requests in flight exits at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import itertools
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from rupt_api import AsyncRuptAPI, Evaluation, RuptAPI, RuptTimeoutError
from rupt_api import _continuation as continuation_module
from rupt_api.testing import FakeRupt, Fault

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="reads /proc/self (Linux)"
)

SECRET = "sk_test_resources"
CALLS = 10_000
LOOPBACK_CALLS = 300
HANDLER_SECONDS = 0.005
RSS_ALLOWANCE_KB = 8 * 1024
ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps({"id": "e1", "verdict": "allow", "reasons": ["known_device"]}).encode()


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def thread_names() -> list[str]:
    return sorted(t.name for t in threading.enumerate())


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {timeout:g} s")
        time.sleep(0.05)


def sdk_threads() -> list[str]:
    """The SDK's helper threads (continuations, calls, name resolution) still alive."""
    return [t.name for t in threading.enumerate() if t.name.startswith("rupt-api")]


class Snapshot:
    """Threads, file descriptors and RSS, once the SDK's helper threads have gone idle and exited.

    Taken as a baseline too: helpers an earlier test left idle (which test ran before this one
    in this process differs from run to run, with pytest-xdist) are waited out first, or they
    would be in the baseline and missing, having exited since, from the snapshot after.
    """

    def __init__(self, threads: int) -> None:
        # Idle continuation threads exit after IDLE_SECONDS (2 s).
        idle = continuation_module.IDLE_SECONDS + 3
        wait_for(
            lambda: threading.active_count() <= threads and not sdk_threads(),
            idle,
            f"at {threads} threads, none of the SDK's",
        )
        gc.collect()
        self.threads = threading.active_count()
        self.names = thread_names()
        self.fds = fd_count()
        self.rss = rss_kb()

    def assert_back_to(self, baseline: Snapshot) -> None:
        assert self.names == baseline.names
        assert self.fds == baseline.fds, (self.fds, baseline.fds)
        grown = self.rss - baseline.rss
        assert grown < RSS_ALLOWANCE_KB, f"RSS grew by {grown} KB"


# -- 10,000 in process ----------------------------------------------------------------------------


class SlowAnswers:
    """A MockTransport handler that answers after 5 ms, counting the requests it answered."""

    def __init__(self) -> None:
        self.answered = 0
        self._lock = threading.Lock()

    def _answer(self) -> httpx.Response:
        with self._lock:
            self.answered += 1
        return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        time.sleep(HANDLER_SECONDS)
        return self._answer()

    async def answer_async(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(HANDLER_SECONDS)
        return self._answer()


def shares(calls: int, callers: int) -> list[int]:
    """`calls` split between `callers` (they add up to `calls`)."""
    return [calls // callers + (i < calls % callers) for i in range(callers)]


class Ended:
    """Counts continuations that ended well, and keeps the first other outcome, if any."""

    def __init__(self) -> None:
        self.ok = 0
        self.bad: list[BaseException | None] = []
        self._lock = threading.Lock()

    def __call__(self, future: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        error = future.exception()
        with self._lock:
            if error is None and isinstance(future.result(), Evaluation):
                self.ok += 1
            else:
                self.bad.append(error)


def _done(result: Any) -> concurrent.futures.Future[Any]:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_result(result)
    return future


def sync_burst(client: RuptAPI, calls: int, callers: int = 8) -> Ended:
    """`calls` calls that all time out, from `callers` threads; waits for the continuations.

    The continuations are abandoned: only a done-callback counts how each ended.
    """
    ended = Ended()
    failures: list[BaseException] = []

    def caller(count: int) -> None:
        for _ in range(count):
            try:
                result = client.get_evaluation("e1")
            except RuptTimeoutError as err:
                continuation = err.continuation
            except BaseException as exc:  # anything else fails the test
                failures.append(exc)
                continue
            else:
                # A caller woken late (a loaded machine) takes the answer that is there by then.
                ended(_done(result))
                continue
            if isinstance(continuation, concurrent.futures.Future):
                continuation.add_done_callback(ended)
            else:
                failures.append(AssertionError(f"continuation {continuation!r}"))

    threads = [
        threading.Thread(target=caller, args=(share,), name=f"caller-{i}")
        for i, share in enumerate(shares(calls, callers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    wait_for(lambda: ended.ok + len(ended.bad) == calls, 60, "every continuation ended")
    assert (ended.ok, ended.bad) == (calls, [])
    return ended


def test_10000_timed_out_sync_calls_leave_nothing_behind() -> None:
    answers = SlowAnswers()
    http = httpx.Client(transport=httpx.MockTransport(answers))
    client = RuptAPI(SECRET, timeout=0.001, http_client=http)
    threads_before = threading.active_count()
    sync_burst(client, 400)  # warm up: imports, caches, allocator arenas
    baseline = Snapshot(threads_before)

    started = time.monotonic()
    sync_burst(client, CALLS)
    elapsed = time.monotonic() - started
    # Each call was sent exactly once: the timed-out attempt is the continuation.
    assert answers.answered == 400 + CALLS
    assert continuation_module._workers._queue.empty()
    assert continuation_module._call_workers._queue.empty()  # the queue past MAX_CALL_WORKERS

    Snapshot(threads_before).assert_back_to(baseline)
    client.close()
    http.close()
    assert elapsed < 40


async def async_burst(client: AsyncRuptAPI, calls: int, callers: int = 50) -> None:
    """`calls` calls that all time out, from `callers` tasks; waits for the continuations.

    The continuations are abandoned: only a done-callback counts how each ended.
    """
    ended = Ended()
    earlier = set(continuation_module._tasks)  # other tests' (on loops long closed), if any

    async def caller(count: int) -> None:
        for _ in range(count):
            try:
                result = await client.get_evaluation("e1")
            except RuptTimeoutError as caught:
                continuation = caught.continuation
                if not isinstance(continuation, asyncio.Future):
                    raise AssertionError(f"continuation {continuation!r}") from caught
                continuation.add_done_callback(ended)
            else:
                # The loop came back late (a loaded machine): the answer was there by then.
                ended(_done(result))

    await asyncio.gather(*(caller(share) for share in shares(calls, callers)))
    deadline = time.monotonic() + 60
    while ended.ok + len(ended.bad) < calls and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert (ended.ok, ended.bad) == (calls, [])
    await asyncio.sleep(0)  # let the last done-callbacks run
    assert continuation_module._tasks <= earlier
    assert asyncio.all_tasks() == {asyncio.current_task()}


def test_10000_timed_out_async_calls_leave_nothing_behind() -> None:
    answers = SlowAnswers()

    async def burst(calls: int) -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(answers.answer_async))
        async with http, AsyncRuptAPI(SECRET, timeout=0.001, http_client=http) as client:
            await async_burst(client, calls)

    threads_before = threading.active_count()
    asyncio.run(burst(400))
    baseline = Snapshot(threads_before)

    started = time.monotonic()
    asyncio.run(burst(CALLS))
    elapsed = time.monotonic() - started
    # Each call was sent exactly once: the timed-out attempt is the continuation.
    assert answers.answered == 400 + CALLS

    Snapshot(threads_before).assert_back_to(baseline)
    assert elapsed < 40


@pytest.mark.parametrize("surface", ["sync", "async"])
def test_abandoned_calls_hold_no_python_memory(surface: str) -> None:
    """The allocator may keep RSS it once needed; what Python holds must return exactly."""
    answers = SlowAnswers()
    sync_http = httpx.Client(transport=httpx.MockTransport(answers))
    sync_client = RuptAPI(SECRET, timeout=0.001, http_client=sync_http)

    def burst(calls: int) -> None:
        if surface == "sync":
            sync_burst(sync_client, calls)
            return

        async def main() -> None:
            http = httpx.AsyncClient(transport=httpx.MockTransport(answers.answer_async))
            async with http, AsyncRuptAPI(SECRET, timeout=0.001, http_client=http) as client:
                await async_burst(client, calls)

        asyncio.run(main())

    def held() -> int:
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        burst(500)
        held_after = [held()]
        for _ in range(3):
            burst(1000)
            held_after.append(held())
    finally:
        tracemalloc.stop()
        sync_http.close()
    added = [later - earlier for earlier, later in itertools.pairwise(held_after)]
    # A leak adds the same each time; a cache or a container growing (once) does not, and in
    # total stays small. Measured here: a few hundred bytes, with the odd 30 KB step.
    assert sum(added) < 256 * 1024, f"bytes held after each 1,000 calls: {added}"
    assert min(added) < 16 * 1024, f"bytes held after each 1,000 calls: {added}"


# -- real sockets ---------------------------------------------------------------------------------


def test_timed_out_sync_calls_over_loopback_close_their_sockets() -> None:
    fake = FakeRupt(secret=SECRET)
    fake.add_evaluation(id="e1")
    threads_before = threading.active_count()
    baseline = Snapshot(threads_before)
    with fake.serve() as base_url:
        # Every attempt, the continuations' included, answers after 50 ms: all calls time out.
        fake.inject(Fault(delay=0.05, times=2 * LOOPBACK_CALLS))
        with RuptAPI(SECRET, domain=base_url, timeout=0.02) as client:
            sync_burst(client, LOOPBACK_CALLS, callers=4)
            # Abandoned attempts' sockets were closed: what is open is the keep-alive pool
            # (at most 20 connections, both ends in this process) and the listening socket.
            assert fd_count() - baseline.fds <= 2 * 20 + 4
    Snapshot(threads_before).assert_back_to(baseline)
    # Each call was sent exactly once: a cut-off request is finished, never re-sent.
    assert len(fake.requests) == LOOPBACK_CALLS


def test_timed_out_async_calls_over_loopback_close_their_sockets() -> None:
    fake = FakeRupt(secret=SECRET)
    fake.add_evaluation(id="e1")
    threads_before = threading.active_count()
    baseline = Snapshot(threads_before)

    async def main(base_url: str) -> None:
        async with AsyncRuptAPI(SECRET, domain=base_url, timeout=0.02) as client:
            await async_burst(client, LOOPBACK_CALLS, callers=5)

    with fake.serve() as base_url:
        fake.inject(Fault(delay=0.05, times=2 * LOOPBACK_CALLS))
        asyncio.run(main(base_url))
    Snapshot(threads_before).assert_back_to(baseline)
    assert len(fake.requests) == LOOPBACK_CALLS


# -- in a fresh interpreter -----------------------------------------------------------------------

DEV_MODE_SCRIPT = """
import asyncio, time
from rupt_api import AsyncRuptAPI, RuptAPI, RuptApiError, RuptTimeoutError
from rupt_api.testing import FakeRupt, Fault

fake = FakeRupt()
SECRET = fake.secret
with fake.serve() as url:
    eid = fake.add_evaluation()["id"]
    completed = fake.add_evaluation(challenge_status="completed", user_id="u1")["id"]

    with RuptAPI(SECRET, domain=url, timeout=10) as client:
        fast = client.with_options(timeout=0.1)
        assert client.get_evaluation(eid).id == eid
        assert client.get_user_devices("u") == []
        try:
            client.get_evaluation("missing")
        except RuptApiError as err:
            assert err.status == 404
        fake.inject(Fault(delay=0.5))
        try:
            fast.get_evaluation(eid)
        except RuptTimeoutError as err:
            assert err.continuation.result(timeout=10).id == eid
        fake.inject(Fault(delay=0.5))
        try:
            fast.get_evaluation(eid)  # this continuation is ignored
        except RuptTimeoutError:
            pass
    time.sleep(0.6)  # the ignored continuation ends, on the closed client

    async def main():
        # Dev mode logs every callback slower than 0.1 s; the first call's lazy imports are.
        asyncio.get_running_loop().slow_callback_duration = 10
        async with AsyncRuptAPI(SECRET, domain=url, timeout=10) as client:
            fast = client.with_options(timeout=0.1)
            assert (await client.get_evaluation(eid)).id == eid
            verified = await client.verify_challenge(completed, action="login", user_id="u1")
            assert verified.id == completed
            fake.inject(Fault(delay=0.5))
            try:
                await fast.get_evaluation(eid)
            except RuptTimeoutError as err:
                assert (await err.continuation).id == eid
            fake.inject(Fault(delay=0.5))
            try:
                await fast.get_challenge("c1")  # ignored; asyncio.run cancels it
            except RuptTimeoutError:
                pass

    asyncio.run(main())
print("done")
"""


def run_python(script: str, *flags: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RUPT_LOG", None)
    return subprocess.run(
        [sys.executable, *flags, "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_no_resource_warning_in_dev_mode() -> None:
    done = run_python(DEV_MODE_SCRIPT, "-W", "error", "-X", "dev")
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\n", "")


EXIT_SCRIPT = """
import asyncio, sys, time
from rupt_api import AsyncRuptAPI, RuptAPI, RuptTimeoutError

url, surface = sys.argv[1], sys.argv[2]
if surface == "sync":
    client = RuptAPI("sk_test_fake", domain=url, timeout=2)
    try:
        client.get_evaluation("e1")
    except RuptTimeoutError:
        pass
else:
    async def main():
        client = AsyncRuptAPI("sk_test_fake", domain=url, timeout=2)
        try:
            await client.get_evaluation("e1")
        except RuptTimeoutError:
            pass
    asyncio.run(main())
print("abandoned", flush=True)
"""


@pytest.mark.parametrize("surface", ["sync", "async"])
def test_a_process_with_abandoned_requests_exits_at_once(surface: str) -> None:
    fake = FakeRupt()
    with fake.serve() as base_url:
        # The answer takes 30 s; the 2 s deadline leaves a loaded machine time to send the request.
        fake.inject(Fault(delay=30, times=10))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [sys.executable, "-c", EXIT_SCRIPT, base_url, surface],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            abandoned = time.monotonic()
            code = process.wait(timeout=10)
            exited_after = time.monotonic() - abandoned
            stderr = process.stderr.read() if process.stderr else ""
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()
            if process.stderr:
                process.stderr.close()
        assert (line, code, stderr) == ("abandoned\n", 0, "")
        assert exited_after < 2, f"exited {exited_after:.1f} s after abandoning its request"
        # The request was in flight (the server got it) when the process left.
        assert [r.path for r in fake.requests][:1] == ["/v3/evaluations/e1"]
