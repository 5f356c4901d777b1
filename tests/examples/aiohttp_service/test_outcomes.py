"""Each outcome of POST /verify-challenge, status and body, through the in-process stand-in."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from rupt_api.testing import FakeRupt, Fault

from .conftest import SECRET, AppClient, MakeClient

USER = {"user_id": "user_1", "email": "ada@example.com"}
PASSED = {"challenge_status": "completed", "action": "login", **USER}


async def post(client: AppClient, body: Any) -> tuple[int, Any, Any]:
    """POST the body (JSON unless bytes); return status, parsed JSON body, headers."""
    if isinstance(body, bytes):
        response = await client.post("/verify-challenge", data=body)
    else:
        response = await client.post("/verify-challenge", json=body)
    assert response.content_type == "application/json"
    return response.status, await response.json(), response.headers


def consumes(fake: FakeRupt) -> list[str]:
    return [r.path for r in fake.requests if r.method == "POST" and r.path.endswith("/consume")]


async def test_a_completed_matching_challenge_is_verified(
    client: AppClient, fake: FakeRupt
) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    status, body, _ = await post(
        client, {"evaluation_id": evaluation["id"], "email": "Ada@Example.com", "user_id": "user_1"}
    )
    assert (status, body) == (200, {"status": "verified", "evaluation_id": evaluation["id"]})
    assert consumes(fake) == [f"/v3/evaluations/{evaluation['id']}/consume"]
    assert all(request.authorized for request in fake.requests)


async def test_without_identifiers_only_the_challenge_and_action_are_checked(
    client: AppClient, fake: FakeRupt
) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    status, body, _ = await post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
    assert (status, body["status"]) == (200, "verified")


async def test_a_replayed_evaluation_is_409_already_used(client: AppClient, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    first, _, _ = await post(client, {"evaluation_id": evaluation["id"], **USER})
    status, body, _ = await post(client, {"evaluation_id": evaluation["id"], **USER})
    assert first == 200
    assert status == 409
    assert body["status"] == "already_used"
    assert "redirect" not in body


@pytest.mark.parametrize("challenge_status", ["code_sent", "failed", "verified"])
async def test_an_unfinished_challenge_is_403_with_the_redirect(
    client: AppClient, fake: FakeRupt, challenge_status: str
) -> None:
    evaluation = fake.add_evaluation(
        verdict="challenge", challenge_status=challenge_status, action="login", **USER
    )
    status, body, _ = await post(client, {"evaluation_id": evaluation["id"], **USER})
    assert status == 403
    assert body == {"status": "challenge_required", "redirect": evaluation["redirect"]}
    assert body["redirect"].startswith("https://challenge.rupt.dev/?challenge=")


async def test_an_evaluation_without_a_challenge_is_403_without_a_redirect(
    client: AppClient, fake: FakeRupt
) -> None:
    evaluation = fake.add_evaluation(action="login", **USER)
    status, body, _ = await post(client, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
    assert (status, body) == (403, {"status": "challenge_required", "redirect": None})


@pytest.mark.parametrize(
    ("stored", "sent", "field"),
    [
        ({}, {"email": "eve@evil.example"}, "email"),
        ({}, {"user_id": "user_eve"}, "user_id"),
        ({"action": "signup"}, {}, "action"),
    ],
)
async def test_a_mismatch_is_403_and_echoes_nothing(
    client: AppClient,
    fake: FakeRupt,
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, str],
    sent: dict[str, str],
    field: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="examples.aiohttp_service")
    evaluation = fake.add_evaluation(**{**PASSED, **stored})
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], **USER, **sent}
    )
    text = await response.text()
    assert response.status == 403
    assert await response.json() == {"status": "rejected", "error": "integrity mismatch"}
    for value in ["ada@", "eve@", "user_1", "user_eve", "signup", field]:
        assert value not in text
    assert f"{field} mismatch" in caplog.text  # the field is for the logs only
    assert "eve@" not in caplog.text


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "the body must be JSON"),
        (b"\xff\xfe", "the body must be JSON"),
        ([1, 2], "the body must be a JSON object"),
        ({}, "evaluation_id is required"),
        ({"evaluation_id": ""}, "evaluation_id is required"),
        ({"evaluation_id": "   "}, "evaluation_id is required"),
        ({"evaluation_id": 42}, "evaluation_id is required"),
        ({"evaluation_id": "abc", "email": 7}, "email must be a string"),
        ({"evaluation_id": "abc", "user_id": ["x"]}, "user_id must be a string"),
        ({"evaluation_id": "..", "user_id": "user_1"}, "evaluation_id is not valid"),
        ({"evaluation_id": "a\nb", "user_id": "user_1"}, "evaluation_id is not valid"),
        ({"evaluation_id": "x" * 2000, "user_id": "user_1"}, "evaluation_id is not valid"),
    ],
)
async def test_a_bad_body_is_400_and_nothing_is_consumed(
    client: AppClient, fake: FakeRupt, body: Any, error: str
) -> None:
    status, answer, _ = await post(client, body)
    assert (status, answer) == (400, {"status": "bad_request", "error": error})
    assert fake.requests == []


async def test_an_unknown_evaluation_is_404(client: AppClient, fake: FakeRupt) -> None:
    status, body, _ = await post(
        client, {"evaluation_id": "649873be6e8b6f9b33722a0c", "user_id": "user_1"}
    )
    assert (status, body) == (404, {"status": "not_found", "error": "evaluation not found"})
    assert len(consumes(fake)) == 1  # 404 is not retried


async def test_a_503_is_retried_then_served(client: AppClient, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    fake.inject(Fault(status=503, times=2))
    status, body, _ = await post(client, {"evaluation_id": evaluation["id"], **USER})
    assert (status, body) == (200, {"status": "verified", "evaluation_id": evaluation["id"]})
    assert len(consumes(fake)) == 3


@pytest.mark.parametrize(
    ("fault", "retry_after"),
    [
        (Fault(status=503, times=4, headers={"Retry-After": "7"}), "7"),
        (Fault(status=500, times=4), "2"),
        (Fault(status=520, times=4, body="<html>origin down</html>"), "2"),
        (Fault(drop=True, times=4), "2"),
        (Fault(status=429, headers={"Retry-After": "3.2"}), "4"),
    ],
    ids=["503-retry-after", "500", "520-html", "network", "429"],
)
async def test_rupt_unavailable_is_503_with_retry_after(
    client: AppClient, fake: FakeRupt, fault: Fault, retry_after: str
) -> None:
    evaluation = fake.add_evaluation(**PASSED)
    fake.inject(fault)
    status, body, headers = await post(client, {"evaluation_id": evaluation["id"], **USER})
    assert status == 503
    assert headers["Retry-After"] == retry_after
    assert body == {
        "status": "unavailable",
        "error": "Could not verify the challenge now; try again.",
    }
    assert "origin down" not in str(body)


async def test_a_wrong_secret_is_the_services_fault_502(
    served: MakeClient, fake: FakeRupt, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sk_live_wrong_secret_0000_DO_NOT_LEAK"
    client = await served(secret=wrong)
    evaluation = fake.add_evaluation(**PASSED)
    response = await client.post(
        "/verify-challenge", json={"evaluation_id": evaluation["id"], "user_id": "user_1"}
    )
    text = await response.text()
    assert response.status == 502
    assert await response.json() == {"status": "error", "error": "Could not verify the challenge."}
    assert wrong not in text
    assert "unauthorized" not in text  # Rupt's own error text stays in the logs
    assert "401" in caplog.text
    assert wrong not in caplog.text


async def test_the_secret_never_appears_in_a_response_or_a_log(
    client: AppClient, fake: FakeRupt, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    passed = fake.add_evaluation(**PASSED)
    pending = fake.add_evaluation(verdict="challenge", challenge_status="code_sent", **USER)
    bodies: list[Any] = [
        {"evaluation_id": passed["id"], **USER},
        {"evaluation_id": passed["id"], **USER},  # replay
        {"evaluation_id": pending["id"]},
        {"evaluation_id": passed["id"], "email": "x@example.com"},
        {"evaluation_id": "unknown", "user_id": "user_1"},
        {"evaluation_id": "..", "user_id": "user_1"},
        b"nope",
    ]
    fake.inject(Fault(status=503, times=4, path="unknown"))
    seen = []
    for body in bodies:
        kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
        response = await client.post("/verify-challenge", **kwargs)
        seen.append(await response.text())
        seen.extend(f"{name}: {value}" for name, value in response.headers.items())
    other = await client.get("/verify-challenge")
    seen.append(await other.text())
    assert len(seen) > len(bodies)
    assert not [text for text in seen if SECRET in text]
    assert SECRET not in caplog.text
    assert fake.requests  # the calls did carry it to Rupt ...
    assert all(request.authorized for request in fake.requests)
    assert all(SECRET not in str(request.headers) for request in fake.requests)  # ... redacted
