from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="GeolocationSecurity")


@_attrs_define
class GeolocationSecurity:
    """What Rupt knows about the network the request came from."""

    vpn: bool | Unset = UNSET
    """ The IP address belongs to a VPN. """
    proxy: bool | Unset = UNSET
    """ The IP address is a proxy. """
    tor: bool | Unset = UNSET
    """ The IP address is a Tor exit node. """
    hosting: bool | Unset = UNSET
    """ The IP address belongs to a hosting provider. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        vpn = self.vpn

        proxy = self.proxy

        tor = self.tor

        hosting = self.hosting

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if vpn is not UNSET:
            field_dict["vpn"] = vpn
        if proxy is not UNSET:
            field_dict["proxy"] = proxy
        if tor is not UNSET:
            field_dict["tor"] = tor
        if hosting is not UNSET:
            field_dict["hosting"] = hosting

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        vpn = d.pop("vpn", UNSET)

        proxy = d.pop("proxy", UNSET)

        tor = d.pop("tor", UNSET)

        hosting = d.pop("hosting", UNSET)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        geolocation_security = cls(
            vpn,
            proxy,
            tor,
            hosting,
        )

        geolocation_security.additional_properties = d
        return geolocation_security

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
