"""Rupt's documented example payloads (shared/reference/rupt-v3-api.md), field for field.

One copy for every test layer: the spec tests parse them, the facade tests serve them, the
reliability tests vary them. Treat them as read-only; copy before changing one.
"""

from __future__ import annotations

from typing import Any

DOC_TIMESTAMP = "2021-09-01T00:00:00.000Z"
DOC_ID = "649873be6e8b6f9b33722a0c"

DOC_USER: dict[str, Any] = {
    "rupt_id": DOC_ID,
    "id": "external_account_id",
    "email": "user@example.com",
    "phone": "+15551234567",
}

EVALUATION: dict[str, Any] = {
    "id": DOC_ID,
    "action": "login",
    "verdict": "challenge",
    "reasons": ["new_fingerprint", "new_ip"],
    "redirect": "https://challenge.rupt.dev/?challenge=649873be6e8b6f9b33722a0c",
    "user": dict(DOC_USER),
    "challenge": {"id": DOC_ID, "status": "created", "type": "account_takeover"},
    "consumed": False,
    "createdAt": DOC_TIMESTAMP,
    "updatedAt": DOC_TIMESTAMP,
}

# "the same with verdict allow, reasons [known_device], consumed true, consumed_at ..., no
# redirect/challenge"
CONSUMED_EVALUATION: dict[str, Any] = {
    key: value for key, value in EVALUATION.items() if key not in {"redirect", "challenge"}
} | {
    "verdict": "allow",
    "reasons": ["known_device"],
    "consumed": True,
    "consumed_at": DOC_TIMESTAMP,
}

RISK: dict[str, Any] = {
    "name": "ato",
    "severity": "low",
    "score": 3,
    "indicators": ["new_fingerprint", "new_ip"],
}

POLICY: dict[str, Any] = {"name": "...", "action": {"type": "allow"}}

CHALLENGE: dict[str, Any] = {
    "id": DOC_ID,
    "status": "code_sent",
    "type": "account_takeover",
    "challenge_mode": "rupt_managed",
    "delivery_status": "delivered",
    "channels": ["email"],
    "reasons": ["new_fingerprint", "new_ip"],
    "actions": ["verify", "skip"],
    "user": dict(DOC_USER),
    "evaluation": DOC_ID,
    "email_verified": False,
    "phone_verified": False,
    "verify_attempts": 1,
    "createdAt": DOC_TIMESTAMP,
    "updatedAt": DOC_TIMESTAMP,
}

DEVICES: list[dict[str, Any]] = [
    {
        "id": "635940382397b3ac0b81c0b7",
        "user": DOC_ID,
        "status": "attached",
        "metadata": {"key": "value"},
        "info": {"device": {"vendor": "Apple", "model": "iPhone 12", "type": "mobile"}},
        "attached_at": DOC_TIMESTAMP,
        "actively_connected": True,
        "createdAt": DOC_TIMESTAMP,
        "updatedAt": DOC_TIMESTAMP,
    }
]

# The keys that hold timestamps on the wire (note the mixed camelCase / snake_case styles).
TIMESTAMP_KEYS = frozenset({"createdAt", "updatedAt", "consumed_at", "attached_at"})
