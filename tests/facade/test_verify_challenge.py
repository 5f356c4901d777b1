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
    "user_metadata": {"plan": "pro", "seats": 3},
    "metadata": {"campaign": "spring", "flags": [1, True]},
}
# The least a caller must expect: the action and one identity.
LOGIN = {"action": "login", "user_id": "user_1"}


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
        metadata={"plan": "pro", "seats": 3.0},
        evaluation_metadata={"campaign": "spring", "flags": [1, True]},
    )
    assert verified.id == evaluation["id"]
    assert verified.consumed is True
    with pytest.raises(ChallengeAlreadyUsedError) as replay:
        live.call(client, "verify_challenge", evaluation["id"], **LOGIN)
    assert replay.value.earlier_attempt_unknown is False
    assert isinstance(replay.value.__cause__, RuptApiError)
    assert replay.value.__cause__.status == 409


@pytest.mark.parametrize("status", ["code_sent", "failed", "skipped", "verified", None])
def test_anything_but_completed_sends_the_user_back(
    live: LiveSurface, fake: Any, status: str | None
) -> None:
    evaluation = fake.add_evaluation(challenge_status=status, verdict="challenge", user_id="user_1")
    with pytest.raises(ChallengeNotCompletedError) as info:
        live.call(live.live(), "verify_challenge", evaluation["id"], **LOGIN)
    assert info.value.status == status
    assert info.value.redirect == evaluation.get("redirect")
    if status is not None:
        assert info.value.redirect is not None
        assert info.value.redirect.startswith("https://challenge.rupt.dev/")
    assert info.value.evaluation is not None


