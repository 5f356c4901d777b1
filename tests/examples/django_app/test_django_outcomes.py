"""POST /verify-challenge: every outcome's status code and body, against the in-process stand-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client

from rupt_api import RuptAPI
from rupt_api.testing import FakeRupt, Fault

from .conftest import SECRET, consumes, passed, post

pytestmark = pytest.mark.usefixtures("in_process")

FORM = "application/x-www-form-urlencoded"
SESSION_KEY = "rupt_verified_login"


def body_for(evaluation: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The request for `evaluation`; the expected identity is user_1's id unless given."""
    if "email" not in fields and "user_id" not in fields:
        fields["user_id"] = "user_1"
    return {"evaluation_id": evaluation["id"], **fields}


# -- verified --------------------------------------------------------------------------------------


def test_a_passed_challenge_is_verified_and_marks_the_session(
    client: Client, fake: FakeRupt
) -> None:
    evaluation = fake.add_evaluation(**passed())
    response = post(client, body_for(evaluation, email="ada@example.com", user_id="user_1"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "verified",
        "action": "login",
        "evaluation_id": evaluation["id"],
    }
    assert client.session[SESSION_KEY] == {"evaluation_id": evaluation["id"], "user_id": "user_1"}
    assert consumes(fake) == [evaluation["id"]]
    assert all(request.authorized for request in fake.requests)


def test_verifying_gives_the_browser_a_new_session_id(client: Client, fake: FakeRupt) -> None:
    session = client.session
    session["cart"] = ["book"]
    session.save()
    before = session.session_key
    client.cookies[django_settings.SESSION_COOKIE_NAME] = before
    evaluation = fake.add_evaluation(**passed())
    assert post(client, body_for(evaluation)).status_code == 200
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.session["cart"] == ["book"]
    assert client.session[SESSION_KEY]["evaluation_id"] == evaluation["id"]


def test_the_guides_fetch_sending_json_as_text_plain_works(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed())
    response = post(
        client,
        f'{{"evaluation_id": "{evaluation["id"]}", "email": "ada@example.com"}}',
        content_type="text/plain;charset=UTF-8",
    )
    assert response.status_code == 200
    assert response.json()["evaluation_id"] == evaluation["id"]


@pytest.mark.parametrize("content_type", [FORM, "multipart"])
def test_form_data_is_read_too(client: Client, fake: FakeRupt, content_type: str) -> None:
    evaluation = fake.add_evaluation(**passed())
    fields = body_for(evaluation, email="ADA@example.com", user_id="user_1")
    if content_type == FORM:
        response = post(client, urlencode(fields), content_type=FORM)
    else:
        response = client.post("/verify-challenge", fields)  # the test client's multipart
    assert response.status_code == 200
    assert response.json()["status"] == "verified"


def test_an_empty_field_is_not_checked_but_one_identity_is_required(
    client: Client, fake: FakeRupt
) -> None:
    evaluation = fake.add_evaluation(**passed())
    fields = body_for(evaluation, email="", user_id="")
    response = post(client, urlencode(fields), content_type=FORM)
    assert response.status_code == 400
    assert response.json()["error"] == "email or user_id is required."
    assert fake.requests == []
    fields = body_for(evaluation, email="", user_id="user_1")
    response = post(client, urlencode(fields), content_type=FORM)
    assert response.status_code == 200


# -- 400: the request itself -----------------------------------------------------------------------


JSON = "application/json"
NOT_AN_OBJECT = "The body must be a JSON object or form data."
REQUIRED = "evaluation_id is required."
INVALID_ID = "evaluation_id is not a valid evaluation id."


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        ("not json", JSON, NOT_AN_OBJECT),
        (b"\xff\xfe{", JSON, NOT_AN_OBJECT),
        ("[1, 2]", JSON, NOT_AN_OBJECT),
        ('"e1"', "text/plain", NOT_AN_OBJECT),
        ("{}", JSON, REQUIRED),
        ('{"evaluation_id": ""}', JSON, REQUIRED),
        ('{"evaluation_id": null}', JSON, REQUIRED),
        ("email=a%40b.c", FORM, REQUIRED),
        ('{"evaluation_id": 42}', JSON, "evaluation_id must be a string."),
        ('{"evaluation_id": ["e1"]}', JSON, "evaluation_id must be a string."),
        ('{"evaluation_id": "e1", "email": 5}', JSON, "email must be a string."),
        ('{"evaluation_id": "e1", "user_id": {}}', JSON, "user_id must be a string."),
        ('{"evaluation_id": "..", "user_id": "user_1"}', JSON, INVALID_ID),
        ('{"evaluation_id": "a\\nb", "user_id": "user_1"}', JSON, INVALID_ID),
        ('{"evaluation_id": "' + "e" * 5000 + '", "user_id": "u"}', JSON, INVALID_ID),
    ],
)
def test_a_bad_request_is_400_and_nothing_is_sent(
    client: Client, fake: FakeRupt, body: str | bytes, content_type: str, error: str
) -> None:
    response = post(client, body, content_type=content_type)
    assert response.status_code == 400
    assert response.json() == {"status": "invalid_request", "error": error}
    assert fake.requests == []
    assert SESSION_KEY not in client.session


