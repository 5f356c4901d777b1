from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Risk")


@_attrs_define
class Risk:
    """One risk Rupt found in the evaluation. Choice: nothing is required; in July 2026 the API dropped `category` from
    risks, and an SDK that required it crashed on every evaluation.

    """

    id: str | Unset = UNSET
    """ The risk's id. """
    definition: str | Unset = UNSET
    """ The id of the risk definition that produced it. """
    name: str | Unset = UNSET
    """ The risk's name, for example `ato`. """
    severity: str | Unset = UNSET
    """ How serious the risk is. Known values: `low`, `medium`, `high`, `maximum`. Any other string may appear. """
    score: float | Unset = UNSET
    """ The risk's score. """
    indicators: list[str] | Unset = UNSET
    """ The signals that raised the risk, for example `new_fingerprint`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        definition = self.definition

        name = self.name

        severity = self.severity

        score = self.score

        indicators: list[str] | Unset = UNSET
        if not isinstance(self.indicators, Unset):
            indicators = self.indicators

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if definition is not UNSET:
            field_dict["definition"] = definition
        if name is not UNSET:
            field_dict["name"] = name
        if severity is not UNSET:
            field_dict["severity"] = severity
        if score is not UNSET:
            field_dict["score"] = score
        if indicators is not UNSET:
            field_dict["indicators"] = indicators

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id", UNSET)

        definition = d.pop("definition", UNSET)

        name = d.pop("name", UNSET)

        severity = d.pop("severity", UNSET)

        score = d.pop("score", UNSET)

        indicators: list[str] | Unset = d.pop("indicators", UNSET)

        # By position, in the order of the attributes above: attrs' __init__ takes keyword
        # arguments at about twice the cost, and every model of every answer pays it.
        risk = cls(
            id,
            definition,
            name,
            severity,
            score,
            indicators,
        )

        risk.additional_properties = d
        return risk

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
