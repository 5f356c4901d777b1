"""Over the real loopback stand-in: concurrency, and timeouts whose continuations are followed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

import pytest

from examples.aiohttp_service import CONTINUATIONS, Settled
from rupt_api.testing import FakeRupt, Fault

from .conftest import MakeClient

PASSED = {"challenge_status": "completed", "action": "login"}


async def test_100_concurrent_requests_each_get_their_own_answer(
    served: MakeClient, fake: FakeRupt
) -> None:
    client = await served()
    # Distinct users, half with a completed challenge and half not: every answer is tied to its
    # own evaluation (its id, or its own challenge page), so a crossed answer cannot pass.
    cases = []
    for i in range(100):
        user = {"user_id": f"user_{i}", "email": f"user{i}@example.com"}
        if i % 2:
            evaluation = fake.add_evaluation(
                verdict="challenge", challenge_status="code_sent", action="login", **user
            )
            expected = (403, {"status": "challenge_required", "redirect": evaluation["redirect"]})
        else:
            evaluation = fake.add_evaluation(**PASSED, **user)
            expected = (200, {"status": "verified", "evaluation_id": evaluation["id"]})
        cases.append(({"evaluation_id": evaluation["id"], **user}, expected))

    async def send(body: dict[str, str]) -> tuple[int, object]:
        response = await client.post("/verify-challenge", json=body)
        return response.status, await response.json()

    answers = await asyncio.gather(*(send(body) for body, _ in cases))

    assert answers == [expected for _, expected in cases]
    assert len({str(answer) for answer in answers}) == 100
    consumed = Counter(r.path for r in fake.requests if r.path.endswith("/consume"))
    assert sorted(consumed) == sorted(
        f"/v3/evaluations/{b['evaluation_id']}/consume" for b, _ in cases
    )
    assert set(consumed.values()) == {1}


async def test_a_timeout_answers_503_at_once_and_its_late_verification_is_kept(
    served: MakeClient, fake: FakeRupt, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="examples.aiohttp_service")
    client = await served(timeout=0.1)
    continuations = client.app[CONTINUATIONS]
    user = {"user_id": "user_1", "email": "Ada@Example.com"}
    evaluation = fake.add_evaluation(**PASSED, **user)
    # Rupt answers the first attempt only after 0.3 s: past the 0.1 s deadline. The SDK's
    # continuation finishes that same request, which consumes the evaluation.
    fake.inject(Fault(delay=0.3, path=evaluation["id"]))

    started = time.monotonic()
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], **user}
    )
    elapsed = time.monotonic() - started
    assert response.status == 503
    assert response.headers["Retry-After"] == "2"
    assert (await response.json())["status"] == "unavailable"
    assert elapsed < 0.3  # did not wait for Rupt

    await asyncio.wait_for(continuations.drain(), 5)
    assert list(continuations.settled) == [Settled(evaluation["id"], "verified")]
    assert continuations.pending == 0
    assert f"evaluation {evaluation['id']} verified" in caplog.text

    # Rupt now answers 409 (consumed, by this app). Someone else's retry is still refused ...
    other = {"evaluation_id": evaluation["id"], "user_id": "user_1", "email": "eve@example.com"}
    response = await client.post("/verify-challenge", json=other)
    assert (response.status, (await response.json())["status"]) == (409, "already_used")
    # ... the user's own retry gets the late verification, once.
    retry = {"evaluation_id": evaluation["id"], "user_id": "user_1", "email": "ada@example.com"}
    response = await client.post("/verify-challenge", json=retry)
    assert response.status == 200
    assert await response.json() == {"status": "verified", "evaluation_id": evaluation["id"]}
    response = await client.post("/verify-challenge", json=retry)
    assert (response.status, (await response.json())["status"]) == (409, "already_used")


async def test_a_continuation_that_ends_already_used_is_recorded_as_ambiguous(
    served: MakeClient, fake: FakeRupt
) -> None:
    client = await served(timeout=0.1)
    continuations = client.app[CONTINUATIONS]
    evaluation = fake.add_evaluation(**PASSED, user_id="user_1")
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert response.status == 200  # consumed
    # The next attempt is answered 502 after the deadline; Rupt may have consumed before failing,
    # so the 409 the continuation's retry gets is ambiguous.
    fake.inject(Fault(status=502, delay=0.3, path=evaluation["id"]))

    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert response.status == 503
    assert continuations.pending == 1

    await asyncio.wait_for(continuations.drain(), 5)
    assert list(continuations.settled) == [
        Settled(evaluation["id"], "already_used", ambiguous=True)
    ]


async def test_a_late_failure_is_recorded_not_remembered(
    served: MakeClient, fake: FakeRupt
) -> None:
    client = await served(timeout=0.1)
    continuations = client.app[CONTINUATIONS]
    evaluation = fake.add_evaluation(
        verdict="challenge", challenge_status="code_sent", action="login", user_id="user_1"
    )
    fake.inject(Fault(delay=0.3, drop=True, path=evaluation["id"]))  # the first attempt is lost

    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert response.status == 503
    await asyncio.wait_for(continuations.drain(), 5)
    assert list(continuations.settled) == [Settled(evaluation["id"], "not_completed")]
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert (response.status, (await response.json())["status"]) == (409, "already_used")


async def test_shutdown_waits_for_continuations_within_the_grace(
    served: MakeClient, fake: FakeRupt
) -> None:
    client = await served(timeout=0.1, continuation_grace=5.0)
    continuations = client.app[CONTINUATIONS]
    evaluation = fake.add_evaluation(**PASSED, user_id="user_1")
    fake.inject(Fault(delay=0.3, path=evaluation["id"]))
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert response.status == 503
    assert continuations.pending == 1

    await client.close()  # shutdown while the continuation runs

    assert continuations.pending == 0
    assert [s.outcome for s in continuations.settled] == ["verified"]


async def test_shutdown_cancels_continuations_past_the_grace(
    served: MakeClient, fake: FakeRupt
) -> None:
    client = await served(timeout=0.1, continuation_grace=0.05)
    continuations = client.app[CONTINUATIONS]
    evaluation = fake.add_evaluation(**PASSED, user_id="user_1")
    fake.inject(Fault(delay=30, times=2, path=evaluation["id"]))  # Rupt hangs
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    assert response.status == 503

    started = time.monotonic()
    await client.close()

    assert time.monotonic() - started < 2
    assert continuations.pending == 0
    assert list(continuations.settled) == [Settled(evaluation["id"], "abandoned")]
    # Nothing of the SDK's continuation is left running either.
    current = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not current and not t.done()] == []
