"""Pieces the fake builds its payloads from: timestamps, ids and the trip through the models.

Every payload the fake sends is a generated model's `to_dict()`, so the wire names and shapes
follow openapi.yaml: regenerate the models after a spec change and the fake changes with them.
"""

from __future__ import annotations

import copy
import datetime as _dt
import secrets
from collections.abc import Mapping
from typing import Any, Protocol, Self, TypeVar

import attrs


class Timestamp(_dt.datetime):
    """A datetime written the way Rupt writes timestamps: `2021-09-01T00:00:00.000Z`.

    The generated models serialize datetimes with `isoformat()`; this subclass makes that give
    milliseconds and a `Z` for UTC. Other offsets keep their offset, with milliseconds.
    """

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        """Milliseconds, and `Z` for UTC; `timespec` is ignored."""
        if self.utcoffset() == _dt.timedelta(0):
            return f"{self.strftime(f'%Y-%m-%d{sep}%H:%M:%S')}.{self.microsecond // 1000:03d}Z"
        return super().isoformat(sep, "milliseconds")


def now() -> Timestamp:
    """The current UTC time, to the millisecond."""
    moment = Timestamp.now(_dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def new_id() -> str:
    """A fresh id shaped like Rupt's (24 hex digits, as a MongoDB ObjectId)."""
    return secrets.token_hex(12)


class Model(Protocol):
    """What the generated models have in common."""

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self: ...


M = TypeVar("M", bound=Model)


def _restamp(model: Any) -> None:
    """Turn the plain datetimes `from_dict` made back into `Timestamp`s (top level only)."""
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        if isinstance(value, _dt.datetime) and not isinstance(value, Timestamp):
            setattr(model, field.name, Timestamp.combine(value.date(), value.timetz()))


def with_extra(model: M, extra: Mapping[str, Any] | None) -> M:
    """`model` with `extra`'s top-level keys merged over its payload, read back through the model.

    Keys the spec does not know land in the model's additional properties and are sent as given.
    Raises ValueError when the merged payload no longer fits the model.
    """
    if not extra:
        return model
    merged = {**model.to_dict(), **copy.deepcopy(dict(extra))}
    try:
        result = type(model).from_dict(merged)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        name = type(model).__name__
        raise ValueError(f"extra={extra!r} does not fit the {name} model: {exc!r}") from exc
    _restamp(result)
    return result


def payload(model: Model) -> dict[str, Any]:
    """The model's JSON payload, sharing nothing with the stored model."""
    return copy.deepcopy(model.to_dict())