def test_only_post_is_allowed(client: Client, fake: FakeRupt) -> None:
    assert client.get("/verify-challenge").status_code == 405
    assert fake.requests == []


# -- 409: replay -----------------------------------------------------------------------------------


def test_a_replayed_evaluation_is_409(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed())
    assert post(client, body_for(evaluation)).status_code == 200
    other_browser = Client()
    replay = post(other_browser, body_for(evaluation))
    assert replay.status_code == 409
    assert replay.json() == {
        "status": "already_used",
        "error": "This challenge was already used. Start again.",
    }
    assert SESSION_KEY not in other_browser.session
    assert consumes(fake) == [evaluation["id"]] * 2


# -- challenge not completed -----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["created", "code_sent", "failed", "skipped", "verified"])
def test_an_unfinished_challenge_over_json_is_403_with_the_challenge_page(
    client: Client, fake: FakeRupt, status: str
) -> None:
    evaluation = fake.add_evaluation(**passed(challenge_status=status))
    assert evaluation["redirect"].startswith("https://challenge.rupt.dev/")
    response = post(client, body_for(evaluation), HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json() == {
        "status": "challenge_required",
        "error": "Finish the challenge first.",
        "redirect": evaluation["redirect"],
    }
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    "accept", [None, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
)
def test_an_unfinished_challenge_from_a_browser_form_is_a_303_to_it(
    client: Client, fake: FakeRupt, accept: str | None
) -> None:
    evaluation = fake.add_evaluation(**passed(challenge_status="code_sent"))
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = post(client, urlencode(body_for(evaluation)), content_type=FORM, **headers)
    assert response.status_code == 303
    assert response["Location"] == evaluation["redirect"]
    assert response.content == b""
    assert SESSION_KEY not in client.session


def test_a_form_post_asking_for_json_gets_json(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed(challenge_status="code_sent"))
    response = post(
        client, urlencode(body_for(evaluation)), content_type=FORM, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403
    assert response.json()["redirect"] == evaluation["redirect"]


@pytest.mark.parametrize("content_type", ["application/json", FORM])
def test_no_challenge_at_all_is_a_403_without_a_redirect(
    client: Client, fake: FakeRupt, content_type: str
) -> None:
    evaluation = fake.add_evaluation(user_id="user_1", verdict="allow")
    fields = body_for(evaluation)
    body = urlencode(fields) if content_type == FORM else fields
    response = post(client, body, content_type=content_type)
    assert response.status_code == 403
    assert response.json() == {
        "status": "challenge_required",
        "error": "Finish the challenge first.",
        "redirect": None,
    }


def test_a_redirect_that_is_not_http_is_never_followed(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(
        **passed(challenge_status="code_sent", redirect="javascript:alert(1)")
    )
    response = post(client, urlencode(body_for(evaluation)), content_type=FORM)
    assert response.status_code == 403
    assert response.json()["redirect"] is None
    assert "Location" not in response


# -- 403: mismatch ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "sent"),
    [
        ({}, {"user_id": "user_2_eve"}),
        ({}, {"email": "eve@evil.example"}),
        ({"action": "signup"}, {"user_id": "user_1"}),
    ],
    ids=["user_id", "email", "action"],
)
def test_a_mismatch_is_403_and_echoes_nothing(
    client: Client, fake: FakeRupt, stored: dict[str, str], sent: dict[str, str]
) -> None:
    evaluation = fake.add_evaluation(**passed(**stored))
    response = post(client, body_for(evaluation, **sent))
    assert response.status_code == 403
    assert response.json() == {
        "status": "mismatch",
        "error": "This challenge is not for this sign-in. Start again.",
    }
    for value in ["user_1", "user_2_eve", "ada@", "Ada@", "eve@", "signup", "action", "email"]:
        assert value.encode() not in response.content
    assert SESSION_KEY not in client.session


# -- what Rupt answers -----------------------------------------------------------------------------


def test_an_unknown_evaluation_is_404(client: Client, fake: FakeRupt) -> None:
    response = post(client, {"evaluation_id": "0123456789abcdef01234567", "user_id": "user_1"})
    assert response.status_code == 404
    assert response.json() == {
        "status": "unknown_evaluation",
        "error": "Unknown challenge. Start again.",
    }
    assert consumes(fake) == ["0123456789abcdef01234567"]


def test_rupt_refusing_the_secret_is_502_and_shows_neither_secret(
    client: Client, fake: FakeRupt
) -> None:
    from rupt_login import rupt_client

    wrong = "sk_live_WRONG_secret_abcdef"
    evaluation = fake.add_evaluation(**passed())
    with httpx.Client(transport=fake.transport()) as http:
        rupt_client.configure(RuptAPI(wrong, http_client=http, max_retry_delay=0.01))
        response = post(client, body_for(evaluation))
    assert response.status_code == 502
    assert response.json() == {"status": "error", "error": "Could not verify the challenge."}
    assert wrong.encode() not in response.content
    assert fake.requests[0].authorized is False


def test_a_2xx_that_is_not_an_evaluation_is_502(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed())
    fake.inject(Fault(status=200, body="<html>a proxy's page</html>", path="/consume"))
    response = post(client, body_for(evaluation))
    assert response.status_code == 502
    assert b"proxy" not in response.content
    assert response.json()["status"] == "error"


def test_the_secret_is_sent_to_rupt_but_never_answered(client: Client, fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed(challenge_status="code_sent"))
    for body in (
        {"evaluation_id": evaluation["id"], "user_id": "user_1"},
        {"evaluation_id": SECRET},
        {},
    ):
        response = post(client, body)  # post() asserts the secret is in no body or header
        assert response.status_code in (400, 403, 404)
    assert all(request.authorized for request in fake.requests)


# -- CSRF ------------------------------------------------------------------------------------------


def test_csrf_protection_stays_on_and_the_success_page_provides_the_token(fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation(**passed())
    browser = Client(enforce_csrf_checks=True)
    refused = post(browser, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
    assert refused.status_code == 403
    assert b"CSRF" in refused.content
    assert fake.requests == []

    page = browser.get("/verified", {"evaluation": evaluation["id"]})
    assert page.status_code == 200
    assert b'fetch("/verify-challenge"' in page.content
    assert b'"X-CSRFToken"' in page.content
    assert b'user_id: query.get("user_id")' in page.content  # the identity verify_challenge needs
    token = browser.cookies["csrftoken"].value
    accepted = post(
        browser, {"evaluation_id": evaluation["id"], "user_id": "user_1"}, HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "verified"


def test_a_browser_form_with_the_csrf_token_is_redirected_to_the_challenge(
    fake: FakeRupt,
) -> None:
    evaluation = fake.add_evaluation(**passed(challenge_status="code_sent"))
    browser = Client(enforce_csrf_checks=True)
    browser.get("/verified")
    token = browser.cookies["csrftoken"].value
    fields = {"evaluation_id": evaluation["id"], "user_id": "user_1", "csrfmiddlewaretoken": token}
    response = post(browser, urlencode(fields), content_type=FORM, HTTP_ACCEPT="text/html")
    assert response.status_code == 303
    assert response["Location"] == evaluation["redirect"]
