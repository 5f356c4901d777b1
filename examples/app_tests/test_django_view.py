# examples/app_tests/test_django_view.py: the Django example's POST /verify-challenge
import pytest

from rupt_api.testing import Fault


@pytest.fixture(autouse=True)
def rupt_settings(settings, rupt_fake, rupt_server):
    # The app builds its RuptAPI from settings: point them at the stand-in.
    settings.RUPT_SECRET = rupt_fake.secret
    settings.RUPT_DOMAIN = rupt_server


def verify(client, evaluation):
    body = {"evaluation_id": evaluation["id"], "email": "ada@example.com"}
    return client.post("/verify-challenge", body, content_type="application/json")


def test_a_passed_challenge_logs_the_user_in(client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")
    rupt_fake.complete_challenge(evaluation)

    response = verify(client, evaluation)

    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    assert client.session["rupt_verified_login"]["user_id"] == "user_1"


def test_an_unfinished_challenge_sends_the_user_back(client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")

    response = verify(client, evaluation)

    assert response.status_code == 403
    assert response.json()["redirect"] == evaluation["redirect"]


def test_a_failed_challenge_is_refused(client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")
    rupt_fake.fail_challenge(evaluation)

    assert verify(client, evaluation).json()["status"] == "challenge_required"


def test_a_replayed_success_url_is_refused(client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")
    rupt_fake.complete_challenge(evaluation)

    assert verify(client, evaluation).status_code == 200
    assert verify(client, evaluation).status_code == 409


def test_someone_elses_challenge_is_refused(client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_2", email="eve@example.com")
    rupt_fake.complete_challenge(evaluation)

    assert verify(client, evaluation).json()["status"] == "mismatch"


def test_a_503_from_rupt_is_retried(client, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")
    rupt_fake.complete_challenge(evaluation)
    rupt_fake.inject(Fault(status=503))  # the next request only

    assert verify(client, evaluation).status_code == 200
    consumes = [r for r in rupt_fake.requests if r.path.endswith("/consume")]
    assert len(consumes) == 2
