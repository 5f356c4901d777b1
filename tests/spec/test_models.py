"""The public data models (`rupt_api.models`) against Rupt's documented payloads.

The payloads below are copied from the documented examples collected in
shared/reference/rupt-v3-api.md ("Documented example payloads"). They protect the promises the
models make in their module docstring: snake_case attributes, `datetime` timestamps, nested model
instances, None for absent fields, unknown keys kept, and lossless `to_dict()`.
"""

from __future__ import annotations

import copy
import datetime
import json
import typing
from typing import Any

import attrs
import pytest

from rupt_api import models
from rupt_api._generated import models as generated_models
from rupt_api.models import (
    Challenge,
    Device,
    DeviceInfo,
    DeviceInfoDevice,
    Evaluation,
    EvaluationChallenge,
    Fingerprint,
    Geolocation,
    GeolocationSecurity,
    Group,
    Policy,
    PolicyAction,
    Risk,
    UpdateUserBody,
    User,
)
from tests.payloads import (
    CHALLENGE,
    CONSUMED_EVALUATION,
    DEVICES,
    DOC_ID,
    EVALUATION,
    POLICY,
    RISK,
    TIMESTAMP_KEYS,
)

UTC_2021_09_01 = datetime.datetime(2021, 9, 1, tzinfo=datetime.UTC)
# The documented evaluation with the documented risk and policy embedded, which is where the API
# sends them (the docs show them on their own only).
EVALUATION_WITH_RISKS: dict[str, Any] = EVALUATION | {"risks": [RISK], "policy": POLICY}

# Every documented payload with the model that parses it, for the parametrised round-trip tests.
DOCUMENTED: list[tuple[type[Any], dict[str, Any]]] = [
    (Evaluation, EVALUATION),
    (Evaluation, CONSUMED_EVALUATION),
    (Evaluation, EVALUATION_WITH_RISKS),
    (Risk, RISK),
    (Policy, POLICY),
    (Challenge, CHALLENGE),
    *[(Device, device) for device in DEVICES],
]
DOCUMENTED_IDS = [
    "evaluation",
    "consumed-evaluation",
    "evaluation-with-risks",
    "risk",
    "policy",
    "challenge",
    *[f"device-{i}" for i in range(len(DEVICES))],
]


# A response from a future API: values Rupt does not document yet, new fields at every level, and
# documented fields missing (no `category` on risks, no `id` on the user, no timestamps...).
FUTURE_EVALUATION: dict[str, Any] = {
    "id": "7a0000000000000000000001",
    "action": "password_reset",
    "verdict": "quarantine",
    "reasons": ["impossible_travel"],
    "user": {"rupt_id": DOC_ID, "trust_level": "gold"},
    "challenge": {
        "id": "7a0000000000000000000002",
        "status": "awaiting_biometrics",
        "type": "deepfake",
        "liveness": {"score": 0.4},
    },
    "policy": {"id": "p1", "action": {"type": "quarantine", "duration": 3600}, "version": 7},
    "fingerprint": {"id": "f1", "confidence": 1, "stability": "high"},
    "geolocation": {
        "country_code": "FR",
        "asn": 3215,
        "security": {"vpn": True, "residential_proxy": True},
    },
    "risks": [
        {"name": "ato", "severity": "catastrophic", "score": 99.5, "confidence": 0.8},
        {"name": "bot"},
    ],
    "checks": [{"kind": "email", "passed": True}],
    "risk_score_v2": 42,
    "createdAt": "2026-07-15T12:34:56.789Z",
}

FUTURE_CHALLENGE: dict[str, Any] = {
    "id": "7a0000000000000000000002",
    "status": "awaiting_biometrics",
    "type": "deepfake",
    "challenge_mode": "customer_managed",
    "delivery_status": "read",
    "channels": ["email", "whatsapp"],
    "actions": ["verify", "appeal"],
    "user": {"rupt_id": DOC_ID, "email": "ab*****@rupt.dev", "skip_challenge_count": 2, "tier": 3},
    "biometric_score": 0.93,
}

