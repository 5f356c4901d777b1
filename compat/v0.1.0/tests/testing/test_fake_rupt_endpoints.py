"""The five endpoints, auth and routing, through plain httpx (in process and over HTTP)."""

from __future__ import annotations

import re
import threading
from typing import Any

import httpx
import pytest

from rupt_api.models import Challenge, Device, Evaluation
from rupt_api.testing import FakeRupt

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ID = re.compile(r"^[0-9a-f]{24}$")

# Key sets of the documented examples in rupt-v3-api.md.
EVALUATION_KEYS = {
    "id", "action", "verdict", "reasons", "redirect", "user", "challenge",
    "consumed", "createdAt", "updatedAt",
}  # fmt: skip
CHALLENGE_KEYS = {
    "id", "status", "type", "challenge_mode", "delivery_status", "channels", "reasons",
    "actions", "user", "evaluation", "email_verified", "phone_verified", "verify_attempts",
    "createdAt", "updatedAt",
}  # fmt: skip
DEVICE_KEYS = {
    "id", "user", "status", "metadata", "info", "attached_at", "actively_connected",
    "createdAt", "updatedAt",
}  # fmt: skip


def add_challenged(fake: FakeRupt, status: str = "created") -> dict[str, Any]:
    return fake.add_evaluation(
        user_id="external_account_id",
        email="user@example.com",
        phone="+15551234567",
        verdict="challenge",
        challenge_status=status,
    )


# -- GET /v3/evaluations/{id} -----------------------------------------------------------------


