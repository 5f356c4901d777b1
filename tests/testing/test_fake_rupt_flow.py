"""The challenge-flow helpers of FakeRupt, seen through the SDK as an app would use it."""

from __future__ import annotations

import pytest

from rupt_api import (
    ChallengeAlreadyUsedError,
    ChallengeMismatchError,
    ChallengeNotCompletedError,
    RuptAPI,
)
from rupt_api.testing import FakeRupt


def test_evaluate_is_a_challenge_for_the_apps_own_user(rupt_fake: FakeRupt) -> None:
    evaluation = rupt_fake.evaluate(
        "signup", user_id="user_9", email="ada@example.com", user_metadata={"plan": "pro"}
    )
    assert evaluation["action"] == "signup"
    assert evaluation["verdict"] == "challenge"
    assert evaluation["user"]["id"] == "user_9"
    assert evaluation["user"]["email"] == "ada@example.com"
    assert evaluation["user"]["metadata"] == {"plan": "pro"}
    assert evaluation["challenge"]["status"] == "code_sent"
    assert evaluation["redirect"].endswith(evaluation["challenge"]["id"])


def test_evaluate_without_a_challenge(rupt_fake: FakeRupt) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_9", verdict="allow")
    assert evaluation["verdict"] == "allow"
    assert "challenge" not in evaluation
    with pytest.raises(ValueError, match="has no challenge"):
        rupt_fake.complete_challenge(evaluation)


def test_complete_challenge_lets_verification_pass(
    rupt_fake: FakeRupt, rupt_client: RuptAPI
) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")
    completed = rupt_fake.complete_challenge(evaluation["id"])  # by id, or by payload
    assert completed["challenge"]["status"] == "completed"
    assert "redirect" not in completed

    challenge = rupt_client.get_challenge(evaluation["challenge"]["id"])
    assert challenge.status == "completed"
    assert challenge.email_verified is True
    verified = rupt_client.verify_challenge(evaluation["id"], action="login", user_id="user_1")
    assert verified.challenge is not None
    assert verified.challenge.status == "completed"


@pytest.mark.parametrize("status", ["failed", "skipped", "code_sent"])
def test_fail_challenge_sends_the_user_back(
    rupt_fake: FakeRupt, rupt_client: RuptAPI, status: str
) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.fail_challenge(evaluation, status)
    assert rupt_client.get_challenge(evaluation["challenge"]["id"]).status == status
    with pytest.raises(ChallengeNotCompletedError) as caught:
        rupt_client.verify_challenge(evaluation["id"], action="login", user_id="user_1")
    assert caught.value.redirect == evaluation["redirect"]


def test_fail_challenge_refuses_to_complete(rupt_fake: FakeRupt) -> None:
    evaluation = rupt_fake.evaluate()
    with pytest.raises(ValueError, match="complete_challenge"):
        rupt_fake.fail_challenge(evaluation, "completed")


def test_helpers_name_an_unknown_evaluation(rupt_fake: FakeRupt) -> None:
    for helper in (rupt_fake.complete_challenge, rupt_fake.fail_challenge, rupt_fake.allow_replay):
        with pytest.raises(LookupError, match="nope"):
            helper("nope")
    with pytest.raises(TypeError):
        rupt_fake.complete_challenge({"no": "id"})


def test_another_users_completed_challenge_is_a_mismatch(
    rupt_fake: FakeRupt, rupt_client: RuptAPI
) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_2")
    rupt_fake.complete_challenge(evaluation)
    with pytest.raises(ChallengeMismatchError):
        rupt_client.verify_challenge(evaluation["id"], action="login", user_id="user_1")


@pytest.mark.parametrize("times", [1, 3])
def test_allow_replay_lets_that_many_more_consumes_succeed(
    rupt_fake: FakeRupt, rupt_client: RuptAPI, times: int
) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.complete_challenge(evaluation)
    rupt_fake.allow_replay(evaluation, times)
    for _ in range(1 + times):
        assert rupt_client.consume_evaluation(evaluation["id"]).consumed
    with pytest.raises(ChallengeAlreadyUsedError):
        rupt_client.verify_challenge(evaluation["id"], action="login", user_id="user_1")


def test_allow_replay_without_limit_and_reset(rupt_fake: FakeRupt, rupt_client: RuptAPI) -> None:
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.allow_replay(evaluation, None)
    for _ in range(5):
        assert rupt_client.consume_evaluation(evaluation["id"]).consumed
    other = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.allow_replay(other, None)
    rupt_fake.reset()
    again = rupt_fake.add_evaluation(id=other["id"])
    rupt_client.consume_evaluation(again["id"])
    with pytest.raises(ChallengeAlreadyUsedError):  # reset() forgot the replay
        rupt_client.verify_challenge(again["id"], action="login", user_id="user_1")


def test_allow_replay_refuses_a_count_below_one(rupt_fake: FakeRupt) -> None:
    evaluation = rupt_fake.evaluate()
    with pytest.raises(ValueError, match="at least 1"):
        rupt_fake.allow_replay(evaluation, 0)