FUTURE_DEVICE: dict[str, Any] = {
    "id": "635940382397b3ac0b81c0b8",
    "status": "quarantined",
    "info": {
        "browser": {"name": "Firefox", "version": "140.0"},
        "device": {"vendor": "Google", "model": "Pixel 11", "foldable": True},
        "gpu": {"vendor": "ARM"},
    },
    "trust": "high",
}


def normalise_timestamps(value: Any) -> Any:
    """Replace every timestamp string with the instant it denotes.

    `to_dict()` writes datetimes with `isoformat()` (`2021-09-01T00:00:00+00:00`) while Rupt sends
    `2021-09-01T00:00:00.000Z`: the same instant in another spelling. Comparing instants is the
    honest round-trip check; comparing strings would fail on spelling alone, and dropping the
    timestamps would hide a real loss (a shifted time zone, a lost field).
    """
    if isinstance(value, dict):
        return {
            key: datetime.datetime.fromisoformat(item)
            if key in TIMESTAMP_KEYS and isinstance(item, str)
            else normalise_timestamps(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [normalise_timestamps(item) for item in value]
    return value


def assert_utc(value: Any) -> None:
    assert isinstance(value, datetime.datetime)
    assert value.tzinfo is not None, "timestamps must be timezone-aware"
    assert value.utcoffset() == datetime.timedelta(0)


# --- the public module -------------------------------------------------------------------------


def test_models_module_exports_the_api_objects() -> None:
    """`rupt_api.models` is the public import path; it must offer every object the API returns."""
    for name in ("Evaluation", "Challenge", "Device", "User", "Risk", "Group", "Policy"):
        assert name in models.__all__, name
        model: Any = getattr(models, name)
        assert callable(model.from_dict), name
        assert callable(model.to_dict), name
        assert attrs.has(model), name


def test_wire_key_type_is_the_attribute_type_underscore() -> None:
    """The generator suffixes names of Python builtins with `_` (it exempts only `id`), so the
    wire's `type` is `type_` on every model that has one. This pins that public naming, and that
    `type_` is a real field, not an unknown key: it is read from and written back as `type`."""
    for model in (EvaluationChallenge, Challenge, PolicyAction, DeviceInfoDevice):
        names = {field.name for field in attrs.fields(model)}
        assert "type_" in names, model.__name__
        assert "type" not in names, model.__name__
        parsed = model.from_dict(
            {"id": "x", "type": "kyc"} if model is Challenge else {"type": "kyc"}
        )
        assert parsed.type_ == "kyc", model.__name__
        assert "type" not in parsed.additional_properties, model.__name__
        assert parsed.to_dict()["type"] == "kyc", model.__name__


# --- the documented payloads -------------------------------------------------------------------


def test_documented_evaluation_parses_into_typed_attributes() -> None:
    """The retrieve example: strings stay strings, nested objects become models, times are UTC."""
    evaluation = Evaluation.from_dict(EVALUATION)

    assert evaluation.id == DOC_ID
    assert evaluation.action == "login"
    assert evaluation.verdict == "challenge"
    assert evaluation.reasons == ["new_fingerprint", "new_ip"]
    assert isinstance(evaluation.reasons, list)
    assert evaluation.redirect == EVALUATION["redirect"]
    assert evaluation.consumed is False

    assert isinstance(evaluation.user, User)
    assert evaluation.user.rupt_id == DOC_ID
    assert evaluation.user.id == "external_account_id"
    assert evaluation.user.email == "user@example.com"
    assert evaluation.user.phone == "+15551234567"

    assert isinstance(evaluation.challenge, EvaluationChallenge)
    assert evaluation.challenge.id == DOC_ID
    assert evaluation.challenge.status == "created"
    assert evaluation.challenge.type_ == "account_takeover"

    assert_utc(evaluation.created_at)
    assert_utc(evaluation.updated_at)
    assert evaluation.created_at == UTC_2021_09_01
    assert evaluation.updated_at == UTC_2021_09_01

    # Fields the example does not send read as None, and nothing was left over as unknown.
    assert evaluation.consumed_at is None
    assert evaluation.risks is None
    assert evaluation.policy is None
    assert evaluation.additional_properties == {}


def test_documented_consumed_evaluation_parses() -> None:
    """The consume example: `consumed_at` (snake_case on the wire) is a UTC datetime."""
    evaluation = Evaluation.from_dict(CONSUMED_EVALUATION)

    assert evaluation.verdict == "allow"
    assert evaluation.reasons == ["known_device"]
    assert evaluation.consumed is True
    assert_utc(evaluation.consumed_at)
    assert evaluation.consumed_at == UTC_2021_09_01
    assert evaluation.redirect is None
    assert evaluation.challenge is None
    assert isinstance(evaluation.user, User)


def test_documented_risk_and_policy_parse_alone_and_inside_an_evaluation() -> None:
    """The risk and policy examples, which carry no `category`, `id` or `definition`."""
    risk = Risk.from_dict(RISK)
    assert (risk.name, risk.severity, risk.score) == ("ato", "low", 3)
    assert risk.indicators == ["new_fingerprint", "new_ip"]
    assert risk.id is None
    assert risk.definition is None

    policy = Policy.from_dict(POLICY)
    assert policy.name == "..."
    assert isinstance(policy.action, PolicyAction)
    assert policy.action.type_ == "allow"
    assert policy.id is None

    evaluation = Evaluation.from_dict(EVALUATION_WITH_RISKS)
    assert isinstance(evaluation.risks, list)
    assert len(evaluation.risks) == 1
    assert isinstance(evaluation.risks[0], Risk)
    assert evaluation.risks[0] == risk
    assert isinstance(evaluation.policy, Policy)
    assert evaluation.policy == policy


def test_documented_challenge_parses() -> None:
    """The challenge example, including falsy values (`false`) that must not read as None."""
    challenge = Challenge.from_dict(CHALLENGE)

    assert challenge.id == DOC_ID
    assert challenge.status == "code_sent"
    assert challenge.type_ == "account_takeover"
    assert challenge.challenge_mode == "rupt_managed"
    assert challenge.delivery_status == "delivered"
    assert challenge.channels == ["email"]
    assert challenge.reasons == ["new_fingerprint", "new_ip"]
    assert challenge.actions == ["verify", "skip"]
    assert challenge.evaluation == DOC_ID
    assert challenge.email_verified is False
    assert challenge.phone_verified is False
    assert challenge.verify_attempts == 1
    assert isinstance(challenge.user, User)
    assert challenge.user.email == "user@example.com"
    assert_utc(challenge.created_at)
    assert_utc(challenge.updated_at)
    assert challenge.kyc is None
    assert challenge.origin_url is None


def test_documented_devices_list_parses() -> None:
    """The devices example (a bare array): nested `info.device`, free-form `metadata`."""
    devices = [Device.from_dict(item) for item in DEVICES]

    assert len(devices) == 1
    device = devices[0]
    assert device.id == "635940382397b3ac0b81c0b7"
    assert device.user == DOC_ID
    assert device.status == "attached"
    assert device.metadata == {"key": "value"}
    assert device.actively_connected is True
    assert isinstance(device.info, DeviceInfo)
    assert isinstance(device.info.device, DeviceInfoDevice)
    assert device.info.device.vendor == "Apple"
    assert device.info.device.model == "iPhone 12"
    assert device.info.device.type_ == "mobile"
    assert device.info.browser is None
    assert_utc(device.attached_at)
    assert_utc(device.created_at)
    assert_utc(device.updated_at)


@pytest.mark.parametrize(("model", "payload"), DOCUMENTED, ids=DOCUMENTED_IDS)
def test_documented_payloads_round_trip_through_to_dict(
    model: type[Any], payload: dict[str, Any]
) -> None:
    """`to_dict()` gives back the documented payload: same keys (camelCase where the wire has it),
    same values, same instants. Only the timestamps' spelling may change (see normalise_timestamps).
    """
    parsed = model.from_dict(payload)
    out = parsed.to_dict()

    assert normalise_timestamps(out) == normalise_timestamps(payload)
    # It is JSON again (no datetime or model objects left inside) ...
    assert json.loads(json.dumps(out)) == out
    # ... and parsing it again gives an equal object, timestamps included.
    assert model.from_dict(out) == parsed


def test_to_dict_writes_timestamps_as_timezone_aware_iso_strings() -> None:
    """The one documented difference from the wire: `.000Z` comes back as `+00:00`."""
    out = Evaluation.from_dict(CONSUMED_EVALUATION).to_dict()
    for key in ("createdAt", "updatedAt", "consumed_at"):
        assert out[key] == "2021-09-01T00:00:00+00:00", key


@pytest.mark.parametrize(("model", "payload"), DOCUMENTED, ids=DOCUMENTED_IDS)
def test_from_dict_does_not_modify_the_payload(model: type[Any], payload: dict[str, Any]) -> None:
    """Parsing must not consume the caller's dict (the generated code pops keys from a copy)."""
    before = copy.deepcopy(payload)
    model.from_dict(payload)
    assert payload == before


def _distinct_instance(model: type[Any], tag: str) -> Any:
    """An instance of `model`, built by keyword, whose every field holds a value no other field
    (of it or of any model nested in it) holds: a nested model carries its own marker key."""
    hints = typing.get_type_hints(model)
    values: dict[str, Any] = {}
    for index, field in enumerate(attrs.fields(model)):
        if not field.init:
            continue
        name = f"{tag}.{field.name}"
        hint = hints[field.name]
        if datetime.datetime in typing.get_args(hint):
            values[field.alias] = datetime.datetime(2021, 9, 1, 0, index, tzinfo=datetime.UTC)
            continue
        nested = [arg for arg in typing.get_args(hint) if attrs.has(arg)]
        lists = [typing.get_args(arg)[0] for arg in typing.get_args(hint) if typing.get_args(arg)]
        if nested:
            values[field.alias] = _distinct_instance(nested[0], name)
        elif lists and attrs.has(lists[0]):
            values[field.alias] = [_distinct_instance(lists[0], f"{name}[0]")]
        elif lists and lists[0] is str:
            values[field.alias] = [f"item of {name}"]
        else:  # the models keep plain values as sent, whatever their declared type
            values[field.alias] = f"value of {name}"
    instance = model(**values)
    instance["marker"] = tag
    return instance


@pytest.mark.parametrize("name", generated_models.__all__)
def test_from_dict_puts_every_key_on_its_own_attribute(name: str) -> None:
    """from_dict passes the fields to the model's __init__ by position (cheaper than by keyword:
    templates/model.py.jinja.patch); with a distinct value in every field, at every depth, any
    field landing on another's attribute would make the parsed model differ from the original."""
    model = getattr(generated_models, name)
    original = _distinct_instance(model, name)
    wire = original.to_dict()
    assert model.from_dict(wire) == original
    assert model.from_dict(json.loads(json.dumps(wire))) == original


# --- absent fields, nulls, unknown keys -------------------------------------------------------


@pytest.mark.parametrize("model", [Evaluation, Challenge, Device, Group])
def test_absent_fields_read_as_none_not_a_sentinel(model: type[Any]) -> None:
    """With only the required `id`, every other field is exactly None (not a falsy UNSET object),
    so `evaluation.redirect is None` is the way to test for absence."""
    parsed = model.from_dict({"id": "x"})
    names = [f.name for f in attrs.fields(model) if f.name not in {"id", "additional_properties"}]
    assert names, "the model has optional fields"
    for name in names:
        assert getattr(parsed, name) is None, name
    assert parsed.to_dict() == {"id": "x"}


@pytest.mark.parametrize("model", [User, Risk, Policy, EvaluationChallenge, DeviceInfo])
def test_embedded_objects_accept_an_empty_object(model: type[Any]) -> None:
    """Embedded objects require nothing: `{}` parses, every field None, and writes back as `{}`."""
    parsed = model.from_dict({})
    for field in attrs.fields(model):
        if field.name != "additional_properties":
            assert getattr(parsed, field.name) is None, field.name
    assert parsed.to_dict() == {}


def test_explicit_null_reads_as_none() -> None:
    """`null` for a string, a nested object, a list and a timestamp parses (no crash on
    `User.from_dict(None)` or `fromisoformat(None)`) and reads like an absent key."""
    payload = {
        "id": DOC_ID,
        "redirect": None,
        "user": None,
        "challenge": None,
        "geolocation": None,
        "reasons": None,
        "risks": None,
        "consumed_at": None,
        "createdAt": None,
    }
    evaluation = Evaluation.from_dict(payload)
    for name in ("redirect", "user", "challenge", "geolocation", "reasons", "risks"):
        assert getattr(evaluation, name) is None, name
    assert evaluation.consumed_at is None
    assert evaluation.created_at is None
    assert evaluation.additional_properties == {}
    # Known null fields are then left out when writing, exactly as absent ones.
    assert evaluation.to_dict() == {"id": DOC_ID}

    device = Device.from_dict({"id": "d", "info": {"device": None}, "attached_at": None})
    assert isinstance(device.info, DeviceInfo)
    assert device.info.device is None
    assert device.attached_at is None


def test_unknown_keys_are_kept_at_top_level_and_nested() -> None:
    """Keys the spec does not list are kept on the model they arrived on, readable through
    `additional_properties` and `model["key"]`, and written back by `to_dict()`."""
    payload = copy.deepcopy(EVALUATION_WITH_RISKS)
    payload["checks"] = [{"kind": "email"}]
    payload["_id"] = DOC_ID
    payload["user"]["projectUser"] = "pu_1"
    payload["challenge"]["kyc"] = {"level": "basic"}  # a documented, free-form field
    payload["challenge"]["attempts_left"] = 2
    payload["risks"][0]["category"] = "account"  # the field the API dropped in July 2026
    payload["policy"]["action"]["ttl"] = 60

    evaluation = Evaluation.from_dict(payload)

    assert evaluation.additional_properties == {"checks": [{"kind": "email"}], "_id": DOC_ID}
    assert evaluation["checks"] == [{"kind": "email"}]
    assert "_id" in evaluation
    assert "verdict" not in evaluation  # known fields are attributes, not extra keys
    assert evaluation.user is not None
    assert evaluation.user["projectUser"] == "pu_1"
    assert evaluation.challenge is not None
    assert evaluation.challenge.kyc == {"level": "basic"}
    assert evaluation.challenge.additional_properties == {"attempts_left": 2}
    assert evaluation.risks is not None
    assert evaluation.risks[0]["category"] == "account"
    assert evaluation.policy is not None
    assert evaluation.policy.action is not None
    assert evaluation.policy.action["ttl"] == 60
    with pytest.raises(KeyError):
        evaluation["not_sent"]

    assert normalise_timestamps(evaluation.to_dict()) == normalise_timestamps(payload)


# --- request bodies ----------------------------------------------------------------------------


def test_update_user_body_sends_only_the_fields_given() -> None:
    """update_user writes only the fields sent, so an unset field must not appear as `null`."""
    assert UpdateUserBody(email="a@b.c").to_dict() == {"email": "a@b.c"}
    assert UpdateUserBody().to_dict() == {}
    assert UpdateUserBody(phone="+15551234567", metadata={"plan": "pro"}).to_dict() == {
        "phone": "+15551234567",
        "metadata": {"plan": "pro"},
    }


def test_update_user_body_keeps_falsy_values_that_were_given() -> None:
    """Only None means "not given": an empty string, an empty metadata object or an empty group
    list are deliberate values and are sent."""
    body = UpdateUserBody(email="", metadata={}, groups=[])
    assert body.to_dict() == {"email": "", "metadata": {}, "groups": []}


def test_update_user_body_serialises_groups() -> None:
    """Groups become plain dicts holding only their given fields."""
    body = UpdateUserBody(
        groups=[Group(id="g1"), Group(id="g2", name="Team 2", metadata={"seats": 5})]
    )
    assert body.to_dict() == {
        "groups": [{"id": "g1"}, {"id": "g2", "name": "Team 2", "metadata": {"seats": 5}}]
    }
    assert json.loads(json.dumps(body.to_dict())) == body.to_dict()


def test_group_requires_an_id() -> None:
    """`id` is the one required field of a group, both when building and when parsing one."""
    with pytest.raises(TypeError):
        Group(name="no id")  # type: ignore[call-arg]
    with pytest.raises(KeyError):
        Group.from_dict({"name": "no id"})
    assert Group.from_dict({"id": "g1"}).id == "g1"


# --- a future API ------------------------------------------------------------------------------


def test_future_evaluation_parses() -> None:
    """Unknown verdicts, statuses and severities, new fields everywhere and missing documented
    fields must all parse: this is the failure Rupt's .NET SDK 1.0.0 had (it required `category`).
    """
    evaluation = Evaluation.from_dict(FUTURE_EVALUATION)

    # Unknown values are plain strings, comparable as such.
    assert evaluation.verdict == "quarantine"
    assert type(evaluation.verdict) is str
    assert type(evaluation.action) is str
    assert evaluation.action == "password_reset"
    assert evaluation.challenge is not None
    assert evaluation.challenge.status == "awaiting_biometrics"
    assert type(evaluation.challenge.status) is str
    assert evaluation.challenge.type_ == "deepfake"
    assert evaluation.policy is not None
    assert evaluation.policy.action is not None
    assert evaluation.policy.action.type_ == "quarantine"

    # Risks without `category` (and one with nothing but a name).
    assert evaluation.risks is not None
    assert [type(risk) for risk in evaluation.risks] == [Risk, Risk]
    first, second = evaluation.risks
    assert first.severity == "catastrophic"
    assert type(first.severity) is str
    assert first.score == 99.5
    assert "category" not in first
    assert first.indicators is None
    assert second.name == "bot"
    assert second.severity is None
    assert second.score is None

    # New fields, at the top and nested, are kept where they arrived.
    assert evaluation["checks"] == [{"kind": "email", "passed": True}]
    assert evaluation["risk_score_v2"] == 42
    assert first["confidence"] == 0.8
    assert evaluation.user is not None
    assert evaluation.user.id is None
    assert evaluation.user["trust_level"] == "gold"
    assert evaluation.challenge["liveness"] == {"score": 0.4}
    assert evaluation.policy["version"] == 7
    assert evaluation.policy.action["duration"] == 3600
    assert isinstance(evaluation.fingerprint, Fingerprint)
    assert evaluation.fingerprint["stability"] == "high"
    assert isinstance(evaluation.geolocation, Geolocation)
    assert evaluation.geolocation["asn"] == 3215
    assert isinstance(evaluation.geolocation.security, GeolocationSecurity)
    assert evaluation.geolocation.security.vpn is True
    assert evaluation.geolocation.security.proxy is None
    assert evaluation.geolocation.security["residential_proxy"] is True

    # Documented fields that did not come read as None.
    assert evaluation.consumed is None
    assert evaluation.updated_at is None
    assert evaluation.created_at == datetime.datetime(
        2026, 7, 15, 12, 34, 56, 789000, tzinfo=datetime.UTC
    )

    assert normalise_timestamps(evaluation.to_dict()) == normalise_timestamps(FUTURE_EVALUATION)


def test_future_challenge_parses() -> None:
    """A challenge with unknown status, mode, delivery status, channel and action values, a new
    field on its user and at the top, and most documented fields missing."""
    challenge = Challenge.from_dict(FUTURE_CHALLENGE)

    assert challenge.status == "awaiting_biometrics"
    assert type(challenge.status) is str
    assert challenge.challenge_mode == "customer_managed"
    assert challenge.delivery_status == "read"
    assert challenge.channels == ["email", "whatsapp"]
    assert challenge.actions == ["verify", "appeal"]
    assert challenge["biometric_score"] == 0.93
    assert isinstance(challenge.user, User)
    assert challenge.user.email == "ab*****@rupt.dev"
    assert challenge.user.skip_challenge_count == 2
    assert challenge.user["tier"] == 3
    assert challenge.created_at is None
    assert challenge.verify_attempts is None
    assert challenge.to_dict() == FUTURE_CHALLENGE


def test_future_device_parses() -> None:
    """A device with an unknown status and new fields on itself, its info and its hardware."""
    device = Device.from_dict(FUTURE_DEVICE)

    assert device.status == "quarantined"
    assert device["trust"] == "high"
    assert isinstance(device.info, DeviceInfo)
    assert device.info.browser == {"name": "Firefox", "version": "140.0"}
    assert device.info["gpu"] == {"vendor": "ARM"}
    assert isinstance(device.info.device, DeviceInfoDevice)
    assert device.info.device.type_ is None
    assert device.info.device["foldable"] is True
    assert device.attached_at is None
    assert device.to_dict() == FUTURE_DEVICE