def test_get_evaluation_matches_the_documented_example(
    fake: FakeRupt, client: httpx.Client
) -> None:
    added = add_challenged(fake)
    response = client.get(f"/v3/evaluations/{added['id']}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == added
    assert set(body) == EVALUATION_KEYS
    assert ID.match(body["id"])
    assert body["action"] == "login"
    assert body["verdict"] == "challenge"
    assert body["reasons"] == ["new_fingerprint", "new_ip"]
    assert body["consumed"] is False
    assert STAMP.match(body["createdAt"])
    assert STAMP.match(body["updatedAt"])
    assert set(body["user"]) == {"rupt_id", "id", "email", "phone"}
    assert body["user"]["id"] == "external_account_id"
    assert body["challenge"] == {
        "id": body["challenge"]["id"],
        "status": "created",
        "type": "account_takeover",
    }
    assert body["redirect"] == f"https://challenge.rupt.dev/?challenge={body['challenge']['id']}"
    parsed = Evaluation.from_dict(body)
    assert parsed.challenge is not None
    assert parsed.challenge.status == "created"
    assert parsed.created_at is not None
    assert parsed.additional_properties == {}


def test_allowed_evaluation_has_no_challenge_or_redirect(
    fake: FakeRupt, client: httpx.Client
) -> None:
    added = fake.add_evaluation(id="ev_allowed")
    body = client.get("/v3/evaluations/ev_allowed").json()
    assert body == added
    assert body["verdict"] == "allow"
    assert body["reasons"] == ["known_device"]
    assert "redirect" not in body
    assert "challenge" not in body


def test_completed_challenge_has_no_redirect(fake: FakeRupt, client: httpx.Client) -> None:
    added = add_challenged(fake, status="completed")
    body = client.get(f"/v3/evaluations/{added['id']}").json()
    assert body["challenge"]["status"] == "completed"
    assert "redirect" not in body


def test_optional_fields_and_extra_keys(fake: FakeRupt, client: httpx.Client) -> None:
    risk = {"name": "ato", "severity": "low", "score": 3, "indicators": ["new_fingerprint"]}
    fake.add_evaluation(
        id="ev_extra",
        action="signup",
        metadata={"plan": "pro"},
        redirect="https://example.com/next",
        reasons=["custom"],
        risks=[risk],
        extra={"checks": [{"kind": "future"}], "verdict": "suspend"},
    )
    body = client.get("/v3/evaluations/ev_extra").json()
    assert body["action"] == "signup"
    assert body["verdict"] == "suspend"
    assert body["metadata"] == {"plan": "pro"}
    assert body["redirect"] == "https://example.com/next"
    assert body["reasons"] == ["custom"]
    assert body["risks"] == [risk]
    assert body["checks"] == [{"kind": "future"}]
    parsed = Evaluation.from_dict(body)
    assert parsed.additional_properties == {"checks": [{"kind": "future"}]}
    assert parsed.risks is not None
    assert parsed.risks[0].score == 3


def test_extra_that_breaks_the_model_is_refused(fake: FakeRupt) -> None:
    with pytest.raises(ValueError, match="Evaluation"):
        fake.add_evaluation(extra={"user": "not an object"})


def test_returned_payload_is_a_copy(fake: FakeRupt, client: httpx.Client) -> None:
    added = fake.add_evaluation(id="ev_copy")
    added["reasons"].append("tampered")
    added["verdict"] = "deny"
    body = client.get("/v3/evaluations/ev_copy").json()
    assert body["reasons"] == ["known_device"]
    assert body["verdict"] == "allow"


def test_unknown_evaluation_is_404(client: httpx.Client) -> None:
    response = client.get("/v3/evaluations/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "evaluation not found"}


# -- POST /v3/evaluations/{id}/consume --------------------------------------------------------


def test_consume_once_then_409(fake: FakeRupt, client: httpx.Client) -> None:
    added = add_challenged(fake, status="completed")
    first = client.post(f"/v3/evaluations/{added['id']}/consume")
    assert first.status_code == 200
    body = first.json()
    assert body["consumed"] is True
    assert STAMP.match(body["consumed_at"])
    assert body["updatedAt"] == body["consumed_at"]
    assert body["createdAt"] == added["createdAt"]
    assert Evaluation.from_dict(body).consumed is True

    again = client.post(f"/v3/evaluations/{added['id']}/consume")
    assert again.status_code == 409
    assert again.json() == {"error": "conflict", "message": "evaluation already consumed"}

    # Reading still works, and shows the consumed state.
    assert client.get(f"/v3/evaluations/{added['id']}").json() == body


def test_consume_unknown_is_404(client: httpx.Client) -> None:
    response = client.post("/v3/evaluations/nope/consume")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_consume_is_atomic_under_threads(fake: FakeRupt, client: httpx.Client) -> None:
    added = fake.add_evaluation()
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def consume() -> None:
        barrier.wait()
        response = client.post(f"/v3/evaluations/{added['id']}/consume")
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=consume) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200] + [409] * 19


# -- GET /v3/challenges/{id} ------------------------------------------------------------------


