"""Comparing JSON payloads with what the models write back (used by the parsing tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.payloads import (
    CHALLENGE,
    DEVICES,
    DOC_TIMESTAMP,
    DOC_USER,
    EVALUATION,
    POLICY,
    RISK,
    TIMESTAMP_KEYS,
)

# The wire's date-time fields (TIMESTAMP_KEYS) are written back by the models with `isoformat()`
# (`+00:00`, no milliseconds when zero), so both sides are compared as parsed datetimes.


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


# -- Rupt's documented example payloads, shared by every test layer ------------------------------

# Every field the spec lists, filled in: the starting points of the generated variants.
FULL_EVALUATION: dict[str, Any] = EVALUATION | {
    "user": DOC_USER | {"metadata": {"plan": "pro"}},
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
    "consumed_at": DOC_TIMESTAMP,
}
FULL_CHALLENGE: dict[str, Any] = CHALLENGE | {
    "user": DOC_USER | {"skip_challenge_count": 2, "metadata": {}},
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
