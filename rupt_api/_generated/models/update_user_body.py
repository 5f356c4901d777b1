from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UpdateUserBody")


@_attrs_define
class UpdateUserBody:
    """The fields to write on the user. Only the fields sent are written; anything left out is untouched. Choice: the docs
    do not say whether `metadata` is merged or replaced, nor whether `groups` may be a single object; the SDK always
    sends a list.

    """

    email: str | Unset = UNSET
    """ The user's email address. """
    phone: str | Unset = UNSET
    """ The user's phone number, in E.164 form. """
    metadata: Any | Unset = UNSET
    """ Metadata to store on the user. """
    groups: list[Group] | Unset = UNSET
    """ The groups the user belongs to. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        phone = self.phone

        metadata = self.metadata

        groups: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.groups, Unset):
            groups = []
            for groups_item_data in self.groups:
                groups_item = groups_item_data.to_dict()
                groups.append(groups_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if email is not UNSET:
            field_dict["email"] = email
        if phone is not UNSET:
            field_dict["phone"] = phone
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if groups is not UNSET:
            field_dict["groups"] = groups

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        email = d.pop("email", UNSET)

        phone = d.pop("phone", UNSET)

        metadata = d.pop("metadata", UNSET)

        _groups = d.pop("groups", UNSET)
        groups: list[Group] | Unset = UNSET
        if _groups is not UNSET:
            groups = []
            for groups_item_data in _groups:
                groups_item = Group.from_dict(groups_item_data)

                groups.append(groups_item)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        update_user_body = cls(
            email,
            phone,
            metadata,
            groups,
        )

        update_user_body.additional_properties = d
        return update_user_body

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
from ..models.group import Group  # noqa: E402