def test_challenge_of_an_evaluation_is_retrievable(fake: FakeRupt, client: httpx.Client) -> None:
    added = add_challenged(fake, status="code_sent")
    response = client.get(f"/v3/challenges/{added['challenge']['id']}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CHALLENGE_KEYS
    assert body["id"] == added["challenge"]["id"]
    assert body["status"] == "code_sent"
    assert body["type"] == "account_takeover"
    assert body["evaluation"] == added["id"]
    assert body["user"] == added["user"]
    assert body["challenge_mode"] == "rupt_managed"
    assert body["delivery_status"] == "delivered"
    assert body["verify_attempts"] == 1
    assert STAMP.match(body["createdAt"])
    parsed = Challenge.from_dict(body)
    assert parsed.type_ == "account_takeover"
    assert parsed.additional_properties == {}


def test_add_challenge(fake: FakeRupt, client: httpx.Client) -> None:
    added = fake.add_challenge(
        id="ch_1", status="completed", type="kyc", evaluation="ev_1", email="a@example.com"
    )
    body = client.get("/v3/challenges/ch_1").json()
    assert body == added
    assert body["status"] == "completed"
    assert body["type"] == "kyc"
    assert body["evaluation"] == "ev_1"
    assert body["email_verified"] is True
    assert body["user"]["email"] == "a@example.com"
    assert "id" not in body["user"]  # no app user id was given


def test_unknown_challenge_is_404(client: httpx.Client) -> None:
    response = client.get("/v3/challenges/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "challenge not found"}


# -- GET /v3/user/{user}/devices --------------------------------------------------------------


def test_devices(fake: FakeRupt, client: httpx.Client) -> None:
    evaluation = fake.add_evaluation(user_id="user_1")
    first = fake.add_device("user_1", id="dev_1", metadata={"key": "value"})
    second = fake.add_device("user_1", status="detached", info={"os": {"name": "Linux"}})
    fake.add_device("someone_else")

    response = client.get("/v3/user/user_1/devices")
    assert response.status_code == 200
    body = response.json()
    assert body == [first, second]
    assert set(body[0]) == DEVICE_KEYS
    assert body[0]["id"] == "dev_1"
    assert body[0]["user"] == evaluation["user"]["rupt_id"]  # Rupt's id, shared per user
    assert body[0]["metadata"] == {"key": "value"}
    assert body[0]["info"]["device"] == {"vendor": "Apple", "model": "iPhone 12", "type": "mobile"}
    assert body[0]["actively_connected"] is True
    assert STAMP.match(body[0]["attached_at"])
    assert body[1]["status"] == "detached"
    assert body[1]["actively_connected"] is False
    assert body[1]["info"] == {"os": {"name": "Linux"}}
    devices = [Device.from_dict(item) for item in body]
    assert devices[0].info is not None
    assert devices[0].info.device is not None
    assert devices[0].info.device.model == "iPhone 12"


def test_user_without_devices_gets_an_empty_list(client: httpx.Client) -> None:
    response = client.get("/v3/user/nobody/devices")
    assert response.status_code == 200
    assert response.json() == []


# -- POST /v3/user/{user}/update --------------------------------------------------------------


def test_update_user_stores_only_the_given_fields(fake: FakeRupt, client: httpx.Client) -> None:
    response = client.post("/v3/user/user_1/update", json={"email": "new@example.com"})
    assert response.status_code == 204
    assert response.content == b""
    assert fake.users == {"user_1": {"email": "new@example.com"}}

    groups = [{"id": "team_1", "name": "Team"}]
    client.post("/v3/user/user_1/update", json={"metadata": {"a": 1}, "groups": groups})
    client.post("/v3/user/user_1/update", json={"phone": "+15551234567", "metadata": {"b": 2}})
    assert fake.users == {
        "user_1": {
            "email": "new@example.com",
            "phone": "+15551234567",
            "metadata": {"b": 2},
            "groups": groups,
        }
    }


def test_users_is_a_copy(fake: FakeRupt, client: httpx.Client) -> None:
    client.post("/v3/user/u/update", json={"metadata": {"a": 1}})
    fake.users["u"]["metadata"]["a"] = 2
    assert fake.users == {"u": {"metadata": {"a": 1}}}


@pytest.mark.parametrize(
    "content",
    [b"[1, 2]", b'"text"', b"not json", b"", b'{"groups": [{"name": "no id"}]}'],
)
def test_update_user_rejects_bad_bodies(
    fake: FakeRupt, client: httpx.Client, content: bytes
) -> None:
    response = client.post(
        "/v3/user/user_1/update", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert isinstance(response.json()["message"], str)
    assert fake.users == {}


# -- Auth, routing, path encoding -------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Basic sk_test_fake", "sk_test_fake", "Bearer", "Bearer sk_test_fakeX"],
)
def test_401_without_the_secret(
    fake: FakeRupt, client: httpx.Client, authorization: str | None
) -> None:
    fake.add_evaluation(id="ev_1")
    headers = {} if authorization is None else {"Authorization": authorization}
    request = client.build_request("GET", "/v3/evaluations/ev_1", headers=headers)
    if authorization is None:
        del request.headers["Authorization"]
    response = client.send(request)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized"
    assert isinstance(body["message"], str)
    assert fake.requests[-1].authorized is False


def test_bearer_scheme_is_case_insensitive(fake: FakeRupt, client: httpx.Client) -> None:
    fake.add_evaluation(id="ev_1")
    response = client.get("/v3/evaluations/ev_1", headers={"Authorization": "bearer sk_test_fake"})
    assert response.status_code == 200


def test_custom_secret() -> None:
    fake = FakeRupt(secret="sk_live_other")
    fake.add_evaluation(id="ev_1")
    with httpx.Client(transport=fake.transport(), base_url="https://api.rupt.dev") as http:
        ok = http.get("/v3/evaluations/ev_1", headers={"Authorization": "Bearer sk_live_other"})
        default = http.get("/v3/evaluations/ev_1", headers={"Authorization": "Bearer sk_test_fake"})
    assert ok.status_code == 200
    assert default.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v3/nothing"),
        ("GET", "/evaluations/ev_1"),
        ("GET", "/v2/evaluations/ev_1"),
        ("GET", "/v3/evaluations/ev_1/"),
        ("GET", "/v3/evaluations/ev_1/consume"),
        ("DELETE", "/v3/evaluations/ev_1"),
        ("PUT", "/v3/evaluations/ev_1"),
        ("POST", "/v3/evaluations/ev_1"),
        ("GET", "/v3/evaluations//consume"),
        ("GET", "/v3/users/user_1/devices"),
        ("GET", "/v3/user/user_1/update"),
        ("POST", "/v3/user/user_1/devices"),
        ("GET", "/"),
    ],
)
def test_anything_else_is_404(fake: FakeRupt, client: httpx.Client, method: str, path: str) -> None:
    fake.add_evaluation(id="ev_1")
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_query_string_is_ignored_for_routing(fake: FakeRupt, client: httpx.Client) -> None:
    fake.add_evaluation(id="ev_1")
    assert client.get("/v3/evaluations/ev_1?expand=all").status_code == 200


