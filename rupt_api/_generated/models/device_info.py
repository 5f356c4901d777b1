from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DeviceInfo")


@_attrs_define
class DeviceInfo:
    """What the browser's user agent says about the device. Choice: `browser`, `engine`, `os` and `cpu` are documented by
    name only, so they are free-form objects.

    """

    browser: Any | Unset = UNSET
    """ The browser (name, version, ...). """
    engine: Any | Unset = UNSET
    """ The rendering engine (name, version, ...). """
    os: Any | Unset = UNSET
    """ The operating system (name, version, ...). """
    device: DeviceInfoDevice | Unset = UNSET
    """ The hardware, as the browser reported it. """
    cpu: Any | Unset = UNSET
    """ The CPU (architecture, ...). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        browser = self.browser

        engine = self.engine

        os = self.os

        device: dict[str, Any] | Unset = UNSET
        if not isinstance(self.device, Unset):
            device = self.device.to_dict()

        cpu = self.cpu

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if browser is not UNSET:
            field_dict["browser"] = browser
        if engine is not UNSET:
            field_dict["engine"] = engine
        if os is not UNSET:
            field_dict["os"] = os
        if device is not UNSET:
            field_dict["device"] = device
        if cpu is not UNSET:
            field_dict["cpu"] = cpu

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        browser = d.pop("browser", UNSET)

        engine = d.pop("engine", UNSET)

        os = d.pop("os", UNSET)

        _device = d.pop("device", UNSET)
        device: DeviceInfoDevice | Unset
        if _device is UNSET:
            device = UNSET
        else:
            device = DeviceInfoDevice.from_dict(_device)

        cpu = d.pop("cpu", UNSET)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        device_info = cls(
            browser,
            engine,
            os,
            device,
            cpu,
        )

        device_info.additional_properties = d
        return device_info

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
from ..models.device_info_device import DeviceInfoDevice  # noqa: E402
