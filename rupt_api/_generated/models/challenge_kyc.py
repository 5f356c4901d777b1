from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ChallengeKyc")


@_attrs_define
class ChallengeKyc:
    """The outcome of a KYC (identity document) challenge."""

    level: str | Unset = UNSET
    """ The KYC level reached. """
    reasons: list[str] | Unset = UNSET
    """ Why the KYC check ended as it did. """
    reference_matched: bool | Unset = UNSET
    """ Whether the user matched the reference photo. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        level = self.level

        reasons: list[str] | Unset = UNSET
        if not isinstance(self.reasons, Unset):
            reasons = self.reasons

        reference_matched = self.reference_matched

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if level is not UNSET:
            field_dict["level"] = level
        if reasons is not UNSET:
            field_dict["reasons"] = reasons
        if reference_matched is not UNSET:
            field_dict["reference_matched"] = reference_matched

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        level = d.pop("level", UNSET)

        reasons: list[str] | Unset = d.pop("reasons", UNSET)

        reference_matched = d.pop("reference_matched", UNSET)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        challenge_kyc = cls(
            level,
            reasons,
            reference_matched,
        )

        challenge_kyc.additional_properties = d
        return challenge_kyc

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
