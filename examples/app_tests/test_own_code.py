# examples/app_tests/test_own_code.py: code of yours that takes the client as an argument
import pytest

from rupt_api import ChallengeAlreadyUsedError, ChallengeNotCompletedError


def confirm_login(rupt, evaluation_id, user_id):
    return rupt.verify_challenge(evaluation_id, action="login", user_id=user_id)


async def confirm_login_async(rupt, evaluation_id, user_id):
    return await rupt.verify_challenge(evaluation_id, action="login", user_id=user_id)


def test_confirm_login(rupt_client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    with pytest.raises(ChallengeNotCompletedError):
        confirm_login(rupt_client, evaluation["id"], "user_1")  # this consumed it

    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.complete_challenge(evaluation)
    assert confirm_login(rupt_client, evaluation["id"], "user_1").consumed


async def test_confirm_login_async(rupt_async_client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.complete_challenge(evaluation)

    confirmed = await confirm_login_async(rupt_async_client, evaluation["id"], "user_1")

    assert confirmed.user.id == "user_1"


def test_a_retried_confirmation_may_consume_again(rupt_client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.complete_challenge(evaluation)
    rupt_fake.allow_replay(evaluation)  # one more consume succeeds; Rupt would answer 409

    assert confirm_login(rupt_client, evaluation["id"], "user_1").consumed
    assert confirm_login(rupt_client, evaluation["id"], "user_1").consumed
    with pytest.raises(ChallengeAlreadyUsedError):
        confirm_login(rupt_client, evaluation["id"], "user_1")
