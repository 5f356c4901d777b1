"""verify_challenge: step 4 of the challenge flow, each outcome on both surfaces."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest

from rupt_api import (
    ChallengeAlreadyUsedError,
    ChallengeMismatchError,
    ChallengeNotCompletedError,
    RuptApiError,
    RuptTimeoutError,
    RuptVerificationError,
)
from rupt_api.testing import Fault

from .conftest import LiveSurface

PASSED = {
    "challenge_status": "completed",
    "action": "login",
    "user_id": "user_1",
    "email": "Ada@Example.com",
    "phone": "+15551234567",
    "metadata": {"plan": "pro", "seats": 3},
}


def test_a_completed_matching_challenge_is_returned_once(live: LiveSurface, fake: Any) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    client = live.live()
    verified = live.call(
        client,
        "verify_challenge",
        evaluation["id"],
        action="login",
        user_id="user_1",
        email="ada@example.com",
        phone="+15551234567",
        metadata={"plan": "pro"},
    )
    assert verified.id == evaluation["id"]
    assert verified.consumed is True
    with pytest.raises(ChallengeAlreadyUsedError) as replay:
        live.call(client, "verify_challenge", evaluation["id"], user_id="user_1")
    assert replay.value.earlier_attempt_unknown is False
    assert isinstance(replay.value.__cause__, RuptApiError)
    assert replay.value.__cause__.status == 409


@pytest.mark.parametrize("status", ["code_sent", "failed", "skipped", "verified", None])
def test_anything_but_completed_sends_the_user_back(
    live: LiveSurface, fake: Any, status: str | None
) -> None:
    evaluation = fake.add_evaluation(challenge_status=status, verdict="challenge")
    with pytest.raises(ChallengeNotCompletedError) as info:
        live.call(live.live(), "verify_challenge", evaluation["id"])
    assert info.value.status == status
    assert info.value.redirect == evaluation.get("redirect")
    if status is not None:
        assert info.value.redirect is not None
        assert info.value.redirect.startswith("https://challenge.rupt.dev/")
    assert info.value.evaluation is not None


@pytest.mark.parametrize(
    ("expected", "field"),
    [
        ({"action": "signup"}, "action"),
        ({"user_id": "user_2"}, "user_id"),
        ({"email": "eve@example.com"}, "email"),
        ({"phone": "+15550000000"}, "phone"),
        ({"metadata": {"plan": "free"}}, "metadata['plan']"),
        ({"metadata": {"missing": 1}}, "metadata['missing']"),
    ],
)
def test_a_mismatch_names_the_field_never_the_values(
    live: LiveSurface, fake: Any, expected: dict[str, Any], field: str
) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    with pytest.raises(ChallengeMismatchError) as info:
        live.call(live.live(), "verify_challenge", evaluation["id"], **expected)
    assert info.value.field == field
    text = str(info.value) + repr(info.value)
    for value in ["signup", "user_2", "eve@", "+1555", "free", "Ada", "pro"]:
        assert value not in text
    assert isinstance(info.value, RuptVerificationError)


def test_bad_expectations_are_refused_before_consuming(live: LiveSurface, fake: Any) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    with pytest.raises(TypeError, match="email"):
        live.call(live.live(), "verify_challenge", evaluation["id"], email=42)
    assert fake.requests == []


def test_other_errors_pass_through(live: LiveSurface) -> None:
    with pytest.raises(RuptApiError) as info:
        live.call(live.live(), "verify_challenge", "no-such-evaluation")
    assert info.value.status == 404


def test_the_continuation_of_a_timeout_is_verified_too(live: LiveSurface, fake: Any) -> None:
    ok = fake.add_evaluation(**PASSED)
    wrong_user = fake.add_evaluation(**PASSED)
    for evaluation in (ok, wrong_user):
        # The first attempt hangs past the deadline, then is dropped unhandled; the
        # continuation's attempt consumes.
        fake.inject(Fault(delay=0.3, drop=True, path=evaluation["id"]))
    client = live.live(timeout=0.1)
    outcomes = []
    for evaluation in (ok, wrong_user):
        with pytest.raises(RuptTimeoutError) as info:
            live.call(
                client,
                "verify_challenge",
                evaluation["id"],
                user_id="user_1" if evaluation is ok else "x",
            )
        outcomes.append(info.value.continuation)

    assert _result(live, outcomes[0]).id == ok["id"]
    with pytest.raises(ChallengeMismatchError):
        _result(live, outcomes[1])


def test_a_continued_verify_whose_first_attempt_consumed_is_ambiguous(
    live: LiveSurface, fake: Any
) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    fake.inject(Fault(delay=0.3, times=2))  # handled late: the first attempt does consume
    with pytest.raises(RuptTimeoutError) as info:
        live.call(live.live(timeout=0.1), "verify_challenge", evaluation["id"])
    with pytest.raises(ChallengeAlreadyUsedError) as used:
        _result(live, info.value.continuation)
    assert used.value.earlier_attempt_unknown is True


def _result(live: LiveSurface, continuation: Any) -> Any:
    if live.is_async:
        return live.run(asyncio.wait_for(continuation, 10))
    assert isinstance(continuation, concurrent.futures.Future)
    return continuation.result(timeout=10)


def test_a_malformed_email_in_the_answer_is_a_mismatch(surface: Any) -> None:
    from .conftest import Recorder, json_response

    payload = {"id": "e1", "challenge": {"id": "c", "status": "completed"}, "user": {"email": 42}}
    client = surface.client(Recorder(json_response(200, payload)))
    with pytest.raises(ChallengeMismatchError) as info:
        surface.call(client, "verify_challenge", "e1", email="a@example.com")
    assert info.value.field == "email"
