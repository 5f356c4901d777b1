"""Comparing JSON payloads with what the models write back (used by the parsing tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

# The wire's date-time fields. The models write them back with `isoformat()` (`+00:00`, no
# milliseconds when zero), so both sides are compared as parsed datetimes.
TIMESTAMP_KEYS = frozenset({"createdAt", "updatedAt", "consumed_at", "attached_at"})


def _timestamp(value: str) -> Any:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return value


def normalised(value: Any, *, drop_nulls: bool = True) -> Any:
    """`value` with timestamps parsed and (by default) keys whose value is null left out.

    The models read an explicit null like an absent key and leave it out when writing back.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if drop_nulls and item is None:
                continue
            if key in TIMESTAMP_KEYS and isinstance(item, str):
                out[key] = _timestamp(item)
            else:
                out[key] = normalised(item, drop_nulls=drop_nulls)
        return out
    if isinstance(value, list):
        return [normalised(item, drop_nulls=drop_nulls) for item in value]
    return value


# -- Rupt's documented example payloads (shared/reference/rupt-v3-api.md) -----------------------

_ID = "649873be6e8b6f9b33722a0c"
_TS = "2021-09-01T00:00:00.000Z"
_USER = {
    "rupt_id": _ID,
    "id": "external_account_id",
    "email": "user@example.com",
    "phone": "+15551234567",
}

EVALUATION: dict[str, Any] = {
    "id": _ID,
    "action": "login",
    "verdict": "challenge",
    "reasons": ["new_fingerprint", "new_ip"],
    "redirect": f"https://challenge.rupt.dev/?challenge={_ID}",
    "user": dict(_USER),
    "challenge": {"id": _ID, "status": "created", "type": "account_takeover"},
    "consumed": False,
    "createdAt": _TS,
    "updatedAt": _TS,
}

CONSUMED_EVALUATION: dict[str, Any] = {
    key: value for key, value in EVALUATION.items() if key not in ("redirect", "challenge")
} | {"verdict": "allow", "reasons": ["known_device"], "consumed": True, "consumed_at": _TS}

RISK: dict[str, Any] = {
    "name": "ato",
    "severity": "low",
    "score": 3,
    "indicators": ["new_fingerprint", "new_ip"],
}
POLICY: dict[str, Any] = {"name": "Block takeovers", "action": {"type": "allow"}}

CHALLENGE: dict[str, Any] = {
    "id": _ID,
    "status": "code_sent",
    "type": "account_takeover",
    "challenge_mode": "rupt_managed",
    "delivery_status": "delivered",
    "channels": ["email"],
    "reasons": ["new_fingerprint", "new_ip"],
    "actions": ["verify", "skip"],
    "user": dict(_USER),
    "evaluation": _ID,
    "email_verified": False,
    "phone_verified": False,
    "verify_attempts": 1,
    "createdAt": _TS,
    "updatedAt": _TS,
}

DEVICES: list[dict[str, Any]] = [
    {
        "id": "635940382397b3ac0b81c0b7",
        "user": _ID,
        "status": "attached",
        "metadata": {"key": "value"},
        "info": {"device": {"vendor": "Apple", "model": "iPhone 12", "type": "mobile"}},
        "attached_at": _TS,
        "actively_connected": True,
        "createdAt": _TS,
        "updatedAt": _TS,
    }
]

# Every field the spec lists, filled in: the starting points of the generated variants.
FULL_EVALUATION: dict[str, Any] = EVALUATION | {
    "user": _USER | {"metadata": {"plan": "pro"}},
    "challenge": EVALUATION["challenge"] | {"kyc": {"level": "basic"}},
    "policy": POLICY | {"id": "pol_1"},
    "fingerprint": {"id": "fp_1", "confidence": 0.93},
    "geolocation": {
        "city": "Lisboa",
        "region": "Lisboa",
        "country": "Portugal",
        "country_code": "PT",
        "ip": "203.0.113.7",
        "security": {"vpn": False, "proxy": False, "tor": False, "hosting": True},
    },
    "device": "635940382397b3ac0b81c0b7",
    "access": "acc_1",
    "risks": [RISK | {"id": "risk_1", "definition": "def_1"}, dict(RISK)],
    "metadata": {"cart": {"items": 3}, "tags": ["vip"]},
    "consumed_at": _TS,
}
FULL_CHALLENGE: dict[str, Any] = CHALLENGE | {
    "user": _USER | {"skip_challenge_count": 2, "metadata": {}},
    "origin_url": "https://app.example.com/login",
    "kyc": {"level": "document", "reasons": ["expired"], "reference_matched": False},
}
FULL_DEVICES: list[dict[str, Any]] = [
    DEVICES[0]
    | {
        "info": {
            "browser": {"name": "Safari", "version": "17"},
            "engine": {"name": "WebKit"},
            "os": {"name": "iOS", "version": "17.1"},
            "device": {"vendor": "Apple", "model": "iPhone 12", "type": "mobile"},
            "cpu": {"architecture": "arm64"},
        }
    },
    DEVICES[0] | {"id": "635940382397b3ac0b81c0b8", "status": "detached"},
]
