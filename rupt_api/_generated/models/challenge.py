from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, parse_datetime

T = TypeVar("T", bound="Challenge")


@_attrs_define
class Challenge:
    """An interactive challenge Rupt runs on its hosted page: the customer-safe projection the page reads (server-only
    fields such as the code are stripped by the API).

    """

    id: str
    """ The challenge's id. """
    status: str | Unset = UNSET
    """ The challenge's status. Known values: `created`, `presented`, `code_sent`, `verified`, `completed`,
    `failed`, `skipped`, `overridden`. Only `completed` means the user passed. Any other string may appear. """
    type_: str | Unset = UNSET
    """ What the challenge guards against. Known values: `repeat_trial`, `account_sharing`, `account_takeover`,
    `multi_accounting`, `fake_account`, `kyc`. Any other string may appear. """
    challenge_mode: str | Unset = UNSET
    """ Who runs the challenge. Known value `rupt_managed`; any other string may appear. """
    delivery_status: str | Unset = UNSET
    """ Whether the code reached the user. Known values: `pending`, `sent`, `delivered`, `failed`, `bounced`. Any
    other string may appear. """
    channels: list[str] | Unset = UNSET
    """ Where codes are sent. Known values: `email`, `text`. Any other string may appear. """
    reasons: list[str] | Unset = UNSET
    """ Why the challenge was raised. """
    actions: list[str] | Unset = UNSET
    """ What the user may do on the challenge page. Known values: `verify`, `view`, `skip`. Any other string may
    appear. """
    user: User | Unset = UNSET
    """ The user an evaluation or challenge is about, as embedded in those objects. """
    evaluation: str | Unset = UNSET
    """ The id of the evaluation that raised the challenge. """
    origin_url: str | Unset = UNSET
    """ The page the user was on when the challenge was raised. """
    email_verified: bool | Unset = UNSET
    """ Whether the user verified their email address in this challenge. """
    phone_verified: bool | Unset = UNSET
    """ Whether the user verified their phone number in this challenge. """
    verify_attempts: int | Unset = UNSET
    """ How many codes the user has tried. """
    kyc: ChallengeKyc | Unset = UNSET
    """ The outcome of a KYC (identity document) challenge. """
    created_at: datetime.datetime | Unset = UNSET
    """ When the challenge was created. """
    updated_at: datetime.datetime | Unset = UNSET
    """ When the challenge last changed. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        type_ = self.type_

        challenge_mode = self.challenge_mode

        delivery_status = self.delivery_status

        channels: list[str] | Unset = UNSET
        if not isinstance(self.channels, Unset):
            channels = self.channels

        reasons: list[str] | Unset = UNSET
        if not isinstance(self.reasons, Unset):
            reasons = self.reasons

        actions: list[str] | Unset = UNSET
        if not isinstance(self.actions, Unset):
            actions = self.actions

        user: dict[str, Any] | Unset = UNSET
        if not isinstance(self.user, Unset):
            user = self.user.to_dict()

        evaluation = self.evaluation

        origin_url = self.origin_url

        email_verified = self.email_verified

        phone_verified = self.phone_verified

        verify_attempts = self.verify_attempts

        kyc: dict[str, Any] | Unset = UNSET
        if not isinstance(self.kyc, Unset):
            kyc = self.kyc.to_dict()

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
        if status is not UNSET:
            field_dict["status"] = status
        if type_ is not UNSET:
            field_dict["type"] = type_
        if challenge_mode is not UNSET:
            field_dict["challenge_mode"] = challenge_mode
        if delivery_status is not UNSET:
            field_dict["delivery_status"] = delivery_status
        if channels is not UNSET:
            field_dict["channels"] = channels
        if reasons is not UNSET:
            field_dict["reasons"] = reasons
        if actions is not UNSET:
            field_dict["actions"] = actions
        if user is not UNSET:
            field_dict["user"] = user
        if evaluation is not UNSET:
            field_dict["evaluation"] = evaluation
        if origin_url is not UNSET:
            field_dict["origin_url"] = origin_url
        if email_verified is not UNSET:
            field_dict["email_verified"] = email_verified
        if phone_verified is not UNSET:
            field_dict["phone_verified"] = phone_verified
        if verify_attempts is not UNSET:
            field_dict["verify_attempts"] = verify_attempts
        if kyc is not UNSET:
            field_dict["kyc"] = kyc
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        status = d.pop("status", UNSET)

        type_ = d.pop("type", UNSET)

        challenge_mode = d.pop("challenge_mode", UNSET)

        delivery_status = d.pop("delivery_status", UNSET)

        channels: list[str] | Unset = d.pop("channels", UNSET)

        reasons: list[str] | Unset = d.pop("reasons", UNSET)

        actions: list[str] | Unset = d.pop("actions", UNSET)

        _user = d.pop("user", UNSET)
        user: User | Unset
        if _user is UNSET:
            user = UNSET
        else:
            user = User.from_dict(_user)

        evaluation = d.pop("evaluation", UNSET)

        origin_url = d.pop("origin_url", UNSET)

        email_verified = d.pop("email_verified", UNSET)

        phone_verified = d.pop("phone_verified", UNSET)

        verify_attempts = d.pop("verify_attempts", UNSET)

        _kyc = d.pop("kyc", UNSET)
        kyc: ChallengeKyc | Unset
        if _kyc is UNSET:
            kyc = UNSET
        else:
            kyc = ChallengeKyc.from_dict(_kyc)

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
        challenge = cls(
            id,
            status,
            type_,
            challenge_mode,
            delivery_status,
            channels,
            reasons,
            actions,
            user,
            evaluation,
            origin_url,
            email_verified,
            phone_verified,
            verify_attempts,
            kyc,
            created_at,
            updated_at,
        )

        challenge.additional_properties = d
        return challenge

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
from ..models.challenge_kyc import ChallengeKyc  # noqa: E402
from ..models.user import User  # noqa: E402