@pytest.mark.parametrize(
    ("expected", "field"),
    [
        ({"action": "signup", "user_id": "user_1"}, "action"),
        ({"action": "login", "user_id": "user_2"}, "user_id"),
        ({"action": "login", "email": "eve@example.com"}, "email"),
        ({"action": "login", "phone": "+15550000000"}, "phone"),
        ({**LOGIN, "metadata": {"plan": "free"}}, "metadata['plan']"),
        ({**LOGIN, "metadata": {"missing": 1}}, "metadata['missing']"),
        # The evaluation's own metadata is not the user's: the guide compares user.metadata.
        ({**LOGIN, "metadata": {"campaign": "spring"}}, "metadata['campaign']"),
        ({**LOGIN, "evaluation_metadata": {"plan": "pro"}}, "evaluation_metadata['plan']"),
        ({**LOGIN, "evaluation_metadata": {"flags": [True, True]}}, "evaluation_metadata['flags']"),
        ({**LOGIN, "evaluation_metadata": {"flags": [1, 1]}}, "evaluation_metadata['flags']"),
        # JSON, not Python, equality: true is not 1.
        ({**LOGIN, "metadata": {"seats": True}}, "metadata['seats']"),
        ({**LOGIN, "metadata": {"seats": "3"}}, "metadata['seats']"),
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
    for value in ["signup", "user_2", "eve@", "+1555", "free", "Ada", "pro", "spring"]:
        assert value not in text
    assert isinstance(info.value, RuptVerificationError)


def test_bad_expectations_are_refused_before_consuming(live: LiveSurface, fake: Any) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    client = live.live()
    with pytest.raises(TypeError, match="email"):
        live.call(client, "verify_challenge", evaluation["id"], action="login", email=42)
    assert fake.requests == []


def test_the_action_is_required_before_anything_is_sent(live: LiveSurface, fake: Any) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    client = live.live()
    with pytest.raises(TypeError, match="action"):
        live.call(client, "verify_challenge", evaluation["id"], user_id="user_1")
    with pytest.raises(TypeError, match="action must be a str"):
        live.call(client, "verify_challenge", evaluation["id"], action=None, user_id="user_1")
    with pytest.raises(ValueError, match="action must not be empty"):
        live.call(client, "verify_challenge", evaluation["id"], action=" ", user_id="user_1")
    assert fake.requests == []
    # Nothing was consumed: the right call still verifies.
    assert live.call(client, "verify_challenge", evaluation["id"], **LOGIN).id == evaluation["id"]


@pytest.mark.parametrize(
    "identity",
    [{}, {"user_id": None, "email": None, "phone": None}, {"email": ""}, {"user_id": "  "}],
)
def test_an_identity_is_required_before_anything_is_sent(
    live: LiveSurface, fake: Any, identity: dict[str, Any]
) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    with pytest.raises(ValueError, match=r"user_id|email|phone") as info:
        live.call(live.live(), "verify_challenge", evaluation["id"], action="login", **identity)
    message = str(info.value)
    if identity and any(value is not None for value in identity.values()):
        assert "must not be empty" in message
    else:
        for name in ("user_id", "email", "phone"):
            assert name in message
    assert fake.requests == []


def test_a_signup_without_a_user_id_is_verified_by_email(live: LiveSurface, fake: Any) -> None:
    evaluation = fake.add_evaluation(
        challenge_status="completed", action="signup", email="new@example.com"
    )
    client = live.live()
    verified = live.call(
        client, "verify_challenge", evaluation["id"], action="signup", email="New@Example.com"
    )
    assert verified.user.id is None
    other = fake.add_evaluation(
        challenge_status="completed", action="signup", email="x@example.com"
    )
    with pytest.raises(ChallengeMismatchError) as info:
        # The user id a signup does not have yet never matches.
        live.call(client, "verify_challenge", other["id"], action="signup", user_id="u9")
    assert info.value.field == "user_id"


def test_another_users_evaluation_for_another_action_is_refused(
    live: LiveSurface, fake: Any
) -> None:
    """The report that opened issue 12: mallory's signup was accepted for a login."""
    mallory = fake.add_evaluation(
        challenge_status="completed", action="signup", user_id="mallory", email="m@example.com"
    )
    with pytest.raises(ChallengeMismatchError) as info:
        live.call(live.live(), "verify_challenge", mallory["id"], **LOGIN)
    assert info.value.field == "user_id"


def test_other_errors_pass_through(live: LiveSurface) -> None:
    with pytest.raises(RuptApiError) as info:
        live.call(live.live(), "verify_challenge", "no-such-evaluation", **LOGIN)
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
                action="login",
                user_id="user_1" if evaluation is ok else "x",
            )
        outcomes.append(info.value.continuation)

    assert _result(live, outcomes[0]).id == ok["id"]
    with pytest.raises(ChallengeMismatchError):
        _result(live, outcomes[1])


def test_a_timed_out_verify_continues_to_the_verified_evaluation(
    live: LiveSurface, fake: Any
) -> None:
    """The consume the deadline cut off is the one that finishes: one consume, verified."""
    evaluation = fake.add_evaluation(**PASSED)
    fake.inject(Fault(delay=0.4))  # answered after the deadline
    with pytest.raises(RuptTimeoutError) as info:
        live.call(live.live(timeout=0.1), "verify_challenge", evaluation["id"], **LOGIN)
    verified = _result(live, info.value.continuation)
    assert verified.id == evaluation["id"]
    assert len(fake.requests) == 1
    # A second verify of the same evaluation is a replay, and certain.
    with pytest.raises(ChallengeAlreadyUsedError) as used:
        live.call(live.live(), "verify_challenge", evaluation["id"], **LOGIN)
    assert used.value.earlier_attempt_unknown is False


def _result(live: LiveSurface, continuation: Any) -> Any:
    if live.is_async:
        return live.run(asyncio.wait_for(continuation, 10))
    assert isinstance(continuation, concurrent.futures.Future)
    return continuation.result(timeout=10)


def test_a_malformed_email_in_the_answer_is_a_mismatch(surface: Any) -> None:
    from .conftest import Recorder, json_response

    payload = {
        "id": "e1",
        "action": "login",
        "challenge": {"id": "c", "status": "completed"},
        "user": {"email": 42},
    }
    client = surface.client(Recorder(json_response(200, payload)))
    with pytest.raises(ChallengeMismatchError) as info:
        surface.call(client, "verify_challenge", "e1", action="login", email="a@example.com")
    assert info.value.field == "email"


@pytest.mark.parametrize("user_metadata", [None, "pro", ["plan"], {"plan": None}])
def test_user_metadata_that_is_absent_or_not_an_object_is_a_mismatch(
    surface: Any, user_metadata: Any
) -> None:
    from .conftest import Recorder, json_response

    user: dict[str, Any] = {"id": "user_1"}
    if user_metadata is not None:
        user["metadata"] = user_metadata
    payload = {
        "id": "e1",
        "action": "login",
        "challenge": {"id": "c", "status": "completed"},
        "user": user,
        "metadata": {"plan": "pro"},  # the evaluation's own: not what `metadata=` compares
    }
    client = surface.client(Recorder(json_response(200, payload)))
    with pytest.raises(ChallengeMismatchError) as info:
        surface.call(client, "verify_challenge", "e1", **LOGIN, metadata={"plan": "pro"})
    assert info.value.field == "metadata['plan']"
