"""The registry of operations: one entry per operationId in openapi.yaml, used by everything.

Each `Operation` says what the facade sends (method, path, path parameters, JSON body) and how
the answer parses (one model, a list of models, or no body). The facade's methods, the stand-in's
routing (`rupt_api.testing`) and every test that walks the API read this table;
tests/spec/test_operations.py checks it against openapi.yaml and names whatever is missing when
the spec gains an operation (see CONTRIBUTING.md, "Add an endpoint").

Requests are built here, from the registry, rather than through the generated modules' private
`_get_kwargs`: bodies still come from the generated models (`to_dict()`), and the tests check
that the requests built here are the ones the generated client sends. Everything runs before a
request is built: bad input raises `TypeError`/`ValueError` and nothing is sent half-built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import attrs

if TYPE_CHECKING:
    from ._generated.models import Group, UpdateUserBody

# Rupt's ids are 24 hex digits and users' ids are the app's own; anything this long is a bug in
# the caller, and refusing it keeps a 10 KB string out of URLs and logs.
MAX_ID_LENGTH = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What `quote(value, safe="")` leaves as it is.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


@cache
def models() -> ModuleType:
    """The generated models package, imported with the first call.

    Not with `import rupt_api`, which stays close to httpx's own (docs/performance.md); and the
    package loads each model module when it is first asked for, so a call loads only the models
    of its answer or body (templates/models_init.py.jinja.patch).
    """
    from ._generated import models as generated_models  # noqa: PLC0415

    return generated_models


class RequestSpec(NamedTuple):
    """What the facade sends for one call."""

    method: str
    path: str
    content: bytes | None  # the JSON body, if any
    # The id of the resource asked for, when the answer is that one resource: an answer about
    # another one is refused (`Operation.identified_by`).
    resource_id: str | None = None


@attrs.frozen
class Operation:
    """One operation of openapi.yaml, as the facade calls it.

    - `name`: the facade method, the operationId in snake_case (`getUserDevices` ->
      `get_user_devices`); also the name errors and logs use.
    - `method`, `path`: as in the spec; `path` keeps its `{placeholders}`.
    - `path_params`: (argument name, placeholder) for each path parameter, in the facade
      method's positional order (`("evaluation_id", "id")`).
    - `body`: the generated model of the JSON request body, or None; `build_body` makes it from
      the facade method's keyword arguments (checking them first).
    - `response`: the generated model of the 2xx answer, or None when it has no body (204);
      `many` when the answer is a JSON array of them.
    - `identified_by`: the path placeholder naming the resource the answer is, when it is one
      resource: an answer whose `id` is another is refused (a cache or gateway mixing answers
      up must never have the app act on someone else's evaluation).
    """

    name: str
    method: str
    path: str
    path_params: tuple[tuple[str, str], ...]
    response: str | None
    many: bool = False
    body: str | None = None
    build_body: Callable[..., Any] | None = None
    identified_by: str | None = None

    def request(self, *args: object, **kwargs: object) -> RequestSpec:
        """The request for one call: path parameters checked and percent-encoded, body built.

        Path parameters are encoded as the generated client encodes them (every reserved
        character, `/` included), so an id can never reach another endpoint.
        """
        params = self.path_params
        if len(args) != len(params):
            raise TypeError(f"{self.name} takes {len(params)} positional arguments")
        if len(params) == 1:  # every operation today: the path around its one id, split once
            value = check_id(params[0][0], args[0])
            prefix, suffix = _around(self.path)
            path = prefix + _encoded(value) + suffix
            resource_id = None if self.identified_by is None else value
        else:
            checked = {
                placeholder: check_id(name, value)
                for (name, placeholder), value in zip(params, args, strict=True)
            }
            path = self.path.format(**{key: _encoded(text) for key, text in checked.items()})
            resource_id = None if self.identified_by is None else checked[self.identified_by]
        content = None
        if self.build_body is not None:
            body = self.build_body(**kwargs).to_dict()
            content = json.dumps(body, separators=(",", ":")).encode()
        elif kwargs:
            raise TypeError(f"{self.name} takes no keyword arguments")
        return RequestSpec(self.method, path, content, resource_id)

    @property
    def parse(self) -> Callable[[Any], Any] | None:
        """How a 2xx answer's decoded JSON parses; None when the answer has no body (204)."""
        return None if self.response is None else self._parse

    def _parse(self, data: Any) -> Any:
        """The parsed answer (`data` is its decoded JSON).

        The generated models keep values as sent (leniency is the point), but an answer whose
        identity is missing or not a string is not the resource asked for: that is refused.
        """
        if not self.many:
            return self._resource(data)
        if not isinstance(data, list):
            raise TypeError(f"expected a JSON array, got {type(data).__name__}")
        return [self._resource(item) for item in data]

    def _resource(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        resource = getattr(models(), str(self.response)).from_dict(data)
        if not isinstance(resource.id, str) or not resource.id:
            raise TypeError(f"'id' must be a non-empty string, not {type(resource.id).__name__}")
        return resource


@cache
def _around(path: str) -> tuple[str, str]:
    """The text before and after the one `{placeholder}` of `path`."""
    prefix, _, rest = path.partition("{")
    return prefix, rest.partition("}")[2]


def _encoded(value: str) -> str:
    """`value` percent-encoded as `quote(value, safe="")` does (ids are mostly left as they are)."""
    return value if _UNRESERVED.fullmatch(value) else quote(value, safe="")


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
    group_model = models().Group
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


def update_user_body(
    *,
    email: object = None,
    phone: object = None,
    metadata: object = None,
    groups: object = None,
) -> UpdateUserBody:
    """The body of `update_user`: only the fields given, each checked."""
    if email is None and phone is None and metadata is None and groups is None:
        raise ValueError("update_user needs at least one of email, phone, metadata or groups")
    group_list: list[Group] | None = None
    if groups is not None:
        single = (str, bytes, Mapping, models().Group)
        if isinstance(groups, single) or not isinstance(groups, Sequence):
            raise TypeError(f"groups must be a list of groups, not {type(groups).__name__}")
        group_list = [_to_group(i, g) for i, g in enumerate(groups)]
    body: UpdateUserBody = models().UpdateUserBody(
        email=None if email is None else check_text("email", email),
        phone=None if phone is None else check_text("phone", phone),
        metadata=None if metadata is None else check_metadata("metadata", metadata),
        groups=group_list,
    )
    return body


# -- the registry ----------------------------------------------------------------------------------

_EVALUATION_ID = (("evaluation_id", "id"),)

GET_EVALUATION = Operation(
    "get_evaluation",
    "GET",
    "/v3/evaluations/{id}",
    _EVALUATION_ID,
    "Evaluation",
    identified_by="id",
)
# Consume is single-use on Rupt's side: re-sending it is safe (a second consume answers 409),
# but a 409 after an attempt of unknown fate is ambiguous: `Call.unknown_fate` reports it.
CONSUME_EVALUATION = Operation(
    "consume_evaluation",
    "POST",
    "/v3/evaluations/{id}/consume",
    _EVALUATION_ID,
    "Evaluation",
    identified_by="id",
)
GET_CHALLENGE = Operation(
    "get_challenge",
    "GET",
    "/v3/challenges/{id}",
    (("challenge_id", "id"),),
    "Challenge",
    identified_by="id",
)
GET_USER_DEVICES = Operation(
    "get_user_devices", "GET", "/v3/user/{user}/devices", (("user", "user"),), "Device", many=True
)
UPDATE_USER = Operation(
    "update_user",
    "POST",
    "/v3/user/{user}/update",
    (("user", "user"),),
    None,
    body="UpdateUserBody",
    build_body=update_user_body,
)

OPERATIONS: dict[str, Operation] = {
    operation.name: operation
    for operation in (
        GET_EVALUATION,
        CONSUME_EVALUATION,
        GET_CHALLENGE,
        GET_USER_DEVICES,
        UPDATE_USER,
    )
}
