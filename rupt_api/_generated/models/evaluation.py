from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, parse_datetime

T = TypeVar("T", bound="Evaluation")


@_attrs_define
class Evaluation:
    """What Rupt concluded about one login, signup or access: the full server-side view, including the verdict, the risks,
    the matched policy and the user. Choice: the API reference's field names (`id`, `user`) are followed, not the older
    README's (`_id`, `projectUser`); either would still parse, the latter kept as unknown fields. The Node README also
    lists `checks`, whose shape is unknown; it is kept as an unknown field when present.

    """

    id: str
    """ The evaluation's id. """
    action: str | Unset = UNSET
    """ The action evaluated. Known values: `login`, `signup`, `access`; apps may evaluate custom actions, so any
    other string may appear. """
    verdict: str | Unset = UNSET
    """ Rupt's decision. Known values: `allow`, `challenge`, `deny`, `restrict`, `challenge_and_restrict` (API
    reference) and `suspend`, `add_to_list`, `remove_from_list` (concepts page). Choice: the two pages disagree, so
    this is an open set and any other string may appear. """
    reasons: list[str] | Unset = UNSET
    """ Why Rupt reached the verdict, for example `new_fingerprint`, `new_ip`. """
    redirect: str | Unset = UNSET
    """ The hosted challenge page to send the user to. Present when a challenge is needed. """
    user: User | Unset = UNSET
    """ The user an evaluation or challenge is about, as embedded in those objects. """
    challenge: EvaluationChallenge | Unset = UNSET
    """ The challenge an evaluation asked for, in short form. """
    policy: Policy | Unset = UNSET
    """ The policy that matched the evaluation. """
    fingerprint: Fingerprint | Unset = UNSET
    """ The browser fingerprint Rupt matched for the evaluation. """
    geolocation: Geolocation | Unset = UNSET
    """ Where the evaluated request came from. """
    device: str | Unset = UNSET
    """ The id of the device the evaluation came from. """
    access: str | Unset = UNSET
    """ The id of the access record, on `access` evaluations. """
    risks: list[Risk] | Unset = UNSET
    """ The risks Rupt found. """
    metadata: Any | Unset = UNSET
    """ Metadata the app passed to evaluate. """
    consumed: bool | Unset = UNSET
    """ Whether the evaluation was consumed (claimed by a server, single use). """
    consumed_at: datetime.datetime | Unset = UNSET
    """ When the evaluation was consumed. """
    created_at: datetime.datetime | Unset = UNSET
    """ When the evaluation was created. """
    updated_at: datetime.datetime | Unset = UNSET
    """ When the evaluation last changed. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        action = self.action

        verdict = self.verdict

        reasons: list[str] | Unset = UNSET
        if not isinstance(self.reasons, Unset):
            reasons = self.reasons

        redirect = self.redirect

        user: dict[str, Any] | Unset = UNSET
        if not isinstance(self.user, Unset):
            user = self.user.to_dict()

        challenge: dict[str, Any] | Unset = UNSET
        if not isinstance(self.challenge, Unset):
            challenge = self.challenge.to_dict()

        policy: dict[str, Any] | Unset = UNSET
        if not isinstance(self.policy, Unset):
            policy = self.policy.to_dict()

        fingerprint: dict[str, Any] | Unset = UNSET
        if not isinstance(self.fingerprint, Unset):
            fingerprint = self.fingerprint.to_dict()

        geolocation: dict[str, Any] | Unset = UNSET
        if not isinstance(self.geolocation, Unset):
            geolocation = self.geolocation.to_dict()

        device = self.device

        access = self.access

        risks: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.risks, Unset):
            risks = []
            for risks_item_data in self.risks:
                risks_item = risks_item_data.to_dict()
                risks.append(risks_item)

        metadata = self.metadata

        consumed = self.consumed

        consumed_at: str | Unset = UNSET
        if not isinstance(self.consumed_at, Unset):
            consumed_at = self.consumed_at.isoformat()

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

        updated_at: str | Unset = UNSET
        if not isinstance(self.updated_at, Unset):
            updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if action is not UNSET:
            field_dict["action"] = action
        if verdict is not UNSET:
            field_dict["verdict"] = verdict
        if reasons is not UNSET:
            field_dict["reasons"] = reasons
        if redirect is not UNSET:
            field_dict["redirect"] = redirect
        if user is not UNSET:
            field_dict["user"] = user
        if challenge is not UNSET:
            field_dict["challenge"] = challenge
        if policy is not UNSET:
            field_dict["policy"] = policy
        if fingerprint is not UNSET:
            field_dict["fingerprint"] = fingerprint
        if geolocation is not UNSET:
            field_dict["geolocation"] = geolocation
        if device is not UNSET:
            field_dict["device"] = device
        if access is not UNSET:
            field_dict["access"] = access
        if risks is not UNSET:
            field_dict["risks"] = risks
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if consumed is not UNSET:
            field_dict["consumed"] = consumed
        if consumed_at is not UNSET:
            field_dict["consumed_at"] = consumed_at
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        action = d.pop("action", UNSET)

        verdict = d.pop("verdict", UNSET)

        reasons: list[str] | Unset = d.pop("reasons", UNSET)

        redirect = d.pop("redirect", UNSET)

        _user = d.pop("user", UNSET)
        user: User | Unset
        if _user is UNSET:
            user = UNSET
        else:
            user = User.from_dict(_user)

        _challenge = d.pop("challenge", UNSET)
        challenge: EvaluationChallenge | Unset
        if _challenge is UNSET:
            challenge = UNSET
        else:
            challenge = EvaluationChallenge.from_dict(_challenge)

        _policy = d.pop("policy", UNSET)
        policy: Policy | Unset
        if _policy is UNSET:
            policy = UNSET
        else:
            policy = Policy.from_dict(_policy)

        _fingerprint = d.pop("fingerprint", UNSET)
        fingerprint: Fingerprint | Unset
        if _fingerprint is UNSET:
            fingerprint = UNSET
        else:
            fingerprint = Fingerprint.from_dict(_fingerprint)

        _geolocation = d.pop("geolocation", UNSET)
        geolocation: Geolocation | Unset
        if _geolocation is UNSET:
            geolocation = UNSET
        else:
            geolocation = Geolocation.from_dict(_geolocation)

        device = d.pop("device", UNSET)

        access = d.pop("access", UNSET)

        _risks = d.pop("risks", UNSET)
        risks: list[Risk] | Unset = UNSET
        if _risks is not UNSET:
            risks = []
            for risks_item_data in _risks:
                risks_item = Risk.from_dict(risks_item_data)

                risks.append(risks_item)

        metadata = d.pop("metadata", UNSET)

        consumed = d.pop("consumed", UNSET)

        _consumed_at = d.pop("consumed_at", UNSET)
        consumed_at: datetime.datetime | Unset
        if _consumed_at is UNSET:
            consumed_at = UNSET
        else:
            consumed_at = parse_datetime(_consumed_at)

        _created_at = d.pop("createdAt", UNSET)
        created_at: datetime.datetime | Unset
        if _created_at is UNSET:
            created_at = UNSET
        else:
            created_at = parse_datetime(_created_at)

        _updated_at = d.pop("updatedAt", UNSET)
        updated_at: datetime.datetime | Unset
        if _updated_at is UNSET:
            updated_at = UNSET
        else:
            updated_at = parse_datetime(_updated_at)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        evaluation = cls(
            id,
            action,
            verdict,
            reasons,
            redirect,
            user,
            challenge,
            policy,
            fingerprint,
            geolocation,
            device,
            access,
            risks,
            metadata,
            consumed,
            consumed_at,
            created_at,
            updated_at,
        )

        evaluation.additional_properties = d
        return evaluation

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties


# Imported here, after the class, so that models may refer to each other.
from ..models.evaluation_challenge import EvaluationChallenge  # noqa: E402
from ..models.fingerprint import Fingerprint  # noqa: E402
from ..models.geolocation import Geolocation  # noqa: E402
from ..models.policy import Policy  # noqa: E402
from ..models.risk import Risk  # noqa: E402
from ..models.user import User  # noqa: E402
