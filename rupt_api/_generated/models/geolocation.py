from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Geolocation")


@_attrs_define
class Geolocation:
    """Where the evaluated request came from."""

    city: str | Unset = UNSET
    """ City name. """
    region: str | Unset = UNSET
    """ Region or state name. """
    country: str | Unset = UNSET
    """ Country name. """
    country_code: str | Unset = UNSET
    """ Two-letter country code. """
    ip: str | Unset = UNSET
    """ The IP address the browser used. """
    security: GeolocationSecurity | Unset = UNSET
    """ What Rupt knows about the network the request came from. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        city = self.city

        region = self.region

        country = self.country

        country_code = self.country_code

        ip = self.ip

        security: dict[str, Any] | Unset = UNSET
        if not isinstance(self.security, Unset):
            security = self.security.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if city is not UNSET:
            field_dict["city"] = city
        if region is not UNSET:
            field_dict["region"] = region
        if country is not UNSET:
            field_dict["country"] = country
        if country_code is not UNSET:
            field_dict["country_code"] = country_code
        if ip is not UNSET:
            field_dict["ip"] = ip
        if security is not UNSET:
            field_dict["security"] = security

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        city = d.pop("city", UNSET)

        region = d.pop("region", UNSET)

        country = d.pop("country", UNSET)

        country_code = d.pop("country_code", UNSET)

        ip = d.pop("ip", UNSET)

        _security = d.pop("security", UNSET)
        security: GeolocationSecurity | Unset
        if _security is UNSET:
            security = UNSET
        else:
            security = GeolocationSecurity.from_dict(_security)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        geolocation = cls(
            city,
            region,
            country,
            country_code,
            ip,
            security,
        )

        geolocation.additional_properties = d
        return geolocation

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
from ..models.geolocation_security import GeolocationSecurity  # noqa: E402
