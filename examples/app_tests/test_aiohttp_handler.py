# examples/app_tests/test_aiohttp_handler.py: the aiohttp example's POST /verify-challenge
import pytest

from examples.aiohttp_service import create_app
from rupt_api.testing import Fault


@pytest.fixture
async def service(aiohttp_client, rupt_fake, rupt_server):
    # The app builds its AsyncRuptAPI at startup: point it at the stand-in.
    app = create_app(secret=rupt_fake.secret, domain=rupt_server, max_retry_delay=0, environ={})
    return await aiohttp_client(app)


async def verify(service, evaluation):
    body = {"evaluation_id": evaluation["id"], "user_id": "user_1"}
    response = await service.post("/verify-challenge", json=body)
    return response.status, await response.json()


async def test_a_passed_challenge_is_verified(service, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")
    rupt_fake.complete_challenge(evaluation)

    assert await verify(service, evaluation) == (
        200,
        {"status": "verified", "evaluation_id": evaluation["id"]},
    )


async def test_an_unfinished_challenge_sends_the_user_back(service, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1", email="ada@example.com")

    status, body = await verify(service, evaluation)

    assert (status, body["redirect"]) == (403, evaluation["redirect"])


async def test_a_replayed_success_url_is_refused(service, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.complete_challenge(evaluation)

    assert (await verify(service, evaluation))[0] == 200
    assert (await verify(service, evaluation))[0] == 409


async def test_rupt_unreachable_asks_the_user_to_retry(service, rupt_fake):
    evaluation = rupt_fake.evaluate("login", user_id="user_1")
    rupt_fake.complete_challenge(evaluation)
    rupt_fake.inject(Fault(status=503, times=4))  # the call and its 3 retries

    status, body = await verify(service, evaluation)

    assert (status, body["status"]) == (503, "unavailable")
    assert len(rupt_fake.requests) == 4
