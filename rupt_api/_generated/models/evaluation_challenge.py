from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EvaluationChallenge")


@_attrs_define
class EvaluationChallenge:
    """The challenge an evaluation asked for, in short form."""

    id: str | Unset = UNSET
    """ The challenge's id; read the full challenge with getChallenge. """
    status: str | Unset = UNSET
    """ The challenge's status. Known values: `created`, `presented`, `code_sent`, `verified`, `completed`,
    `failed`, `skipped`, `overridden`. Only `completed` means the user passed. Any other string may appear. """
    type_: str | Unset = UNSET
    """ What the challenge guards against. Known values: `repeat_trial`, `account_sharing`, `account_takeover`,
    `multi_accounting`, `fake_account`, `kyc`. Any other string may appear. """
    kyc: Any | Unset = UNSET
    """ KYC details when the challenge is an identity check; its shape is not documented. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        type_ = self.type_

        kyc = self.kyc

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if status is not UNSET:
            field_dict["status"] = status
        if type_ is not UNSET:
            field_dict["type"] = type_
        if kyc is not UNSET:
            field_dict["kyc"] = kyc

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id", UNSET)

        status = d.pop("status", UNSET)

        type_ = d.pop("type", UNSET)

        kyc = d.pop("kyc", UNSET)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        evaluation_challenge = cls(
            id,
            status,
            type_,
            kyc,
        )

        evaluation_challenge.additional_properties = d
        return evaluation_challenge

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