def test_encoded_slash_is_not_a_separator(fake: FakeRupt, client: httpx.Client) -> None:
    fake.add_evaluation(id="a/b")
    fake.add_device("team/alice", id="dev_1")

    response = client.get("/v3/evaluations/a%2Fb")
    assert response.status_code == 200
    assert response.json()["id"] == "a/b"
    assert client.get("/v3/evaluations/a/b").status_code == 404
    assert client.post("/v3/evaluations/a%2Fb/consume").status_code == 200

    devices = client.get("/v3/user/team%2Falice/devices").json()
    assert [device["id"] for device in devices] == ["dev_1"]
    assert client.get("/v3/user/team/alice/devices").status_code == 404

    assert client.post("/v3/user/team%2Falice/update", json={"email": "x@y"}).status_code == 204
    assert fake.users == {"team/alice": {"email": "x@y"}}
    assert fake.requests[0].path == "/v3/evaluations/a%2Fb"


def test_path_is_decoded_exactly_once(fake: FakeRupt, client: httpx.Client) -> None:
    fake.add_evaluation(id="a%2Fb")  # an id that really holds "%2F"
    fake.add_evaluation(id="50% off")
    assert client.get("/v3/evaluations/a%252Fb").json()["id"] == "a%2Fb"
    assert client.get("/v3/evaluations/50%25%20off").json()["id"] == "50% off"
    assert client.get("/v3/evaluations/a%2Fb").status_code == 404


def test_reset_forgets_everything(fake: FakeRupt, client: httpx.Client) -> None:
    evaluation = add_challenged(fake)
    fake.add_device("user_1")
    client.post("/v3/user/user_1/update", json={"email": "x@y"})
    fake.reset()
    assert fake.users == {}
    assert fake.requests == []
    assert client.get(f"/v3/evaluations/{evaluation['id']}").status_code == 404
    assert client.get(f"/v3/challenges/{evaluation['challenge']['id']}").status_code == 404
    assert client.get("/v3/user/user_1/devices").json() == []
    assert fake.secret == "sk_test_fake"
