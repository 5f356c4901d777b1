"""The five operations: input checks, the request each one sends, and how its answer parses.

Paths, path encoding and bodies come from the generated client (`_generated/api/...`), so a
change to openapi.yaml reaches the facade through `make generate`. Everything here runs before a
request is built: bad input raises `TypeError`/`ValueError` and nothing is sent half-built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ._generated.models import Device, Group

# Rupt's ids are 24 hex digits and users' ids are the app's own; anything this long is a bug in
# the caller, and refusing it keeps a 10 KB string out of URLs and logs.
MAX_ID_LENGTH = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@cache
def generated() -> SimpleNamespace:
    """The generated client's endpoint modules and models, imported with the first call.

    Its attrs model classes take ~30 ms to import: loading them on first use rather than with
    `import rupt_api` keeps the import close to httpx's own (docs/performance.md).
    """
    from ._generated import models  # noqa: PLC0415
    from ._generated.api.challenges import get_challenge  # noqa: PLC0415
    from ._generated.api.evaluations import consume_evaluation, get_evaluation  # noqa: PLC0415
    from ._generated.api.users import get_user_devices, update_user  # noqa: PLC0415

    return SimpleNamespace(
        models=models,
        get_evaluation=get_evaluation,
        consume_evaluation=consume_evaluation,
        get_challenge=get_challenge,
        get_user_devices=get_user_devices,
        update_user=update_user,
    )


@attrs.frozen
class Operation:
    """One API operation: its name (for messages and logs) and how its answer parses."""

    name: str
    parse: Callable[[Any], Any] | None  # None: the answer has no body (204)


def _resource(model_name: str) -> Callable[[Any], Any]:
    """A parser for one resource: a JSON object whose `id` is a non-empty string.

    The generated models keep values as sent (leniency is the point), but an answer whose identity
    is missing or not a string is not the resource asked for: that is refused, not returned.
    """

    def parse(data: Any) -> Any:
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        resource = getattr(generated().models, model_name).from_dict(data)
        if not isinstance(resource.id, str) or not resource.id:
            raise TypeError(f"'id' must be a non-empty string, not {type(resource.id).__name__}")
        return resource

    return parse


_parse_evaluation = _resource("Evaluation")
_parse_device = _resource("Device")


def _parse_devices(data: Any) -> list[Device]:
    if not isinstance(data, list):
        raise TypeError(f"expected a JSON array of devices, got {type(data).__name__}")
    return [_parse_device(item) for item in data]


GET_EVALUATION = Operation("get_evaluation", _parse_evaluation)
# Consume is single-use on Rupt's side: re-sending it is safe (a second consume answers 409),
# but a 409 after an attempt of unknown fate is ambiguous: `Call.unknown_fate` reports it.
CONSUME_EVALUATION = Operation("consume_evaluation", _parse_evaluation)
GET_CHALLENGE = Operation("get_challenge", _resource("Challenge"))
GET_USER_DEVICES = Operation("get_user_devices", _parse_devices)
UPDATE_USER = Operation("update_user", None)


def check_id(name: str, value: object) -> str:
    """Refuse ids that cannot name one resource; the generated code percent-encodes the rest."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(
            f"{name} is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed"
        )
    # "." and ".." survive percent-encoding and would be resolved as path segments by URL
    # normalisation, reaching another endpoint.
    if value in {".", ".."}:
        raise ValueError(f"{name} must not be {value!r}")
    if _CONTROL.search(value):
        raise ValueError(f"{name} must not contain control characters (line breaks, NUL, ...)")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{name} is not valid text (it holds a lone surrogate)") from None
    return value


# Each builder returns (method, path, JSON body or None) for one call.
RequestSpec = tuple[str, str, bytes | None]


def _spec(kwargs: dict[str, Any]) -> RequestSpec:
    body = kwargs.get("json")
    content = None if body is None else json.dumps(body, separators=(",", ":")).encode()
    return kwargs["method"].upper(), kwargs["url"], content


def get_evaluation_request(evaluation_id: object) -> RequestSpec:
    return _spec(generated().get_evaluation._get_kwargs(check_id("evaluation_id", evaluation_id)))


def consume_evaluation_request(evaluation_id: object) -> RequestSpec:
    return _spec(
        generated().consume_evaluation._get_kwargs(check_id("evaluation_id", evaluation_id))
    )


def get_challenge_request(challenge_id: object) -> RequestSpec:
    return _spec(generated().get_challenge._get_kwargs(check_id("challenge_id", challenge_id)))


def get_user_devices_request(user: object) -> RequestSpec:
    return _spec(generated().get_user_devices._get_kwargs(check_id("user", user)))


def check_json(name: str, value: object) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} is not JSON-serialisable: {exc}") from None


def check_metadata(name: str, metadata: object) -> dict[str, Any]:
    if not isinstance(metadata, Mapping):
        raise TypeError(f"{name} must be a mapping, not {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be str, not {type(key).__name__} ({key!r})")
        check_json(f"{name}[{key!r}]", value)
    return dict(metadata)


def check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _to_group(index: int, group: object) -> Group:
    name = f"groups[{index}]"
    group_model = generated().models.Group
    if isinstance(group, group_model):
        group = group.to_dict()
    if not isinstance(group, Mapping):
        raise TypeError(
            f"{name} must be a rupt_api.models.Group or a mapping, not {type(group).__name__}"
        )
    if not isinstance(group.get("id"), str) or not group["id"]:
        raise ValueError(f"{name} needs a non-empty str 'id'")
    for key, value in group.items():
        check_json(f"{name}[{key!r}]", value)
    if "metadata" in group and group["metadata"] is not None:
        check_metadata(f"{name}['metadata']", group["metadata"])
    result: Group = group_model.from_dict(group)
    return result


def update_user_request(
    user: object,
    *,
    email: object = None,
    phone: object = None,
    metadata: object = None,
    groups: object = None,
) -> RequestSpec:
    user = check_id("user", user)
    if email is None and phone is None and metadata is None and groups is None:
        raise ValueError("update_user needs at least one of email, phone, metadata or groups")
    group_list: list[Group] | None = None
    if groups is not None:
        single = (str, bytes, Mapping, generated().models.Group)
        if isinstance(groups, single) or not isinstance(groups, Sequence):
            raise TypeError(f"groups must be a list of groups, not {type(groups).__name__}")
        group_list = [_to_group(i, g) for i, g in enumerate(groups)]
    body = generated().models.UpdateUserBody(
        email=None if email is None else check_text("email", email),
        phone=None if phone is None else check_text("phone", phone),
        metadata=None if metadata is None else check_metadata("metadata", metadata),
        groups=group_list,
    )
    return _spec(generated().update_user._get_kwargs(user, body=body))
