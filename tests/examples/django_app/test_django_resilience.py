"""When Rupt is slow, down or unreachable: retried when it helps, else 503 with a retry hint."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from rupt_api.testing import FakeRupt, Fault

from .conftest import consumes, passed, post

SESSION_KEY = "rupt_verified_login"
UNAVAILABLE = "The sign-in check is unavailable. Try again."


def assert_unavailable(response: Any, retry_after: int) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(retry_after)
    assert response.json() == {
        "status": "unavailable",
        "error": UNAVAILABLE,
        "retry_after": retry_after,
    }
    for leak in (b"injected", b"fault", b"Timeout", b"timed out", b"deadline", b"Error"):
        assert leak not in response.content


# -- in process ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("in_process")
def test_a_503_is_retried_then_served(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed())
    fake.inject(Fault(status=503, times=2, path="/consume"))
    response = post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    assert consumes(fake) == [evaluation["id"]] * 3
    assert client.session[SESSION_KEY]["evaluation_id"] == evaluation["id"]


@pytest.mark.usefixtures("in_process")
def test_rupt_still_503_after_the_retries_is_503_then_a_retry_is_served(
    client: Client, fake: FakeRupt
) -> None:
    evaluation = fake.add_evaluation(**passed())
    fake.inject(Fault(status=503, times=4, path="/consume"))  # the call and its 3 retries
    assert_unavailable(
        post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"}), retry_after=2
    )
    assert SESSION_KEY not in client.session
    again = post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
    assert again.status_code == 200
    assert consumes(fake) == [evaluation["id"]] * 5


@pytest.mark.usefixtures("in_process")
@pytest.mark.parametrize(
    ("status", "retry_after", "expected", "attempts"),
    # A Retry-After past max_retry_delay (or the time left) is not slept on: Rupt's answer
    # comes back at once, and its Retry-After becomes the hint.
    [(429, "7", 7, 1), (503, "2.5", 3, 1), (502, "3600", 60, 1), (500, None, 2, 4)],
)
def test_rupts_retry_after_becomes_the_hint(
    client: Client,
    fake: FakeRupt,
    status: int,
    retry_after: str | None,
    expected: int,
    attempts: int,
) -> None:
    evaluation = fake.add_evaluation(**passed())
    headers = None if retry_after is None else {"Retry-After": retry_after}
    fake.inject(Fault(status=status, times=10, headers=headers, path="/consume"))
    assert_unavailable(
        post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"}), retry_after=expected
    )
    assert len(consumes(fake)) == attempts


@pytest.mark.usefixtures("in_process")
def test_no_answer_at_all_is_503_and_the_retry_is_served(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed())
    fake.inject(Fault(drop=True, times=4, path="/consume"))
    assert_unavailable(
        post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"}), retry_after=2
    )
    assert post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"}).status_code == 200


# -- over loopback, the SDK's own pool and deadline ------------------------------------------------


@pytest.mark.usefixtures("loopback")
def test_a_timeout_answers_503_quickly_and_the_retry_gets_the_outcome(
    client: Client, fake: FakeRupt, settings: Any
) -> None:
    settings.RUPT_TIMEOUT = "0.3"
    evaluation = fake.add_evaluation(**passed())
    body = {"evaluation_id": evaluation["id"], "user_id": "user_1"}
    # The consume is answered after 1 s; the SDK gives up waiting at 0.3 s and, in the
    # background, finishes that same request: the consume succeeds, sent once.
    fake.inject(Fault(delay=1, path="/consume"))
    started = time.monotonic()
    response = post(client, body)
    elapsed = time.monotonic() - started
    assert_unavailable(response, retry_after=2)
    assert elapsed < 0.9
    assert SESSION_KEY not in client.session
    time.sleep(max(0.0, started + 1.3 - time.monotonic()))

    # Calling Rupt again would get 409 (consumed in the background); the retry gets that outcome.
    retry = post(client, body)
    assert retry.status_code == 200
    assert retry.json()["evaluation_id"] == evaluation["id"]
    assert client.session[SESSION_KEY] == {"evaluation_id": evaluation["id"], "user_id": "user_1"}
    assert consumes(fake) == [evaluation["id"]]

    # The outcome is taken once: the next request calls Rupt, and the evaluation is used.
    assert post(client, body).status_code == 409
    assert consumes(fake) == [evaluation["id"]] * 2


@pytest.mark.usefixtures("loopback")
def test_a_retry_while_the_timed_out_call_still_runs_is_503_again(
    client: Client, fake: FakeRupt, settings: Any
) -> None:
    settings.RUPT_TIMEOUT = "0.3"
    evaluation = fake.add_evaluation(**passed())
    body = {"evaluation_id": evaluation["id"], "user_id": "user_1"}
    # The consume is answered after 1 s: a retry before then waits its 0.3 s and is 503 again.
    fake.inject(Fault(delay=1, path="/consume"))
    started = time.monotonic()
    assert_unavailable(post(client, body), retry_after=2)
    assert_unavailable(post(client, body), retry_after=2)  # waited 0.3 s more; still running
    assert time.monotonic() - started < 0.95
    time.sleep(max(0.0, started + 1.3 - time.monotonic()))
    final = post(client, body)
    assert final.status_code == 200  # the outcome of the one consume sent
    assert final.json()["status"] == "verified"
    assert consumes(fake) == [evaluation["id"]]  # no retry sent a consume of its own
    assert client.session[SESSION_KEY]["evaluation_id"] == evaluation["id"]


@pytest.mark.usefixtures("loopback")
def test_a_retry_with_other_expectations_does_not_take_the_outcome(
    client: Client, fake: FakeRupt, settings: Any
) -> None:
    settings.RUPT_TIMEOUT = "0.3"
    evaluation = fake.add_evaluation(**passed())
    fake.inject(Fault(delay=1, path="/consume"))
    started = time.monotonic()
    assert post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"}).status_code == 503
    time.sleep(max(0.0, started + 1.3 - time.monotonic()))  # the consume completed meanwhile
    other = post(Client(), {"evaluation_id": evaluation["id"], "user_id": "user_2"})
    assert other.status_code == 409  # called Rupt itself: consumed by the first call
    assert post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"}).status_code == 200
