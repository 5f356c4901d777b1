"""What every benchmark sends and answers: the documented evaluation, filled out, and a fake secret.

The payload is Rupt's documented "Evaluation (retrieve)" example (tests/payloads.py) with every
field the API reference lists for an evaluation filled in, as the parsing tests fill them: the
user's metadata, the challenge's KYC, policy, fingerprint, geolocation, device, access, three
risks and the app's metadata. About 2 KB of JSON, what a real evaluation of a challenged login
carries, so parsing into the models costs what it costs in production (the bare example is a
quarter of that).
"""

from __future__ import annotations

import json

import httpx

from tests.payloads import DOC_ID, DOC_USER, RISK
from tests.reliability._payload_support import FULL_EVALUATION

EVALUATION_ID = DOC_ID

# The tests' every-field evaluation (not yet consumed), with a realistic amount of each field.
EVALUATION = {key: value for key, value in FULL_EVALUATION.items() if key != "consumed_at"} | {
    "user": DOC_USER | {"metadata": {"plan": "pro", "signup_source": "web", "locale": "pt-PT"}},
    "policy": {"id": "649873be6e8b6f9b33722b1d", "name": "Login", "action": {"type": "challenge"}},
    "fingerprint": {"id": "fp_2b7e151628aed2a6abf71588", "confidence": 0.93},
    "device": "635940382397b3ac0b81c0b7",
    "access": "649873be6e8b6f9b33722c2e",
    "risks": [
        RISK | {"id": "649873be6e8b6f9b33722d3f", "definition": "649873be6e8b6f9b33722e40"},
        {
            "id": "649873be6e8b6f9b33722f51",
            "definition": "649873be6e8b6f9b33723062",
            "name": "account_sharing",
            "severity": "medium",
            "score": 41,
            "indicators": ["concurrent_sessions", "distant_locations", "new_fingerprint"],
        },
        {
            "id": "649873be6e8b6f9b33723173",
            "definition": "649873be6e8b6f9b33723284",
            "name": "repeat_trial",
            "severity": "high",
            "score": 77,
            "indicators": ["known_device_other_account", "disposable_email", "hosting_ip"],
        },
    ],
    "metadata": {
        "session_id": "sess_9f8e7d6c5b4a39281706f5e4",
        "plan": "pro",
        "cart": {"items": 3, "total": "129.90", "currency": "EUR"},
        "tags": ["returning", "mobile_web"],
        "referrer": "https://app.example.com/login?next=%2Faccount%2Fbilling",
        "experiment": {"name": "checkout_v2", "variant": "b"},
    },
}
EVALUATION_JSON = json.dumps(EVALUATION).encode()

SECRET = "bench_secret_0123456789"
AUTH_HEADERS = {"Authorization": f"Bearer {SECRET}"}
MOCK_BASE_URL = "http://rupt.test"
EVALUATION_PATH = f"/v3/evaluations/{EVALUATION_ID}"


def evaluation_response(request: httpx.Request) -> httpx.Response:
    """The mock transport's answer to any request: 200 with the evaluation JSON."""
    return httpx.Response(
        200, content=EVALUATION_JSON, headers={"Content-Type": "application/json"}
    )


def mock_transport() -> httpx.MockTransport:
    """A transport that answers every request in memory, for sync and async clients alike."""
    return httpx.MockTransport(evaluation_response)
