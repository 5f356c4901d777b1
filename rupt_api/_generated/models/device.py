from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, parse_datetime

T = TypeVar("T", bound="Device")


@_attrs_define
class Device:
    """A device Rupt has seen a user on."""

    id: str
    """ The device's id. """
    user: str | Unset = UNSET
    """ Rupt's id of the user the device belongs to. """
    status: str | Unset = UNSET
    """ Whether the device is attached to the user. Known values: `attached`, `detached`. Any other string may
    appear. """
    metadata: Any | Unset = UNSET
    """ Metadata stored on the device. """
    info: DeviceInfo | Unset = UNSET
    """ What the browser's user agent says about the device. Choice: `browser`, `engine`, `os` and `cpu` are
    documented by name only, so they are free-form objects. """
    attached_at: datetime.datetime | Unset = UNSET
    """ When the device was attached to the user. """
    actively_connected: bool | Unset = UNSET
    """ Whether the device is connected right now. """
    created_at: datetime.datetime | Unset = UNSET
    """ When Rupt first saw the device. """
    updated_at: datetime.datetime | Unset = UNSET
    """ When the device last changed. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        user = self.user

        status = self.status

        metadata = self.metadata

        info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.info, Unset):
            info = self.info.to_dict()

        attached_at: str | Unset = UNSET
        if not isinstance(self.attached_at, Unset):
            attached_at = self.attached_at.isoformat()

        actively_connected = self.actively_connected

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
        if user is not UNSET:
            field_dict["user"] = user
        if status is not UNSET:
            field_dict["status"] = status
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if info is not UNSET:
            field_dict["info"] = info
        if attached_at is not UNSET:
            field_dict["attached_at"] = attached_at
        if actively_connected is not UNSET:
            field_dict["actively_connected"] = actively_connected
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        user = d.pop("user", UNSET)

        status = d.pop("status", UNSET)

        metadata = d.pop("metadata", UNSET)

        _info = d.pop("info", UNSET)
        info: DeviceInfo | Unset
        if _info is UNSET:
            info = UNSET
        else:
            info = DeviceInfo.from_dict(_info)

        _attached_at = d.pop("attached_at", UNSET)
        attached_at: datetime.datetime | Unset
        if _attached_at is UNSET:
            attached_at = UNSET
        else:
            attached_at = parse_datetime(_attached_at)

        actively_connected = d.pop("actively_connected", UNSET)

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
        device = cls(
            id,
            user,
            status,
            metadata,
            info,
            attached_at,
            actively_connected,
            created_at,
            updated_at,
        )

        device.additional_properties = d
        return device

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
from ..models.device_info import DeviceInfo  # noqa: E402
