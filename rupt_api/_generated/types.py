"""Contains some shared types for properties"""

import datetime
import re
from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from types import NoneType
from typing import IO, BinaryIO, Generic, TypeVar

from attrs import define

# rupt-api fork of the generator's types.py template (the only change is here): a field the API
# left out reads as None instead of a private sentinel, so `evaluation.redirect is None` works and
# users never meet a falsy UNSET object. An explicit `null` and an absent key read the same, and
# `to_dict()` leaves out fields that are None, which is what "only the fields given" means for
# request bodies. mypy reads `X | Unset` as `X | None`.
Unset = NoneType  # type: ignore[nonetype-type]

UNSET: None = None

_LEAP_SECOND = re.compile(r"^(?P<minute>.+T\d\d:\d\d):60(?:\.\d+)?(?P<zone>.*)$")


def parse_datetime(value: str) -> datetime.datetime:
    """An RFC 3339 date-time from the API (rupt-api fork: see the comment above `Unset`).

    `datetime.fromisoformat` refuses two things RFC 3339 allows: a lower-case `t` or `z`, and a
    leap second (`23:59:60Z`), which is read as the last microsecond of the minute.
    """
    text = (
        value.replace("t", "T").replace("z", "Z")
        if "t" in value or "z" in value
        else value
    )
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        leap = _LEAP_SECOND.match(text)
        if leap is None:
            raise ValueError(f"not an RFC 3339 date-time: {value!r}") from None
        return datetime.datetime.fromisoformat(
            f"{leap['minute']}:59.999999{leap['zone']}"
        )


# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@define
class Response(Generic[T]):
    """A response from an endpoint"""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None


__all__ = [
    "UNSET",
    "File",
    "FileTypes",
    "RequestFiles",
    "Response",
    "Unset",
    "parse_datetime",
]
