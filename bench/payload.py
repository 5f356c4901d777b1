"""What every benchmark sends and answers: the documented evaluation and a fake secret."""

from __future__ import annotations

import json

import httpx

EVALUATION_ID = "649873be6e8b6f9b33722a0c"

# The "Evaluation (retrieve)" example from Rupt's API reference, field for field.
EVALUATION = {
    "id": EVALUATION_ID,
    "action": "login",
    "verdict": "challenge",
    "reasons": ["new_fingerprint", "new_ip"],
    "redirect": "https://challenge.rupt.dev/?challenge=649873be6e8b6f9b33722a0c",
    "user": {
        "rupt_id": "649873be6e8b6f9b33722a0c",
        "id": "external_account_id",
        "email": "user@example.com",
        "phone": "+15551234567",
    },
    "challenge": {"id": EVALUATION_ID, "status": "created", "type": "account_takeover"},
    "consumed": False,
    "createdAt": "2021-09-01T00:00:00.000Z",
    "updatedAt": "2021-09-01T00:00:00.000Z",
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
