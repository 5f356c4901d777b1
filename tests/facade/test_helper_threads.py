"""The helper threads that run sync calls through an injected `http_client` (`_continuation.py`).

Such a call runs on a helper thread from its start, so the caller can stop waiting at its
deadline while the request goes on. Each calling thread keeps one parked helper; a helper that
outlives its caller's deadline is that call's continuation, and the thread gets a new one.
Every test talks to the loopback stand-in and counts what it received.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rupt_api import RuptAPI, RuptTimeoutError
from rupt_api import _continuation as continuation_module
from rupt_api.testing import Fault

from .conftest import SECRET

caller_name: contextvars.ContextVar[str] = contextvars.ContextVar("caller_name", default="?")


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP to the stand-in, noting which thread sent each request and for which caller."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.sent: list[tuple[str, threading.Thread]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent.append((caller_name.get(), threading.current_thread()))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()

    def threads_of(self, caller: str) -> set[threading.Thread]:
        with self._lock:
            return {thread for name, thread in self.sent if name == caller}


@pytest.fixture
def transport() -> Iterator[RecordingTransport]:
    recording = RecordingTransport()
    yield recording
    recording.close()


@pytest.fixture
def fresh_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No helper parked for any thread yet, and room for exactly two."""
    monkeypatch.setattr(continuation_module, "_local", threading.local())
    monkeypatch.setattr(continuation_module, "_helpers", threading.BoundedSemaphore(2))


def client_for(base_url: str, transport: RecordingTransport, timeout: float = 10) -> RuptAPI:
    http = httpx.Client(transport=transport)
    return RuptAPI(SECRET, domain=base_url, timeout=timeout, http_client=http)


def test_each_calling_thread_reuses_its_own_helper(
    base_url: str, fake: Any, transport: RecordingTransport
) -> None:
    evaluation = fake.add_evaluation()["id"]
    client = client_for(base_url, transport)
    callers = [f"caller-{i}" for i in range(4)]

    def calls(name: str) -> None:
        caller_name.set(name)  # context variables follow each call onto its helper
        for _ in range(20):
            assert client.get_evaluation(evaluation).id == evaluation

    threads = [threading.Thread(target=calls, args=(name,)) for name in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(fake.requests) == 80
    helpers = [transport.threads_of(name) for name in callers]
    assert all(len(used) == 1 for used in helpers), helpers  # one helper per caller, reused
    assert len(set().union(*helpers)) == 4  # and never shared between callers
    assert all(thread.name == "rupt-api-call" for used in helpers for thread in used)
    assert not set().union(*helpers) & set(threads)  # never the caller's own thread


def test_a_late_helper_is_the_continuation_and_the_caller_gets_a_new_one(
    base_url: str, fake: Any, transport: RecordingTransport
) -> None:
    slow = fake.add_evaluation(id="slow")["id"]
    fast = fake.add_evaluation(id="fast")["id"]
    fake.inject(Fault(path="/slow", delay=1.0, times=1))
    client = client_for(base_url, transport, timeout=0.3)
    caller_name.set("late")

    with pytest.raises(RuptTimeoutError) as caught:
        client.get_evaluation(slow)
    # The next call does not wait for the late one: it runs on a new helper.
    started = time.monotonic()
    assert client.get_evaluation(fast).id == fast
    assert time.monotonic() - started < 0.3 + 0.5
    assert caught.value.continuation.result(timeout=10).id == slow
    assert len(fake.requests) == 2  # the late call was sent once, and finished
    late, again = (thread for _, thread in transport.sent)
    assert late is not again
    late.join(timeout=5)  # a late helper ends with its call
    assert not late.is_alive()


def test_a_helper_that_ends_as_the_wait_does_delivers_and_stays(fresh_helpers: None) -> None:
    helper = continuation_module._new_helper()
    assert helper is not None
    assert helper.start(lambda: "answer")
    deadline = time.monotonic() + 5
    while helper._done.locked() and time.monotonic() < deadline:  # ended, nobody took it yet
        time.sleep(0.001)
    future = helper.abandon()
    assert future.done()
    assert future.result() == "answer"
    assert helper.start(lambda: "again")  # not late: it takes the next job
    assert helper.wait(5) == (True, "again")


def test_an_interrupted_wait_leaves_the_call_running(
    base_url: str,
    fake: Any,
    transport: RecordingTransport,
    monkeypatch: pytest.MonkeyPatch,
    fresh_helpers: None,
) -> None:
    evaluation = fake.add_evaluation()["id"]
    fake.inject(Fault(path=f"/{evaluation}", delay=0.3, times=1))
    client = client_for(base_url, transport)
    real_wait = continuation_module._Helper.wait

    def interrupted(self: Any, timeout: float) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(continuation_module._Helper, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        client.get_evaluation(evaluation)
    monkeypatch.setattr(continuation_module._Helper, "wait", real_wait)
    deadline = time.monotonic() + 5
    while not transport.sent and time.monotonic() < deadline:  # it goes on without a waiter
        time.sleep(0.001)
    interrupted_on = transport.sent[0][1]
    assert client.get_evaluation(evaluation).id == evaluation  # a new helper, at once
    interrupted_on.join(timeout=5)  # the interrupted call finished on its own helper
    assert not interrupted_on.is_alive()
    assert len(fake.requests) == 2
    assert transport.sent[1][1] is not interrupted_on


def test_past_the_helper_limit_calls_queue_and_are_answered(
    base_url: str,
    fake: Any,
    transport: RecordingTransport,
    monkeypatch: pytest.MonkeyPatch,
    fresh_helpers: None,
) -> None:
    monkeypatch.setattr(continuation_module, "_helpers", threading.BoundedSemaphore(1))
    evaluation = fake.add_evaluation()["id"]
    fake.inject(Fault(path=f"/{evaluation}", delay=0.2, times=2))
    client = client_for(base_url, transport)
    answers: list[str] = []

    def call() -> None:
        answers.append(client.get_evaluation(evaluation).id)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [evaluation, evaluation]
    assert len(fake.requests) == 2
    names = sorted(thread.name for _, thread in transport.sent)
    assert names == ["rupt-api-call", "rupt-api-call-queued"]


def test_an_idle_helper_retires_and_its_caller_gets_a_new_one(
    base_url: str,
    fake: Any,
    transport: RecordingTransport,
    monkeypatch: pytest.MonkeyPatch,
    fresh_helpers: None,
) -> None:
    monkeypatch.setattr(continuation_module, "IDLE_SECONDS", 0.05)
    monkeypatch.setattr(continuation_module, "_helpers", threading.BoundedSemaphore(1))
    evaluation = fake.add_evaluation()["id"]
    client = client_for(base_url, transport)

    assert client.get_evaluation(evaluation).id == evaluation
    first = transport.sent[0][1]
    first.join(timeout=5)  # retired after 0.05 s idle, giving its place back
    assert not first.is_alive()
    assert client.get_evaluation(evaluation).id == evaluation
    second = transport.sent[1][1]
    assert second is not first
    assert second.name == "rupt-api-call"  # a helper again, not the queue: the place was freed
    assert len(fake.requests) == 2
