from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """The user an evaluation or challenge is about, as embedded in those objects."""

    rupt_id: str | Unset = UNSET
    """ Rupt's own id for the user. """
    id: str | Unset = UNSET
    """ The customer's id for the user, as passed to evaluate. Absent when the app passed none (for example on
    signup). """
    email: str | Unset = UNSET
    """ The user's email address. Choice: an older example shows it masked (`ab*****@rupt.dev`) on a challenge's
    user; it is a plain string either way. """
    phone: str | Unset = UNSET
    """ The user's phone number, in E.164 form (`+15551234567`). """
    skip_challenge_count: int | Unset = UNSET
    """ How many challenges the user has skipped. Sent on a challenge's user only. """
    metadata: Any | Unset = UNSET
    """ Metadata the app attached to the user. Choice: the challenge-flow guide compares `user.metadata`, though the
    API reference does not list it; it is accepted when present. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rupt_id = self.rupt_id

        id = self.id

        email = self.email

        phone = self.phone

        skip_challenge_count = self.skip_challenge_count

        metadata = self.metadata

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if rupt_id is not UNSET:
            field_dict["rupt_id"] = rupt_id
        if id is not UNSET:
            field_dict["id"] = id
        if email is not UNSET:
            field_dict["email"] = email
        if phone is not UNSET:
            field_dict["phone"] = phone
        if skip_challenge_count is not UNSET:
            field_dict["skip_challenge_count"] = skip_challenge_count
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        rupt_id = d.pop("rupt_id", UNSET)

        id = d.pop("id", UNSET)

        email = d.pop("email", UNSET)

        phone = d.pop("phone", UNSET)

        skip_challenge_count = d.pop("skip_challenge_count", UNSET)

        metadata = d.pop("metadata", UNSET)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        user = cls(
            rupt_id,
            id,
            email,
            phone,
            skip_challenge_count,
            metadata,
        )

        user.additional_properties = d
        return user

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
