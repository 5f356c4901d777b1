"""Every endpoint through httpx.AsyncClient, in process and over HTTP."""

from __future__ import annotations

import httpx

from rupt_api.models import Challenge, Device, Evaluation
from rupt_api.testing import FakeRupt


async def test_get_evaluation(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    added = fake.add_evaluation(verdict="challenge", challenge_status="presented")
    response = await aclient.get(f"/v3/evaluations/{added['id']}")
    assert response.status_code == 200
    assert response.json() == added
    assert Evaluation.from_dict(response.json()).verdict == "challenge"
    assert (await aclient.get("/v3/evaluations/nope")).status_code == 404


async def test_consume(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    added = fake.add_evaluation()
    first = await aclient.post(f"/v3/evaluations/{added['id']}/consume")
    second = await aclient.post(f"/v3/evaluations/{added['id']}/consume")
    assert first.status_code == 200
    assert Evaluation.from_dict(first.json()).consumed is True
    assert second.status_code == 409
    assert second.json() == {"error": "conflict", "message": "evaluation already consumed"}


async def test_get_challenge(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    added = fake.add_challenge(status="failed")
    response = await aclient.get(f"/v3/challenges/{added['id']}")
    assert response.status_code == 200
    assert response.json() == added
    assert Challenge.from_dict(response.json()).status == "failed"
    assert (await aclient.get("/v3/challenges/nope")).status_code == 404


async def test_get_devices(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    added = fake.add_device("user_1")
    response = await aclient.get("/v3/user/user_1/devices")
    assert response.status_code == 200
    assert response.json() == [added]
    assert Device.from_dict(response.json()[0]).status == "attached"
    assert (await aclient.get("/v3/user/user_2/devices")).json() == []


async def test_update_user(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    response = await aclient.post("/v3/user/user_1/update", json={"phone": "+15551234567"})
    assert response.status_code == 204
    assert response.content == b""
    assert fake.users == {"user_1": {"phone": "+15551234567"}}
    bad = await aclient.post("/v3/user/user_1/update", json=["not", "an", "object"])
    assert bad.status_code == 400


async def test_401(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    fake.add_evaluation(id="ev_1")
    response = await aclient.get("/v3/evaluations/ev_1", headers={"Authorization": "Bearer no"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
